from django.urls import path

from negotiations import views

app_name = "negotiations"

urlpatterns = [
    path("agreements/", views.AgreementListView.as_view(), name="agreement-list"),
    path("agreements/<slug:slug>/rounds/new/", views.round_create, name="round-create"),
    path("rounds/<int:pk>/edit/", views.round_update, name="round-update"),
    path("agreements/<slug:slug>/meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/edit/", views.meeting_update, name="meeting-update"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting-cancel"),
    path("agreements/<slug:slug>/deadlines/new/", views.deadline_create, name="deadline-create"),
    path("deadlines/<int:pk>/", views.deadline_detail, name="deadline-detail"),
    path("deadlines/<int:pk>/edit/", views.deadline_update, name="deadline-update"),
    path(
        "agreements/<slug:slug>/commitments/new/",
        views.commitment_create,
        name="commitment-create",
    ),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment-detail"),
    path("commitments/<int:pk>/deliver/", views.commitment_deliver, name="commitment-deliver"),
]
