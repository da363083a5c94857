"""The API reference in a real browser, under the site's Content Security Policy: Swagger UI
starts from the vendored files and shows the API, with nothing refused by the policy."""

import pytest
from playwright.sync_api import expect

from negotiations.choices import Role
from tests.browser.conftest import ARTIFACTS, person, sign_in
from tests.factories import PASSWORD, AgreementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_reference_renders_under_the_content_security_policy(page, live_server):
    person("official", AgreementFactory(), Role.OFFICIAL)
    sign_in(page, live_server, "official", PASSWORD)
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )

    response = page.goto(f"{live_server.url}/api/docs/")

    assert response.status == 200
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Negotiation tracker API")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "api-docs.png")
    assert outside == []
    assert refused == []


def test_a_person_makes_copies_and_revokes_a_token(page, live_server):
    from api.models import ApiToken

    person("official", AgreementFactory(), Role.OFFICIAL)
    sign_in(page, live_server, "official", PASSWORD)
    page.goto(f"{live_server.url}/profile/tokens/")
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()

    page.get_by_label("Name").fill("quarterly report")
    page.get_by_label("Read and write").check()
    page.get_by_label("Expires after").select_option("30")
    page.get_by_role("button", name="Make the token").click()

    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("fta_")
    expect(page.get_by_role("cell", name="quarterly report", exact=True)).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "api-tokens.png", full_page=True)
    assert ApiToken.objects.get(name="quarterly report").can_write

    page.get_by_role("button", name="Revoke quarterly report").click()
    expect(page.get_by_role("cell", name="Revoked", exact=True)).to_be_visible()
    expect(page.locator("#new-token")).to_have_count(0)
    assert ApiToken.objects.get(name="quarterly report").is_revoked


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_the_token_page_and_the_reference_fit_every_screen(page, live_server, language):
    from api.models import ApiToken

    user = person("official", AgreementFactory(), Role.OFFICIAL)
    sign_in(page, live_server, "official", PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/profile/tokens/")
    page.locator("input[name=name]").fill("季度报告 · របាយការណ៍")
    page.locator("form:has(input[name=action][value=create]) button[type=submit]").click()
    assert page.locator("#new-token").inner_text().startswith("fta_")
    assert ApiToken.objects.filter(user=user).count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    for path, name in [("/profile/tokens/", "api-tokens"), ("/api/docs/", "api-docs")]:
        for width, height in [(390, 844), (768, 1024), (1366, 900)]:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{live_server.url}{path}")
            if name == "api-docs":
                expect(page.locator(".opblock-tag").first).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
                name,
                width,
            )
            page.screenshot(path=ARTIFACTS / f"{name}-{width}-{language}.png")
