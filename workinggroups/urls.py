from django.urls import path

from workinggroups import views

app_name = "workinggroups"

urlpatterns = [
    path("chapters/<int:pk>/", views.chapter_detail, name="chapter-detail"),
    path("chapters/<int:pk>/status/", views.chapter_status, name="chapter-status"),
    path(
        "chapters/<int:chapter_pk>/contested-points/new/",
        views.contestedpoint_create,
        name="contestedpoint-create",
    ),
    path("contested-points/<int:pk>/", views.contestedpoint_detail, name="contestedpoint-detail"),
    path(
        "contested-points/<int:pk>/edit/",
        views.contestedpoint_update,
        name="contestedpoint-update",
    ),
    path(
        "contested-points/<int:pk>/resolve/",
        views.contestedpoint_resolve,
        name="contestedpoint-resolve",
    ),
    path(
        "contested-points/<int:pk>/escalate/",
        views.contestedpoint_escalate,
        name="contestedpoint-escalate",
    ),
]
