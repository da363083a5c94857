from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("agreements/<slug:slug>/people/", views.people, name="people"),
    path("agreements/<slug:slug>/people/<int:user_pk>/", views.person, name="person"),
    path("accounts/invitation/<str:token>/", views.invitation, name="invitation"),
    path("profile/", views.profile, name="profile"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
]
