"""The API under /api/v1/, its OpenAPI description at /api/schema/ and its reference at
/api/docs/; the page where people manage their tokens is /profile/tokens/."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api import views
from api.docs import ApiDocsView
from api.tokens import tokens_page

app_name = "api"

LIST = {"get": "list"}
LIST_CREATE = {"get": "list", "post": "create"}
DETAIL = {"get": "retrieve", "patch": "partial_update"}


def _nested(resource, viewset, name):
    """`agreements/<slug>/<resource>/` to list and create, `<resource>/<pk>/` to read and
    change."""
    return [
        path(
            f"api/v1/agreements/<slug:slug>/{resource}/",
            viewset.as_view(LIST_CREATE),
            name=f"{name}-list",
        ),
        path(f"api/v1/{resource}/<int:pk>/", viewset.as_view(DETAIL), name=f"{name}-detail"),
    ]


urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiDocsView.as_view(), name="docs"),
    path("api/v1/agreements/", views.AgreementViewSet.as_view(LIST_CREATE), name="agreement-list"),
    path(
        "api/v1/agreements/<slug:slug>/",
        views.AgreementViewSet.as_view(DETAIL),
        name="agreement-detail",
    ),
    path("api/v1/parties/", views.PartyViewSet.as_view(LIST_CREATE), name="party-list"),
    path(
        "api/v1/parties/<int:pk>/",
        views.PartyViewSet.as_view({"get": "retrieve"}),
        name="party-detail",
    ),
    *_nested("rounds", views.RoundViewSet, "round"),
    *_nested("working-groups", views.WorkingGroupViewSet, "working-group"),
    *_nested("chapters", views.ChapterViewSet, "chapter"),
    path(
        "api/v1/chapters/<int:pk>/status/",
        views.ChapterViewSet.as_view({"post": "change_status"}),
        name="chapter-status",
    ),
    path(
        "api/v1/chapters/<int:pk>/history/",
        views.ChapterHistoryViewSet.as_view(LIST),
        name="chapter-history",
    ),
    *_nested("contested-points", views.ContestedPointViewSet, "contested-point"),
    path(
        "api/v1/contested-points/<int:pk>/resolve/",
        views.ContestedPointViewSet.as_view({"post": "resolve"}),
        name="contested-point-resolve",
    ),
    path(
        "api/v1/contested-points/<int:pk>/escalate/",
        views.ContestedPointViewSet.as_view({"post": "escalate"}),
        name="contested-point-escalate",
    ),
    *_nested("meetings", views.MeetingViewSet, "meeting"),
    *_nested("deadlines", views.DeadlineViewSet, "deadline"),
    *_nested("commitments", views.CommitmentViewSet, "commitment"),
    path(
        "api/v1/commitments/<int:pk>/deliver/",
        views.CommitmentViewSet.as_view({"post": "deliver"}),
        name="commitment-deliver",
    ),
    path("api/v1/audit/", views.AuditEntryViewSet.as_view(LIST), name="audit-list"),
    # Any other address under /api/ is a problem document too, not the site's HTML page.
    re_path(r"^api/", views.NotFoundView.as_view(), name="not-found"),
    # One of the tracker's pages (signed in by session), beside the profile it belongs to.
    path("profile/tokens/", tokens_page, name="tokens"),
]
