"""Date fields speak the page's language. The browser draws a date field in its own locale
(mm/dd/yyyy in this American-English Chromium, whatever the page's language); each date field
says beneath it, in the page's language, the day it holds, written as the pages write days, so
that a Khmer or Chinese reader never has to decode an American date."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import translation

from negotiations.choices import Role
from negotiations.models import Agreement
from negotiations.moments import format_day
from tests.browser.conftest import ARTIFACTS, person, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOLDER = ARTIFACTS / "date-fields"

# The day 2024-04-03 (when the second round ended), as each language writes a day elsewhere.
SPELLED = {
    "en": "Wed 3 Apr 2024",
    "zh-hans": "2024年4月3日 星期三",
    "km": "ពុធ 3 មេសា 2024",
}


@pytest.fixture
def dashboard(page, live_server):
    call_command("load_scenario", verbosity=0)
    agreement = Agreement.objects.get(slug="cambodia-china-fta")
    person("official", agreement, Role.OFFICIAL)
    sign_in(page, live_server, "official", PASSWORD)
    FOLDER.mkdir(parents=True, exist_ok=True)
    return f"{live_server.url}/dashboard/{agreement.slug}/"


@pytest.mark.parametrize("language", ["en", "zh-hans", "km"])
def test_a_date_field_spells_its_day_in_the_page_language(page, live_server, dashboard, language):
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(dashboard)
    field = page.locator("#as-of-day")
    spelled = page.locator("#as-of-day + output.date-spelled")
    assert spelled.count() == 1
    assert spelled.inner_text() == ""

    field.fill("2024-04-03")
    text = spelled.inner_text()
    assert text == SPELLED[language]
    # Written exactly as the server writes days on the pages.
    with translation.override(language):
        assert text == format_day(dt.date(2024, 4, 3), today=dt.date(2026, 1, 1))
    assert field.input_value() == "2024-04-03"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=FOLDER / f"as-of-390-{language}.png", full_page=False)

    # The field still submits the day as the server reads it.
    with page.expect_navigation():
        field.press("Enter")
    assert "as_of=2024-04-03" in page.url
    assert page.locator("#as-of-day + output.date-spelled").inner_text() == text


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_forms_with_date_fields_fit_every_screen(page, live_server, language):
    """The deadline form and the audit trail's filters, with their days spelled, on a phone, a
    tablet and a laptop: nothing scrolls sideways."""
    call_command("load_scenario", verbosity=0)
    agreement = Agreement.objects.get(slug="cambodia-china-fta")
    person("secretariat", agreement, Role.SECRETARIAT)
    sign_in(page, live_server, "secretariat", PASSWORD)
    FOLDER.mkdir(parents=True, exist_ok=True)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    pages = {
        "deadline-form": f"/agreements/{agreement.slug}/deadlines/new/",
        "audit": "/audit/",
    }
    for name, path in pages.items():
        for width, height in [(390, 844), (768, 1024), (1366, 900)]:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{live_server.url}{path}")
            fields = page.locator('input[type="date"]')
            assert fields.count() >= 1, name
            fields.first.fill("2024-04-03")
            spelled = page.locator('input[type="date"] + output.date-spelled').first
            assert spelled.inner_text() == SPELLED[language]
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
                name,
                width,
            )
            page.screenshot(path=FOLDER / f"{name}-{width}-{language}.png")
