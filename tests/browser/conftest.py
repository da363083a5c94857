"""Real-browser journeys: Playwright driving Debian's Chromium against the live test server.

Where no Chromium is installed the journeys are skipped, with that reason in the summary, so
the suite still passes on a bare machine; CI installs Chromium and always runs them.
"""

import email
import email.policy
import logging
import os
import re
import shutil
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"

# Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests make
# between page actions are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _plain_http_live_server():
    """The live server's middleware is built once, so HTTPS-only redirects go before it starts."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: browser journeys not run")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh browser context per journey; its last page is saved as a screenshot."""
    context = chromium.new_context(locale="en-GB", timezone_id="Asia/Phnom_Penh")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    # Parametrised names carry paths ("[/admin/]"): one flat file each, not a folder tree.
    name = re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    context.close()


@pytest.fixture(scope="session")
def assert_accessible():
    """Run axe-core on the page as it stands; fail on serious or critical violations.

    axe is evaluated through the browser's DevTools protocol, which the site's Content Security
    Policy (rightly forbidding injected scripts) does not govern. So the page is checked in the
    state the person sees: after htmx swaps, and on pages that answer a POST, such as a refusal.
    """
    source = AXE.read_text("utf-8")

    def check(page):
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(source)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not serious, f"{page.url}\n" + "\n".join(serious)

    return check


def sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    fill_sign_in(page, username, password)


def fill_sign_in(page, username, password):
    """Sign in on the sign-in page already shown (keeping where it was asked to go next)."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def scenario(*, rounds: int, open_points: bool):
    """The Cambodia–China FTA as it stood after `rounds` rounds: that many steps of its status
    history, and (with `open_points`) the contested points raised so far, not yet resolved."""
    import json

    from django.conf import settings

    from negotiations.scenario import load_scenario

    data = json.loads(
        (Path(settings.BASE_DIR) / "fixtures" / "cambodia_china_fta.json").read_text("utf-8")
    )
    points = [
        {key: value for key, value in point.items() if key not in ("resolved_on", "resolution")}
        for point in data["contested_points"]
    ]
    return load_scenario(
        {
            **data,
            "status_history": data["status_history"][:rounds],
            "contested_points": points if open_points else [],
            "deadlines": [],
            "commitments": [],
        }
    )


def person(username, agreement, role, *, party_code=None, groups=(), **names):
    """Someone with a role in the agreement and, for a negotiator, seats in working groups."""
    from negotiations.models import Party
    from tests.factories import MembershipFactory, RoleAssignmentFactory, UserFactory
    from workinggroups.models import WorkingGroup

    party = Party.objects.get(code=party_code) if party_code else None
    user = UserFactory(username=username, time_zone="Asia/Phnom_Penh", **names)
    RoleAssignmentFactory(user=user, agreement=agreement, role=role, party=party)
    for code in groups:
        group = WorkingGroup.objects.get(agreement=agreement, code=code)
        MembershipFactory(user=user, working_group=group, party=party)
    return user


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox(settings, live_server):
    """An SMTP server on loopback, this process's mail sent to it, links pointing at the
    live server."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    settings.SITE_URL = live_server.url
    yield handler
    controller.stop()
