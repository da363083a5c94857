"""A secretariat officer (no staff flag) invites a negotiator from the product's own people page,
on a phone, a tablet and a desk; the invitee follows the emailed link and chooses a password."""

import re

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from negotiations.choices import Role
from negotiations.models import Delegation, Party
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import (
    PASSWORD,
    AgreementFactory,
    RoleAssignmentFactory,
    UserFactory,
    WorkingGroupFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-much-longer-passphrase-2026"


@pytest.fixture
def agreement(settings):
    """A plurilateral FTA with Cambodia, Myanmar and China at the table, three working groups,
    and its secretariat officer; invitations are sent as soon as they are queued."""
    from config.celery import app

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True

    parties = [
        Party.objects.create(name=name, code=code, capital_time_zone=zone)
        for name, code, zone in [
            ("Cambodia", "KHM", "Asia/Phnom_Penh"),
            ("Myanmar", "MMR", "Asia/Yangon"),
            ("China", "CHN", "Asia/Shanghai"),
        ]
    ]
    agreement = AgreementFactory(
        name="Mekong Regional Free Trade Agreement",
        short_name="Mekong FTA",
        slug="mekong-fta",
        parties=[],
    )
    for party in parties:
        Delegation.objects.create(agreement=agreement, party=party)
    for order, (name, code) in enumerate(
        [
            ("Rules of Origin", "ROO"),
            ("Trade in Services", "TIS"),
            ("Sanitary and Phytosanitary Measures", "SPS"),
        ]
    ):
        WorkingGroupFactory(agreement=agreement, name=name, code=code, order=order)
    officer = UserFactory(
        username="secretariat", first_name="Chanthou", last_name="Heng", is_staff=False
    )
    RoleAssignmentFactory(user=officer, agreement=agreement, role=Role.SECRETARIAT)
    mail.outbox = []
    yield agreement
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_a_secretariat_invites_a_negotiator_who_then_signs_in(
    page, live_server, agreement, assert_accessible
):
    sign_in(page, live_server, "secretariat", PASSWORD)
    people = f"{live_server.url}/agreements/{agreement.slug}/people/"
    page.goto(people)
    expect(page.get_by_role("heading", level=1)).to_contain_text("People")

    form = page.locator("#invite")
    form.get_by_label("Email address").fill("Aung.Kyaw@commerce.gov.mm")
    form.get_by_label("First name").fill("Kyaw")
    form.get_by_label("Last name").fill("Aung")
    form.get_by_label("Role").select_option(label="Negotiator")
    form.get_by_label("Party").select_option(label="Myanmar")
    form.get_by_label("Rules of Origin (ROO)").check()
    form.get_by_label("Trade in Services (TIS)").check()
    form.get_by_label("Time zone").select_option("Asia/Yangon")
    form.get_by_role("button", name="Invite").click()

    expect(page.get_by_role("status")).to_contain_text("Invitation sent to Kyaw Aung")
    row = page.get_by_role("row", name=re.compile("Kyaw Aung"))
    expect(row).to_contain_text("Aung.Kyaw@commerce.gov.mm")
    expect(row).to_contain_text("Negotiator")
    expect(row).to_contain_text("Myanmar")
    expect(row).to_contain_text("ROO, TIS")
    expect(row).to_contain_text("Asia/Yangon")
    expect(row).to_contain_text("Invitation pending")

    for width in (390, 768, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(people)
        expect(page.get_by_role("row", name=re.compile("Kyaw Aung"))).to_be_visible()
        assert fits_the_screen(page), f"wider than the screen at {width}px"
        assert_accessible(page)
        shoot(page, f"people-{width}")

    page.get_by_role("link", name="Kyaw Aung").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kyaw Aung")
    expect(page.get_by_role("button", name="Send the invitation again")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_count(0)  # theirs to change, not ours
    assert fits_the_screen(page)
    assert_accessible(page)
    shoot(page, "people-person-1366")

    # The invitee, in a browser of their own, follows the link in the email.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+(/accounts/invitation/\S+/)", mail.outbox[0].body).group(1)
    context = page.context.browser.new_context(locale="en-GB", timezone_id="Asia/Yangon")
    context.set_default_timeout(10_000)
    invitee = context.new_page()
    for width in (390, 1366):
        invitee.set_viewport_size({"width": width, "height": 900})
        invitee.goto(f"{live_server.url}{link}")
        expect(invitee.get_by_role("main")).to_contain_text("Aung.Kyaw@commerce.gov.mm")
        expect(invitee.get_by_role("main")).to_contain_text("Mekong Regional Free Trade Agreement")
        assert fits_the_screen(invitee), f"invitation page wider than the screen at {width}px"
        assert_accessible(invitee)
        shoot(invitee, f"people-invitation-{width}")
    invitee.get_by_label(re.compile(r"^New password:?$")).fill(NEW_PASSWORD)
    invitee.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Set my password and sign in").click()
    expect(invitee.get_by_role("status")).to_contain_text("Your password is set")
    expect(invitee.get_by_role("main")).to_contain_text("Mekong Regional Free Trade Agreement")

    # The link works once; the page says so, and where to turn.
    invitee.goto(f"{live_server.url}{link}")
    expect(invitee.get_by_role("heading", level=1)).to_have_text(
        "This invitation link does not work"
    )
    assert_accessible(invitee)
    shoot(invitee, "people-invitation-used")
    context.close()

    page.goto(people)
    expect(page.get_by_role("row", name=re.compile("Kyaw Aung"))).not_to_contain_text(
        "Invitation pending"
    )


@pytest.mark.parametrize("language", ["km", "zh-hans"])
def test_the_people_page_in_khmer_and_chinese(
    page, live_server, agreement, assert_accessible, language
):
    sign_in(page, live_server, "secretariat", PASSWORD)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/agreements/{agreement.slug}/people/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    shoot(page, f"people-{language}")
    assert_accessible(page)
    assert fits_the_screen(page), f"wider than a phone's screen in {language}"
