from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
    path("dashboard/<slug:slug>/", views.AgreementDashboardView.as_view(), name="agreement"),
    path("dashboard/<slug:slug>/brief/", views.BriefView.as_view(), name="brief"),
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
    path("dashboard/meetings/<int:pk>/", views.MeetingView.as_view(), name="meeting"),
    path(
        "dashboard/working-groups/<int:pk>/",
        views.WorkingGroupView.as_view(),
        name="working-group",
    ),
]
