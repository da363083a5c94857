"""An anonymous visitor sees nothing but the sign-in page; a signed-in person gets in."""

import pytest

from negotiations.choices import Role
from negotiations.models import Meeting
from tests.browser.conftest import person, scenario, sign_in
from tests.factories import (
    PASSWORD,
    ChapterFactory,
    CommitmentFactory,
    ContestedPointFactory,
    MeetingFactory,
    RoleAssignmentFactory,
)
from workinggroups.models import Chapter, ContestedPoint, WorkingGroup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "Cumulation with third-country materials"

# Every kind of page there is, with {slug}, {chapter}, {point} and {meeting} filled in.
PATHS = [
    "/",
    "/portfolio/",
    "/agreements/",
    "/dashboard/{slug}/",
    "/dashboard/{slug}/contested-points/?export=csv",
    "/dashboard/{slug}/brief/",
    "/dashboard/meetings/{meeting}/",
    "/meetings/{meeting}/",
    "/meetings/{meeting}.ics",
    "/chapters/{chapter}/",
    "/contested-points/{point}/",
    "/meetings/{meeting}/outcome/",
    "/audit/",
    "/reminders/settings/",
    "/admin/",
    "/admin/negotiations/agreement/",
]


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_visitor_sees_only_the_sign_in_page(page, live_server, path):
    role = RoleAssignmentFactory(
        agreement__name="Cambodia–China FTA", agreement__slug="ccfta", role=Role.OFFICIAL
    )
    chapter = ChapterFactory(working_group__agreement=role.agreement, title="Rules of Origin")
    point = ContestedPointFactory(chapter=chapter, title=SECRET)
    meeting = MeetingFactory(agreement=role.agreement)
    url = path.format(slug="ccfta", chapter=chapter.pk, point=point.pk, meeting=meeting.pk)

    page.goto(f"{live_server.url}{url}")

    assert "/login/" in page.url
    assert page.get_by_role("heading", name="Sign in").is_visible()
    content = page.content()
    assert "Cambodia–China FTA" not in content
    assert SECRET not in content


def test_sign_in_page_is_accessible_and_signing_in_lands_on_the_portfolio(
    page, live_server, assert_accessible
):
    role = RoleAssignmentFactory(agreement__name="Cambodia–China FTA", role=Role.OFFICIAL)
    page.goto(f"{live_server.url}/")
    assert_accessible(page)

    sign_in(page, live_server, role.user.username, PASSWORD)

    assert page.url.endswith("/portfolio/")
    assert page.get_by_role("link", name="Cambodia–China FTA").first.is_visible()
    assert_accessible(page)


def test_every_page_a_signed_in_person_opens_is_accessible(page, live_server, assert_accessible):
    """The pages no journey above goes through, checked once each as the secretariat sees
    them (who sees the most: the audit trail, every action offered)."""
    agreement = scenario(rounds=2, open_points=True)
    person("sec", agreement, Role.SECRETARIAT, is_staff=True)
    chapter = Chapter.objects.get(title="Rules of Origin")
    meeting = Meeting.objects.get(agreement=agreement, negotiation_round__number=2)
    commitment = CommitmentFactory(meeting=meeting, text="Exchange the tariff schedules.")
    paths = [
        "/portfolio/",
        "/agreements/",
        f"/dashboard/{agreement.slug}/?round=2",
        f"/dashboard/{agreement.slug}/chapters/",
        f"/dashboard/{agreement.slug}/commitments/",
        f"/dashboard/{agreement.slug}/rounds/2/",
        f"/dashboard/working-groups/{WorkingGroup.objects.get(code='ROO').pk}/",
        f"/contested-points/{ContestedPoint.objects.filter(chapter=chapter).get().pk}/",
        f"/chapters/{chapter.pk}/contested-points/new/",
        f"/meetings/{meeting.pk}/outcome/",
        f"/commitments/{commitment.pk}/",
        "/audit/",
        "/reminders/settings/",
        "/accounts/password_change/",
    ]
    sign_in(page, live_server, "sec", PASSWORD)
    failures = []
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        try:
            assert_accessible(page)
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n\n".join(failures)
