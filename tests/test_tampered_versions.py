"""A form whose hidden version arrives missing, unreadable or altered (a tampered page, a
truncated post, a browser extension) saves nothing and says why in the reader's language, instead
of a bare 400 with no message."""

import pytest
from django.utils import translation

from negotiations.forms.common import VERSION_UNREADABLE
from tests.workinggroups.test_views import ACTIONS, census

pytestmark = pytest.mark.django_db

VERSIONED = [action for action in ACTIONS if "version" in action[3].__code__.co_names]
TAMPERED = {"missing": None, "empty": "", "unreadable": "1'; --", "zero": "0"}


def test_every_versioned_action_is_covered():
    assert {name for name, *_ in VERSIONED} >= {
        "chapter-status",
        "contestedpoint-update",
        "contestedpoint-resolve",
    }


@pytest.mark.parametrize("tampering", TAMPERED)
@pytest.mark.parametrize(
    ("name", "method", "url", "data"), VERSIONED, ids=[a[0] for a in VERSIONED]
)
@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
def test_a_tampered_version_saves_nothing_and_says_why(
    client, world, name, method, url, data, tampering, language
):
    client.force_login(world.chief)
    posted = data(world)
    if TAMPERED[tampering] is None:
        del posted["version"]
    else:
        posted["version"] = TAMPERED[tampering]
    before = census()

    response = getattr(client, method)(url(world), posted, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert census() == before
    with translation.override(language):
        message = str(VERSION_UNREADABLE)
    assert message in response.content.decode()
