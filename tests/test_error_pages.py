"""The pages shown when a request goes wrong: in the site's layout and the reader's language,
saying what happened and where to go, never how the server failed. The administration site
is refused, with an explanation, to signed-in people who are not its administrators."""

import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.translation import gettext

from negotiations.choices import Role
from tests.factories import RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "km", "zh-hans"]

NOT_FOUND = (
    "There is nothing at this address. The link may be mistyped or incomplete, "
    "or what it pointed to may have been removed."
)
FORBIDDEN = (
    "If you need it for your work, ask the secretariat of the agreement to give you the role."
)
ADMINISTRATION = (
    "The administration site is for the system administrators; "
    "everything you can do is in the tracker itself."
)
BAD_REQUEST = (
    "What your browser sent was incomplete or was changed on the way, so nothing was done with it."
)
SERVER_ERROR = "The tracker could not show this page because of a fault on our side."
STALE_FORM = (
    "The form was open too long, or you signed in or out in another window meanwhile. "
    "For your safety it was refused."
)
NOT_SAVED = "What you typed is not saved."
PORTFOLIO = "Go to the portfolio: every agreement you may see"


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def in_language(client, language):
    client.cookies["django_language"] = language
    return client


def assert_explains(response, language, *msgids, signed_in):
    """The page is the site's layout in `language` and says each of `msgids` in it."""
    text = response.content.decode()
    assert f'<html lang="{language}">' in text
    assert 'class="site-header"' in text
    assert 'class="site-footer"' in text
    # The navigation, with its sign-out button, is what a signed-in person has.
    assert (f'action="{reverse("logout")}"' in text) is signed_in
    with translation.override(language):
        for msgid in msgids:
            assert escape(gettext(msgid)) in text
    assert "secret detail" not in text
    assert "Traceback" not in text


@pytest.fixture
def official(world):
    return world.official


# --- 404 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_address_is_explained_to_a_signed_in_person(client, official, language):
    client.force_login(official)

    response = in_language(client, language).get("/no/such/page/")

    assert response.status_code == 404
    assert_explains(response, language, NOT_FOUND, PORTFOLIO, signed_in=True)
    assert f'href="{reverse("dashboards:portfolio")}"' in response.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_address_offers_the_sign_in_page_to_a_visitor(client, db, language):
    response = in_language(client, language).get("/no/such/page/")

    assert response.status_code == 404
    assert_explains(response, language, NOT_FOUND, "Sign in", signed_in=False)
    assert f'href="{reverse("login")}"' in response.text


def test_a_record_that_does_not_exist_gets_the_same_page(client, official):
    client.force_login(official)

    response = client.get(reverse("dashboards:agreement", args=["no-such-agreement"]))

    assert response.status_code == 404
    assert_explains(response, "en", NOT_FOUND, signed_in=True)


def test_the_way_back_is_offered_only_to_a_page_of_this_site(client, official):
    client.force_login(official)
    portfolio = f"http://testserver{reverse('dashboards:portfolio')}"

    ours = client.get("/no/such/page/", headers={"referer": portfolio})
    theirs = client.get("/no/such/page/", headers={"referer": "https://elsewhere.example/"})

    assert f'href="{portfolio}"' in ours.text
    assert "elsewhere.example" not in theirs.text


# --- 403 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_page_of_another_agreement_is_refused_with_whom_to_ask(client, world, language):
    client.force_login(world.elsewhere)

    response = in_language(client, language).get(
        reverse("dashboards:agreement", args=[world.agreement.slug])
    )

    assert response.status_code == 403
    assert_explains(response, language, FORBIDDEN, PORTFOLIO, signed_in=True)
    assert world.agreement.name not in response.text


def test_a_refusal_is_logged_as_one_line_with_the_path_and_the_person(client, world, caplog):
    client.force_login(world.elsewhere)
    path = reverse("dashboards:agreement", args=[world.agreement.slug])

    with caplog.at_level(logging.INFO, logger="django"):
        client.get(path)

    refusals = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(refusals) == 1
    [refusal] = refusals
    assert refusal.levelno == logging.WARNING
    assert refusal.exc_info is None
    assert refusal.getMessage() == f"Forbidden: {path} (user {world.elsewhere.pk})"


# --- 400 --------------------------------------------------------------------------------------


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_malformed_request_is_explained(client, official, language):
    client.force_login(official)

    response = in_language(client, language).get("/bad/")

    assert response.status_code == 400
    assert_explains(response, language, BAD_REQUEST, PORTFOLIO, signed_in=True)


def test_a_request_for_another_host_is_answered_with_the_page_too(client, db):
    response = client.get(
        "/no/such/page/",
        headers={"host": "intruder.example", "referer": "http://intruder.example/"},
    )

    assert response.status_code == 400
    assert_explains(response, "en", BAD_REQUEST, signed_in=False)


# --- 500 --------------------------------------------------------------------------------------


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_server_fault_is_explained_without_its_detail(client, official, language):
    client.raise_request_exception = False
    client.force_login(official)

    response = in_language(client, language).get("/boom/")

    assert response.status_code == 500
    assert_explains(response, language, SERVER_ERROR, "Go to the portfolio", signed_in=True)


@pytest.mark.urls("tests.error_urls")
def test_the_page_is_drawn_when_the_database_fails_again(client, official):
    client.raise_request_exception = False
    client.force_login(official)

    response = in_language(client, "km").get("/boom/database/")

    assert response.status_code == 500
    text = response.content.decode()
    assert '<html lang="km">' in text
    assert 'class="site-header"' in text
    with translation.override("km"):
        assert escape(gettext(SERVER_ERROR)) in text
    assert "no_such_table" not in text


@pytest.mark.urls("tests.error_urls")
def test_the_page_is_drawn_without_the_layout_when_the_layout_fails(client, official, settings):
    client.raise_request_exception = False
    client.force_login(official)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [], "APP_DIRS": False}]

    response = in_language(client, "zh-hans").get("/boom/")

    assert response.status_code == 500
    text = response.content.decode()
    assert '<html lang="zh-hans">' in text
    with translation.override("zh-hans"):
        assert escape(gettext(SERVER_ERROR)) in text
    assert f'href="{reverse("dashboards:portfolio")}"' in text
    assert "secret detail" not in text


# --- CSRF failure -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_stale_sign_in_form_asks_to_sign_in_again(db, language):
    client = in_language(Client(enforce_csrf_checks=True), language)
    sign_in = f"http://testserver{reverse('login')}?next=/portfolio/"

    response = client.post(
        reverse("login"),
        {"username": "someone", "password": "typed"},
        headers={"referer": sign_in},
    )

    assert response.status_code == 403
    assert_explains(response, language, STALE_FORM, NOT_SAVED, "Sign in again", signed_in=False)
    again = f"{reverse('login')}?{urlencode({'next': '/accounts/login/?next=/portfolio/'})}"
    assert f'href="{escape(again)}"' in response.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_stale_form_of_a_signed_in_person_offers_to_reload_it(official, language):
    client = in_language(Client(enforce_csrf_checks=True), language)
    client.force_login(official)
    form_page = f"http://testserver{reverse('accounts:profile')}"

    response = client.post(
        reverse("accounts:profile"), {"language": "km"}, headers={"referer": form_page}
    )

    assert response.status_code == 403
    assert_explains(response, language, STALE_FORM, NOT_SAVED, signed_in=True)
    assert f'href="{form_page}"' in response.text
    before = official.language
    official.refresh_from_db()
    assert official.language == before


# --- The administration site ------------------------------------------------------------------


ADMIN_PAGES = ["/admin/", "/admin/negotiations/agreement/", "/admin/no/such/page/"]


@pytest.fixture
def secretariat(world):
    """The secretariat of an agreement, as the demo accounts have it: no staff flag."""
    user = UserFactory(is_staff=False)
    RoleAssignmentFactory(user=user, agreement=world.agreement, role=Role.SECRETARIAT)
    return user


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("who", ["secretariat", "official"])
def test_the_administration_site_is_refused_to_a_signed_in_non_administrator(
    client, request, who, path
):
    client.force_login(request.getfixturevalue(who))

    response = client.get(path)

    assert response.status_code == 403
    assert_explains(response, "en", ADMINISTRATION, PORTFOLIO, signed_in=True)
    assert gettext(FORBIDDEN) not in response.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_administration_refusal_is_translated(client, secretariat, language):
    client.force_login(secretariat)

    response = in_language(client, language).get("/admin/")

    assert response.status_code == 403
    assert_explains(response, language, ADMINISTRATION, PORTFOLIO, signed_in=True)


@pytest.mark.parametrize("path", ADMIN_PAGES[:2])
def test_a_superuser_gets_the_administration_site(client, django_user_model, path):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 16)
    client.force_login(root)

    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES[:2])
def test_a_visitor_is_sent_to_the_sign_in_page_and_back(client, db, path):
    response = client.get(path, follow=True)

    assert response.status_code == 200
    final_url, _status = response.redirect_chain[-1]
    assert final_url.startswith(reverse("login"))
    assert response.context["next"] == path
