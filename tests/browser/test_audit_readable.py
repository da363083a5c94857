"""The audit trail in a real browser, on a phone, a tablet and a desktop, in each language the
tracker speaks: changes in words, and the page never scrolls sideways."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from negotiations.choices import Role
from tests.browser.conftest import ARTIFACTS, person, scenario, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [390, 768, 1366]


def edits(agreement, by):
    """A contested point opened, its positions changed and withdrawn, a chapter moved on."""
    from workinggroups.models import Chapter
    from workinggroups.services import (
        change_chapter_status,
        open_contested_point,
        update_contested_point,
    )

    chapter = Chapter.objects.filter(working_group__agreement=agreement).first()
    first, second = agreement.parties.order_by("name")[:2]
    point = open_contested_point(
        chapter=chapter,
        title="Cumulation with third countries",
        by=by,
        owner=by,
        target_date=dt.date(2020, 5, 15),
        opened_on=dt.date(2020, 4, 8),
        positions={first: "Full cumulation.", second: "Bilateral cumulation only."},
    )
    update_contested_point(
        point=point,
        title=point.title,
        by=by,
        owner=by,
        target_date=dt.date(2020, 5, 20),
        positions={first: "Diagonal cumulation with ASEAN.", second: ""},
    )
    if chapter.status != "agreed":
        change_chapter_status(chapter=chapter, to_status="agreed", by=by)
    return point


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_the_audit_trail_reads_in_words_at_every_width(
    page, live_server, language, assert_accessible
):
    agreement = scenario(rounds=2, open_points=True)
    secretariat = person(
        "secretariat", agreement, Role.SECRETARIAT, first_name="Sopheap", last_name="Chan"
    )
    secretariat.is_staff = True
    secretariat.save()
    point = edits(agreement, secretariat)
    sign_in(page, live_server, "secretariat", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    folder = ARTIFACTS / "audit"
    folder.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/audit/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        table = page.locator("table.audit-log")
        expect(table).to_contain_text("Sopheap Chan")
        expect(table).to_contain_text("Diagonal cumulation with ASEAN.")
        text = table.inner_text()
        for raw in ["chapter_id", "changed_by_id", "agreed_in_principle", "contested_point_id"]:
            assert raw not in text, raw
        page.screenshot(path=folder / f"audit-{language}-{width}.png", full_page=True)
        page.screenshot(path=folder / f"audit-{language}-{width}-first-screen.png")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"/audit/ scrolls sideways at {width} px in {language}"
        )
    assert_accessible(page)

    # The point's own change log tells its positions, named by party, on a phone too.
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}{point.get_absolute_url()}")
    log = page.locator("table.audit-log")
    expect(log).to_contain_text("Diagonal cumulation with ASEAN.")
    for party in agreement.parties.all():
        assert party.code not in log.inner_text()
    page.screenshot(path=folder / f"point-change-log-{language}-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
