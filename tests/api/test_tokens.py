"""Personal API tokens: made on the profile's token page, shown once, kept hashed, scoped,
expiring, revocable, budgeted; and never a way into the pages or the administration site."""

import datetime as dt
import hashlib
import re

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.services import digest
from api.throttling import PerTokenRateThrottle
from tests.api.factories import bearer, issue_token

TOKENS_PAGE = "/profile/tokens/"


def _make_on_the_page(client, **fields):
    data = {"action": "create", "name": "weekly report", "scope": "read", "lifetime": "90"}
    return client.post(TOKENS_PAGE, {**data, **fields})


def test_a_token_is_shown_once_and_kept_only_as_its_digest(world, client):
    client.force_login(world.official)
    response = _make_on_the_page(client, scope="write")
    assert response.status_code == 200
    secret = re.search(r'id="new-token">([^<]+)<', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=world.official)
    assert token.name == "weekly report"
    assert token.can_write
    assert secret.startswith(f"fta_{token.prefix}_")
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert dt.timedelta(days=89) < token.expires_at - timezone.now() <= dt.timedelta(days=90)
    # Listed from now on, but never shown again.
    again = client.get(TOKENS_PAGE)
    assert again.status_code == 200
    assert "weekly report" in again.content.decode()
    assert secret not in again.content.decode()
    # And it works.
    api = Client()
    assert api.get("/api/v1/agreements/", **bearer(secret)).status_code == 200


def test_the_token_page_is_for_signed_in_people(client):
    response = client.get(TOKENS_PAGE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_role_that_needs_the_second_factor_cannot_make_a_token_without_it(world, client):
    client.force_login(world.chief)
    response = _make_on_the_page(client)
    assert response.status_code in (302, 403)
    assert not ApiToken.objects.filter(user=world.chief).exists()


def test_revoking_on_the_page_refuses_the_token_at_once(world, client):
    secret = issue_token(world.official)
    token = ApiToken.objects.get(user=world.official)
    client.force_login(world.official)
    response = client.post(TOKENS_PAGE, {"action": "revoke", "token": token.pk})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = Client().get("/api/v1/agreements/", **bearer(secret))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "This token has been revoked."


def test_nobody_revokes_another_persons_token(world, client):
    issue_token(world.chief)
    token = ApiToken.objects.get(user=world.chief)
    client.force_login(world.official)
    response = client.post(TOKENS_PAGE, {"action": "revoke", "token": token.pk})
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_expired_token_is_refused(world):
    secret = issue_token(world.official)
    ApiToken.objects.filter(user=world.official).update(
        created_at=timezone.now() - dt.timedelta(days=31),
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    response = Client().get("/api/v1/agreements/", **bearer(secret))
    assert response.status_code == 401
    assert response.json()["detail"] == "This token has expired."


@pytest.mark.parametrize(
    "header",
    ["Bearer fta_00000000_nothing", "Bearer not-a-token", "Bearer", "Bearer a b"],
)
def test_an_unknown_or_malformed_token_is_refused(world, header):
    response = Client().get("/api/v1/agreements/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_token_of_a_disabled_account_is_refused(world):
    secret = issue_token(world.official)
    world.official.is_active = False
    world.official.save()
    assert Client().get("/api/v1/agreements/", **bearer(secret)).status_code == 401


def test_a_token_never_reaches_the_administration_site_nor_the_pages(world):
    secret = issue_token(world.superuser)
    admin = Client().get("/admin/", **bearer(secret))
    assert admin.status_code == 302
    assert "/login/" in admin["Location"]
    page = Client().get(TOKENS_PAGE, **bearer(secret))
    assert page.status_code == 302
    assert "/accounts/login/" in page["Location"]


def test_each_token_has_its_own_request_budget(world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/minute"},
    }
    first, second = issue_token(world.official), issue_token(world.official)
    client = Client()
    for _ in range(3):
        assert client.get("/api/v1/agreements/", **bearer(first)).status_code == 200
    refused = client.get("/api/v1/agreements/", **bearer(first))
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert int(refused["Retry-After"]) > 0
    assert client.get("/api/v1/agreements/", **bearer(second)).status_code == 200
    # Counted where every worker sees it.
    budgets = PerTokenRateThrottle().cache
    prefix = ApiToken.objects.get(key_hash=digest(first)).prefix
    assert len(budgets.get(f"throttle_api_token-{prefix}")) == 3
    if django_settings.API_THROTTLE_CACHE:
        assert isinstance(budgets, RedisCache)


def test_the_browser_session_reads_and_writes_with_its_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.negotiator)
    assert client.get("/api/v1/agreements/").status_code == 200
    url = f"/api/v1/chapters/{world.chapter.pk}/status/"
    body = {"to_status": "agreed_in_principle", "version": world.chapter.version}
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get(TOKENS_PAGE)
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201


def test_a_session_without_the_second_factor_its_role_needs_is_refused(world, client):
    client.force_login(world.chief)
    response = client.get("/api/v1/agreements/")
    assert response.status_code == 401
