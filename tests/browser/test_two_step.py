"""Two-step verification as a chief negotiator meets it in the browser: forced to set it up at the
next sign-in, adding the key to an authenticator app by hand, then signing in again with a code;
every step fits a phone, a tablet and a laptop in English, Khmer and Chinese."""

import base64

import pytest
from django.core.management import call_command
from django_otp.oath import totp

from negotiations.choices import Role
from negotiations.models import Agreement
from tests.browser.conftest import ARTIFACTS, fill_sign_in, person, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOLDER = ARTIFACTS / "two-step"
SCREENS = [(390, 844), (768, 1024), (1366, 900)]
LANGUAGES = ["en", "km", "zh-hans"]


def code_of(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app given this key shows (now, or that many 30 s steps on)."""
    key = base64.b32decode(secret.replace(" ", ""))
    return f"{totp(key, t0=-30 * steps_ahead):06d}"


def look_everywhere(page, live_server, name):
    """The page now shown, in each language on each screen: nothing scrolls sideways."""
    url = page.url
    for language in LANGUAGES:
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        for width, height in SCREENS:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
                name,
                language,
                width,
            )
            page.screenshot(path=FOLDER / f"{name}-{width}-{language}.png", full_page=True)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)


def test_a_chief_negotiator_sets_it_up_then_signs_in_with_a_code(
    page, live_server, second_factor_enforced, assert_accessible
):
    call_command("load_scenario", verbosity=0)
    agreement = Agreement.objects.get(slug="cambodia-china-fta")
    person("chief", agreement, Role.CHIEF_NEGOTIATOR, party_code="KHM")
    FOLDER.mkdir(parents=True, exist_ok=True)

    sign_in(page, live_server, "chief", PASSWORD)
    assert "/accounts/two-step/setup/" in page.url
    # Nothing else opens until it is set up.
    page.goto(f"{live_server.url}/dashboard/{agreement.slug}/")
    assert "/accounts/two-step/setup/" in page.url
    look_everywhere(page, live_server, "setup-welcome")
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    secret = page.locator("#secret-key").inner_text()
    assert len(secret.replace(" ", "")) >= 32
    page.screenshot(path=FOLDER / "setup-key-390-en.png", full_page=True)
    assert_accessible(page)
    page.get_by_label("Code shown by the app").fill(code_of(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on two-step verification").click()
    look_everywhere(page, live_server, "setup-complete")

    with page.expect_navigation():
        page.get_by_role("button", name="Make my recovery codes").click()
    look_everywhere(page, live_server, "recovery-codes")

    # Another day (the session gone), in again: the password, then the code.
    page.context.clear_cookies()
    sign_in(page, live_server, "chief", PASSWORD)
    assert "/accounts/two-step/code/" in page.url
    look_everywhere(page, live_server, "code")
    assert_accessible(page)
    page.get_by_label("Verification code").fill("000000" if code_of(secret) != "000000" else "1")
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()
    assert "/accounts/two-step/code/" in page.url
    assert page.get_by_role("alert").count() >= 1

    # A person takes a moment to retype (django-otp holds back a retry for a second after a
    # wrong code); the code of the next step (an app's clock may run a little ahead) is one not
    # used yet.
    page.wait_for_timeout(1500)
    page.get_by_label("Verification code").fill(code_of(secret, steps_ahead=1))
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()
    assert "/accounts/" not in page.url
    page.goto(f"{live_server.url}/dashboard/{agreement.slug}/")
    assert page.url.endswith(f"/dashboard/{agreement.slug}/")


def test_someone_whose_role_does_not_require_it_is_not_asked(
    page, live_server, second_factor_enforced
):
    call_command("load_scenario", verbosity=0)
    agreement = Agreement.objects.get(slug="cambodia-china-fta")
    person("official", agreement, Role.OFFICIAL)
    page.goto(f"{live_server.url}/accounts/login/")
    fill_sign_in(page, "official", PASSWORD)
    assert "/accounts/two-step/" not in page.url
    assert page.url.endswith("/portfolio/")
