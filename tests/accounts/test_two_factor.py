"""The second factor: an authenticator app (TOTP) with recovery codes, required of superusers,
the secretariat and chief negotiators, offered to everyone; wrong codes count as failed sign-ins.
"""

import base64
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RecoveryCode, RecoveryCodeDevice
from audit.models import AuditEntry
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

HOME = reverse("negotiations:agreement-list")


# --- Helpers ----------------------------------------------------------------------------------


def code_for(device, steps_ahead=0) -> str:
    """What the person's authenticator app shows now (or `steps_ahead` periods later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device) -> str:
    """A six-digit code the app shows at no moment the check accepts now."""
    accepted = {code_for(device, steps) for steps in range(-2, 3)}
    return next(f"{n:06d}" for n in range(123456, 1000000) if f"{n:06d}" not in accepted)


def authenticator_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="default", confirmed=True)


def sign_in(client, user, next_url=None, **meta):
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": user.username, "password": PASSWORD}, **meta)


def enter_code(client, code, **meta):
    return client.post(reverse("two_factor:verify"), {"code": code}, **meta)


def make_recovery_codes(client) -> list[str]:
    response = client.post(reverse("two_factor:backup_tokens"))
    assert response.status_code == 200
    return response.context["codes"]


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def no_throttle(settings):
    """django-otp delays the next try after a wrong code; these tests type quickly."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# --- Who must pass it -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["chief", "secretariat", "superuser"])
def test_a_role_that_requires_it_is_sent_to_set_it_up_at_the_next_sign_in(
    client, world, second_factor_enforced, who
):
    person = getattr(world, who)

    response = sign_in(client, person)
    assert response.status_code == 302
    assert signed_in(client)

    page = client.get(HOME)
    assert page.status_code == 302
    assert page.url == f"{reverse('two_factor:setup')}?next={HOME.replace('/', '%2F')}"
    assert client.get(reverse("accounts:profile")).url.startswith(reverse("two_factor:setup"))
    # The setup page itself, the language switch and signing out stay open.
    assert client.get(reverse("two_factor:setup")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "km"}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302


def test_an_official_who_only_reads_is_not_forced(client, world, second_factor_enforced):
    sign_in(client, world.official)

    assert client.get(HOME).status_code == 200
    profile = client.get(reverse("accounts:profile"))
    assert profile.status_code == 200
    assert "Set up two-step verification" in profile.text  # offered, not imposed


def test_an_htmx_request_is_sent_on_by_htmx(client, world, second_factor_enforced):
    client.force_login(world.chief)

    response = client.get(HOME, headers={"HX-Request": "true"})

    assert response["HX-Redirect"].startswith(reverse("two_factor:setup"))


# --- Setting it up, then signing in with it ---------------------------------------------------


def go_through_setup(client, next_url=HOME):
    url = f"{reverse('two_factor:setup')}?next={next_url}"
    welcome = client.get(url)
    assert welcome.status_code == 200
    step = client.post(url, {"setup-current_step": "welcome"})
    assert step.status_code == 200
    secret = step.context["secret_key"]
    # The secret is shown as text for typing in, beside the QR code.
    shown = re.search(r'<code id="secret-key"[^>]*>([^<]+)</code>', step.text).group(1)
    assert shown.replace(" ", "") == secret
    qr = client.get(reverse("two_factor:qr"))
    assert qr.status_code == 200
    assert qr["Content-Type"].startswith("image/svg+xml")
    key = base64.b32decode(secret)
    accepted = set()
    for steps in range(-2, 3):
        totp = TOTP(key)
        totp.time += steps * totp.step
        accepted.add(f"{totp.token():06d}")
    wrong = next(f"{n:06d}" for n in range(123456, 999999) if f"{n:06d}" not in accepted)
    refused = client.post(url, {"setup-current_step": "generator", "generator-token": wrong})
    assert "This code is not right" in refused.text
    assert not TOTPDevice.objects.exists()
    code = f"{TOTP(key).token():06d}"
    done = client.post(url, {"setup-current_step": "generator", "generator-token": code})
    assert done.status_code == 302, done.context and done.context["form"].errors
    return secret, done


def test_setting_it_up_then_signing_in_with_a_code_from_the_app(
    client, world, second_factor_enforced, no_throttle
):
    chief = world.chief
    sign_in(client, chief)

    secret, done = go_through_setup(client)

    assert done.url.startswith(reverse("two_factor:setup_complete"))
    device = TOTPDevice.objects.get(user=chief)
    assert base64.b32encode(device.bin_key).decode() == secret
    assert client.get(done.url).status_code == 200
    assert client.get(HOME).status_code == 200  # this session has passed it
    entry = AuditEntry.objects.filter(object_id=str(device.pk), action="create").get()
    assert device.key not in str(entry.after)

    client.post(reverse("logout"))
    password = sign_in(client, chief, next_url=HOME)
    assert password.url == reverse("two_factor:verify")
    assert not signed_in(client)  # the password alone signs nobody in
    assert client.get(HOME).status_code == 302

    wrong = enter_code(client, wrong_code(device))
    assert wrong.status_code == 400
    assert not signed_in(client)
    right = enter_code(client, code_for(device))

    assert right.status_code == 302
    assert right.url == HOME
    assert signed_in(client)
    assert client.get(HOME).status_code == 200


def test_a_code_is_good_once(client, world, no_throttle):
    device = authenticator_for(world.official)
    sign_in(client, world.official)
    code = code_for(device)
    assert enter_code(client, code).status_code == 302
    client.post(reverse("logout"))

    sign_in(client, world.official)
    again = enter_code(client, code)

    assert again.status_code == 400
    assert not signed_in(client)


def test_a_session_signed_in_before_is_asked_for_its_code(client, world, second_factor_enforced):
    device = authenticator_for(world.secretariat)
    client.force_login(world.secretariat)

    response = client.get(HOME)
    assert response.url.startswith(reverse("two_factor:verify"))

    answered = client.post(response.url, {"code": code_for(device)})
    assert answered.status_code == 302
    assert answered.url == HOME
    assert client.get(HOME).status_code == 200


def test_the_sign_in_step_expires(client, world, settings):
    authenticator_for(world.official)
    settings.TWO_FACTOR_LOGIN_TIMEOUT = -1

    sign_in(client, world.official)
    response = client.get(reverse("two_factor:verify"))

    assert response.url == reverse("login")


# --- Recovery codes ---------------------------------------------------------------------------


@pytest.fixture
def enrolled(client, world, no_throttle):
    """The chief negotiator, with an authenticator app, signed in with it."""
    device = authenticator_for(world.chief)
    sign_in(client, world.chief)
    assert enter_code(client, code_for(device)).status_code == 302
    return world.chief


def test_a_recovery_code_works_once(client, enrolled):
    codes = make_recovery_codes(client)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    client.post(reverse("logout"))

    sign_in(client, enrolled)
    first = enter_code(client, codes[0].upper())  # as typed from paper
    assert first.status_code == 302
    assert signed_in(client)
    client.post(reverse("logout"))

    sign_in(client, enrolled)
    reused = enter_code(client, codes[0])
    assert reused.status_code == 400
    assert not signed_in(client)
    other = enter_code(client, codes[1])
    assert other.status_code == 302
    assert signed_in(client)
    assert RecoveryCode.objects.filter(device__user=enrolled).count() == 8


def test_new_recovery_codes_replace_the_old_ones(client, enrolled):
    old = make_recovery_codes(client)
    new = make_recovery_codes(client)
    client.post(reverse("logout"))

    sign_in(client, enrolled)
    assert enter_code(client, old[0]).status_code == 400
    assert enter_code(client, new[0]).status_code == 302


def test_recovery_codes_are_kept_as_hashes_and_shown_once(client, enrolled):
    codes = make_recovery_codes(client)

    stored = list(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(stored) == 10
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {RecoveryCode._meta.db_table}")
        rows = " ".join(str(row) for row in cursor.fetchall())
        cursor.execute(f"SELECT * FROM {RecoveryCodeDevice._meta.db_table}")
        rows += " ".join(str(row) for row in cursor.fetchall())
    for code in codes:
        for form in (code, code.replace("-", ""), code.upper(), code.replace("-", "").upper()):
            assert form not in rows
    assert not StaticToken.objects.exists()  # nothing in django-otp's plain-text tokens

    later = client.get(reverse("two_factor:backup_tokens"))
    assert later.status_code == 200
    assert later.context["recovery_codes_left"] == 10
    assert not any(code in later.text for code in codes)
    # A stored hash is no code.
    client.post(reverse("logout"))
    sign_in(client, enrolled)
    assert enter_code(client, stored[0]).status_code == 400


def test_recovery_codes_need_a_session_that_passed_the_second_factor(client, world):
    authenticator_for(world.official)
    client.force_login(world.official)

    response = client.post(reverse("two_factor:backup_tokens"))

    assert response.url.startswith(reverse("two_factor:verify"))
    assert not RecoveryCode.objects.exists()


# --- Wrong codes count as failed sign-ins -----------------------------------------------------


def failures(user) -> int:
    return sum(
        AccessAttempt.objects.filter(username=user.username).values_list(
            "failures_since_start", flat=True
        )
    )


def test_wrong_codes_count_as_failed_sign_ins_and_lock_out(client, world, no_throttle):
    person = world.official
    device = authenticator_for(person)
    sign_in(client, person)
    for n in range(1, settings.AXES_FAILURE_LIMIT):
        assert enter_code(client, wrong_code(device)).status_code == 400
        assert failures(person) == n
    # The password step again does not wipe the count: nobody is signed in by it.
    sign_in(client, person)
    assert failures(person) == settings.AXES_FAILURE_LIMIT - 1

    last = enter_code(client, wrong_code(device))

    assert last.status_code == 429
    assert "Too many failed sign-ins" in last.text
    assert failures(person) == settings.AXES_FAILURE_LIMIT
    # Locked out: neither the right code nor the right password signs in from here.
    assert enter_code(client, code_for(device)).status_code in (302, 429)
    assert not signed_in(client)
    assert sign_in(client, person).status_code == 429
    assert not signed_in(client)
    # Another person, or the same from another address, is not concerned.
    elsewhere = client.__class__()
    assert sign_in(elsewhere, person, REMOTE_ADDR="198.51.100.3").url == reverse(
        "two_factor:verify"
    )


def test_a_right_code_clears_the_count(client, world, no_throttle):
    device = authenticator_for(world.official)
    sign_in(client, world.official)
    enter_code(client, wrong_code(device))
    assert failures(world.official) == 1

    enter_code(client, code_for(device))

    assert signed_in(client)
    assert failures(world.official) == 0


def test_a_signed_in_session_locked_out_at_the_code_is_signed_out(
    client, world, second_factor_enforced, no_throttle
):
    device = authenticator_for(world.chief)
    client.force_login(world.chief)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = enter_code(client, wrong_code(device))

    assert response.status_code == 429
    assert not signed_in(client)


# --- The administration site ------------------------------------------------------------------


@pytest.mark.parametrize(
    "middleware",
    ["all", "without the second factor's middleware"],
)
def test_a_superuser_without_the_second_factor_cannot_open_the_admin(
    client, world, second_factor_enforced, settings, middleware
):
    if middleware != "all":
        settings.MIDDLEWARE = [
            m for m in settings.MIDDLEWARE if m != "accounts.middleware.SecondFactorMiddleware"
        ]
    client.force_login(world.superuser)

    refused = client.get(reverse("admin:index"))
    assert refused.status_code == 302
    assert refused.url.startswith(reverse("two_factor:setup"))

    device = authenticator_for(world.superuser)
    refused = client.get(reverse("admin:accounts_user_changelist"))
    assert refused.status_code == 302
    assert refused.url.startswith(reverse("two_factor:verify"))

    assert client.post(refused.url, {"code": code_for(device)}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200


def test_a_superuser_signed_in_with_the_code_opens_the_admin(client, world, second_factor_enforced):
    device = authenticator_for(world.superuser)
    sign_in(client, world.superuser, next_url=reverse("admin:index"))

    answered = enter_code(client, code_for(device))

    assert answered.url == reverse("admin:index")
    assert client.get(answered.url).status_code == 200


# --- On the profile page ----------------------------------------------------------------------


def test_someone_not_required_turns_it_off(client, world, no_throttle):
    device = authenticator_for(world.official)
    sign_in(client, world.official)
    enter_code(client, code_for(device))
    make_recovery_codes(client)

    profile = client.get(reverse("accounts:profile"))
    assert "Turn off two-step verification" in profile.text
    refused = client.post(reverse("two_factor:disable"), {})
    assert refused.status_code == 400
    done = client.post(reverse("two_factor:disable"), {"understand": "on"})

    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.official).exists()
    assert not RecoveryCodeDevice.objects.filter(user=world.official).exists()
    client.post(reverse("logout"))
    assert sign_in(client, world.official).url == settings.LOGIN_REDIRECT_URL


def test_a_role_that_requires_it_cannot_turn_it_off(client, enrolled):
    profile = client.get(reverse("accounts:profile"))
    assert "Turn off two-step verification" not in profile.text
    assert "cannot be turned off" in profile.text

    assert client.post(reverse("two_factor:disable"), {"understand": "on"}).status_code == 403
    assert TOTPDevice.objects.filter(user=enrolled).exists()


# --- Password reset: limited per address and per email address --------------------------------


def reset(client, email, address="192.0.2.10"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


@pytest.mark.parametrize("email", ["sokha@example.org", "nobody@example.org"])
def test_password_reset_requests_are_limited_per_email_address(client, settings, email):
    UserFactory(email="sokha@example.org")
    settings.PASSWORD_RESET_ACCOUNT_LIMIT = 2
    for n in range(2):
        assert reset(client, email, address=f"192.0.2.{n + 1}").status_code == 302

    refused = reset(client, email.upper(), address="192.0.2.99")

    assert refused.status_code == 429
    assert "Too many password-reset requests were made" in refused.text
    assert len(mail.outbox) == (2 if email.startswith("sokha") else 0)


def test_password_reset_requests_are_limited_per_address(client, settings):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 3
    for n in range(3):
        assert reset(client, f"someone{n}@example.org").status_code == 302

    refused = reset(client, "someone-else@example.org")
    other_address = reset(client, "someone-else@example.org", address="198.51.100.20")

    assert refused.status_code == 429
    assert "Too many password-reset requests were made" in refused.text
    assert other_address.status_code == 302


def test_the_reset_limit_speaks_the_readers_language(client, settings):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 0
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "km"

    refused = reset(client, "someone@example.org")

    assert refused.status_code == 429
    assert refused.headers["Content-Language"] == "km"


# --- The demo accounts ------------------------------------------------------------------------


def test_demo_accounts_that_need_a_second_factor_sign_in_with_the_demo_codes(
    client, settings, django_user_model
):
    from negotiations.demo import DEMO_PASSWORD, DEMO_TOTP_KEY, demo_totp_code

    settings.DEBUG = True
    call_command("load_scenario", verbosity=0)
    call_command("seed_demo", verbosity=0)

    with_device = set(TOTPDevice.objects.values_list("user__username", flat=True))
    assert with_device == {"secretariat", "chief"}
    assert set(TOTPDevice.objects.values_list("key", flat=True)) == {DEMO_TOTP_KEY}
    chief = django_user_model.objects.get(username="chief")
    client.post(reverse("login"), {"username": "chief", "password": DEMO_PASSWORD})
    assert enter_code(client, demo_totp_code(chief)).status_code == 302
    assert signed_in(client)
