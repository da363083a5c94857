from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.generic import RedirectView

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
    path("dashboard/<slug:slug>/", views.AgreementDashboardView.as_view(), name="agreement"),
    path("dashboard/<slug:slug>/brief/", views.BriefView.as_view(), name="brief"),
    path("dashboard/<slug:slug>/brief.pdf", views.BriefPdfView.as_view(), name="brief-pdf"),
    path("dashboard/<slug:slug>/rounds/<int:number>/", views.RoundView.as_view(), name="round"),
    path("dashboard/<slug:slug>/chapters/", views.ChapterListView.as_view(), name="chapter-list"),
    path(
        "dashboard/<slug:slug>/contested-points/",
        views.ContestedPointListView.as_view(),
        name="contested-points",
    ),
    path(
        "dashboard/<slug:slug>/commitments/",
        views.CommitmentListView.as_view(),
        name="commitments",
    ),
    # A meeting's page moved to its own app; links already sent in emails still arrive there.
    path(
        "dashboard/meetings/<int:pk>/",
        login_not_required(
            RedirectView.as_view(pattern_name="meetings:detail", permanent=True, query_string=True)
        ),
    ),
    path(
        "dashboard/working-groups/<int:pk>/",
        views.WorkingGroupView.as_view(),
        name="working-group",
    ),
]
