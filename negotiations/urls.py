from django.urls import path

from negotiations import views

app_name = "negotiations"

urlpatterns = [
    path("agreements/", views.AgreementListView.as_view(), name="agreement-list"),
    path("meetings/<int:pk>/outcome/", views.meeting_outcome, name="meeting-outcome"),
    path("commitments/<int:pk>/", views.commitment_update, name="commitment-update"),
    path("commitments/<int:pk>/deliver/", views.commitment_deliver, name="commitment-deliver"),
]
