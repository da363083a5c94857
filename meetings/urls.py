from django.urls import path

from meetings import views

app_name = "meetings"

urlpatterns = [
    path("<int:pk>/", views.MeetingView.as_view(), name="detail"),
    path("<int:pk>/outcome/", views.meeting_outcome, name="outcome"),
    path("<int:pk>.ics", views.meeting_ics, name="ics"),
]
