import pytest
from django.test import Client

from tests.api.factories import bearer, issue_token


class ApiClient:
    """A test client that speaks JSON and sends one person's token."""

    def __init__(self, secret=None):
        self.client = Client()
        self.headers = bearer(secret) if secret else {}

    def get(self, url, data=None, **extra):
        return self.client.get(url, data, **self.headers, **extra)

    def post(self, url, data=None, **extra):
        return self.client.post(
            url, data or {}, content_type="application/json", **self.headers, **extra
        )

    def patch(self, url, data=None, **extra):
        return self.client.patch(
            url, data or {}, content_type="application/json", **self.headers, **extra
        )


@pytest.fixture
def api_as():
    """api_as(user, scope="write") -> an ApiClient with a fresh token of that person;
    api_as(None) -> an anonymous one."""

    def make(user, scope="write"):
        return ApiClient(issue_token(user, scope=scope) if user is not None else None)

    return make
