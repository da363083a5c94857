"""The Cambodia–China dashboard as an official opens it, on a phone, a tablet and a laptop, in
English, Khmer and Chinese: the headline, the milestones and the counts read true, and no page
scrolls sideways."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from negotiations.choices import Role
from negotiations.models import Agreement
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD, RoleAssignmentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [(390, 844), (768, 1024), (1366, 768)]

# The innermost elements that reach past the right edge: what makes a page scroll sideways.
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => {
    for (let a = e.parentElement; a; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return false;
    }
    return true;
  })
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .concat([...document.querySelectorAll('body *')].filter(e => e.scrollWidth > e.clientWidth + 1
      && getComputedStyle(e).overflowX === 'visible'))
  .slice(0, 3).map(e => {
    const chain = [];
    for (let a = e; a && a !== document.body; a = a.parentElement) {
      chain.push(a.tagName + '.' + a.className + '=' + Math.round(a.getBoundingClientRect().right));
    }
    return chain.join(' < ');
  })"""


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_the_dashboard_reads_true_on_every_screen(page, live_server, language, assert_accessible):
    call_command("load_scenario", verbosity=0)
    agreement = Agreement.objects.get(slug="cambodia-china-fta")
    RoleAssignmentFactory(
        user=UserFactory(username="official"), agreement=agreement, role=Role.OFFICIAL
    )
    group = agreement.working_groups.get(code="ROO")
    sign_in(page, live_server, "official", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    folder = ARTIFACTS / "dashboards"
    folder.mkdir(parents=True, exist_ok=True)
    pages = [
        ("dashboard", f"/dashboard/{agreement.slug}/"),
        ("dashboard-round-2", f"/dashboard/{agreement.slug}/?as_of=round-2"),
        ("portfolio", "/portfolio/"),
        ("working-group", f"/dashboard/working-groups/{group.pk}/"),
    ]
    for name, path in pages:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=folder / f"{name}-{width}-{language}.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
                f"{path} scrolls sideways at {width} px in {language}: {page.evaluate(OVERFLOWING)}"
            )
        assert_accessible(page)
    if language == "en":
        page.goto(f"{live_server.url}/dashboard/{agreement.slug}/")
        expect(page.locator("#headline")).to_contain_text("15 of 15 chapters concluded")
        expect(page.locator("#milestones")).to_contain_text("Signed")
        page.goto(f"{live_server.url}/dashboard/{agreement.slug}/?as_of=round-2")
        expect(page.locator("#headline")).to_contain_text("Under negotiation")
        expect(page.locator("#next")).to_contain_text("Third round")
