"""The page cache: the dashboard, portfolio, brief and working-group pages are served from it,
yet a change shows on the very next request, nobody is served a page rendered for someone who
may see or do something else, and each language and time zone has its own rendering."""

import datetime as dt
import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from audit.services import record_update, snapshot
from dashboards import cache as page_cache
from negotiations.choices import Role
from negotiations.models import Agreement, RoleAssignment
from negotiations.services.commitments import create_commitment
from tests.factories import RoleAssignmentFactory
from workinggroups.services import change_chapter_status

pytestmark = pytest.mark.django_db


def pages(world):
    agreement = world.agreement
    return {
        "dashboard": reverse("dashboards:agreement", args=[agreement.slug]),
        "brief": reverse("dashboards:brief", args=[agreement.slug]),
        "working group": reverse("dashboards:working-group", args=[world.group.pk]),
        "portfolio": reverse("dashboards:portfolio"),
    }


def main(response):
    """The page's main element: the rest (the form token above all) differs per request."""
    text = response.text
    return text[text.index('<main id="main">') : text.index("</main>")]


def get(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return response


@pytest.mark.parametrize("page", ["dashboard", "brief", "working group", "portfolio"])
def test_the_second_request_is_served_from_the_cache(client, world, page):
    client.force_login(world.official)
    url = pages(world)[page]

    first, second = get(client, url), get(client, url)

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert main(first) == main(second)
    # The page around the content is still the reader's own.
    assert world.official.username in second.text or str(world.official) in second.text


@pytest.mark.parametrize("page", ["dashboard", "brief", "working group", "portfolio"])
def test_a_change_is_on_the_very_next_request(client, world, page):
    client.force_login(world.official)
    url = pages(world)[page]
    before = get(client, url)
    assert get(client, url)["X-Page-Cache"] == "hit"

    change_chapter_status(chapter=world.chapter, to_status="agreed_in_principle", by=world.chief)

    after = get(client, url)
    assert after["X-Page-Cache"] == "miss"
    assert main(after) != main(before)
    if page == "dashboard":
        assert '<td data-status="agreed_in_principle">0</td>' in before.text
        assert '<td data-status="agreed_in_principle">1</td>' in after.text


def test_every_service_that_writes_to_the_agreement_moves_its_generation(world):
    agreement = Agreement.objects.get(pk=world.agreement.pk)
    start = agreement.change_generation

    change_chapter_status(chapter=world.chapter, to_status="agreed", by=world.chief)
    create_commitment(
        meeting=world.meeting, text="Exchange tariff offers", by=world.chief, party=None
    )

    agreement.refresh_from_db()
    assert agreement.change_generation >= start + 2
    # Another agreement is not touched.
    elsewhere = Agreement.objects.get(pk=world.elsewhere_agreement.pk)
    assert elsewhere.change_generation == world.elsewhere_agreement.change_generation


def test_an_agreement_saved_from_an_older_copy_keeps_its_generation(world):
    stale = Agreement.objects.get(pk=world.agreement.pk)
    before = snapshot(stale)
    change_chapter_status(chapter=world.chapter, to_status="agreed", by=world.chief)
    moved = Agreement.objects.get(pk=world.agreement.pk).change_generation

    stale.description = "Edited from a copy read before the chapter moved."
    stale.save()
    record_update(instance=stale, before=before, actor=world.chief)

    current = Agreement.objects.get(pk=world.agreement.pk)
    assert current.description.startswith("Edited")
    assert current.change_generation == moved + 1
    # The counter is bookkeeping: not part of what the audit trail shows.
    assert "change_generation" not in before


def test_a_person_who_may_not_see_the_agreement_never_gets_the_cached_page(client, world):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    assert get(client, url).status_code == 200
    assert get(client, url)["X-Page-Cache"] == "hit"

    client.force_login(world.outsider)
    assert client.get(url).status_code == 403
    client.force_login(world.elsewhere)
    assert client.get(url).status_code == 403

    # Nor the portfolio: theirs lists their own agreements only.
    client.force_login(world.official)
    get(client, pages(world)["portfolio"])
    client.force_login(world.elsewhere)
    portfolio = get(client, pages(world)["portfolio"])
    assert portfolio["X-Page-Cache"] == "miss"
    assert world.agreement.name not in portfolio.text
    assert world.elsewhere_agreement.name in portfolio.text


def test_people_of_another_scope_get_their_own_rendering(client, world):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    official = get(client, url)
    assert "read only" in official.text

    client.force_login(world.chief)
    chief = get(client, url)

    assert chief["X-Page-Cache"] == "miss"
    assert "read only" not in chief.text
    assert reverse("negotiations:meeting-create", args=[world.agreement.slug]) in chief.text
    assert reverse("negotiations:meeting-create", args=[world.agreement.slug]) not in official.text


def test_people_of_the_same_scope_share_a_rendering(client, world):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    get(client, url)
    colleague = RoleAssignmentFactory(agreement=world.agreement, role=Role.OFFICIAL).user

    client.force_login(colleague)
    response = get(client, url)

    assert response["X-Page-Cache"] == "hit"
    assert str(colleague) in response.text or colleague.username in response.text


def test_a_role_taken_away_is_felt_at_once(client, world):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    get(client, url)

    RoleAssignment.objects.filter(user=world.official).delete()

    assert client.get(url).status_code == 403


def test_each_language_has_its_own_rendering(client, world):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    english = get(client, url)

    chinese = get(client, url, headers={"accept-language": "zh-hans"})

    assert chinese["X-Page-Cache"] == "miss"
    assert chinese.text != english.text
    assert "Latest changes" in english.text
    assert "Latest changes" not in chinese.text


def test_each_time_zone_has_its_own_rendering(client, world):
    world.meeting.starts_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    world.meeting.ends_at = world.meeting.starts_at + dt.timedelta(hours=2)
    world.meeting.save()
    url = pages(world)["dashboard"]
    colleague = RoleAssignmentFactory(agreement=world.agreement, role=Role.OFFICIAL).user
    world.official.time_zone, colleague.time_zone = "Asia/Phnom_Penh", "America/Lima"
    world.official.save()
    colleague.save()

    client.force_login(world.official)
    phnom_penh = get(client, url)
    client.force_login(colleague)
    lima = get(client, url)

    assert lima["X-Page-Cache"] == "miss"
    assert lima.text != phnom_penh.text


def test_each_as_of_point_has_its_own_rendering(client, world):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    now = get(client, url)

    then = get(client, url, query_params={"as_of": "2020-04-02"})

    assert then["X-Page-Cache"] == "miss"
    assert then.text != now.text


def test_the_pdf_and_the_exports_are_not_cached(client, world):
    client.force_login(world.official)
    export = client.get(pages(world)["portfolio"], {"export": "csv"})
    assert "X-Page-Cache" not in export
    fragment = client.get(pages(world)["portfolio"], headers={"HX-Request": "true"})
    assert "X-Page-Cache" not in fragment


def test_without_the_page_cache_the_pages_are_the_same(client, world, settings):
    client.force_login(world.official)
    url = pages(world)["working group"]
    cached = get(client, url)
    settings.PAGE_CACHE_ENABLED = False

    rendered = get(client, url)

    assert "X-Page-Cache" not in rendered
    assert main(rendered) == main(cached)


def test_a_change_to_a_person_or_party_shown_on_the_page_is_on_the_next_request(client, world):
    """People and parties belong to no agreement: their change moves the generation of every
    agreement that shows them."""
    url = pages(world)["working group"]
    client.force_login(world.official)
    before_generation = Agreement.objects.get(pk=world.agreement.pk).change_generation
    get(client, url)

    member = world.negotiator
    before = snapshot(member)
    member.first_name, member.last_name = "Sokha", "Renamed-in-profile"
    member.save()
    record_update(instance=member, before=before, actor=member)

    response = get(client, url)
    assert response["X-Page-Cache"] == "miss"
    assert "Renamed-in-profile" in main(response)
    assert Agreement.objects.get(pk=world.agreement.pk).change_generation == before_generation + 1
    # An agreement that does not show them keeps its pages.
    elsewhere = Agreement.objects.get(pk=world.elsewhere_agreement.pk)
    assert elsewhere.change_generation == world.elsewhere_agreement.change_generation

    party = world.agreement.parties.first()
    before = snapshot(party)
    party.name = "Renamed party"
    party.save()
    record_update(instance=party, before=before, actor=world.chief)
    assert Agreement.objects.get(pk=world.agreement.pk).change_generation == before_generation + 2


# --- The whole page, per reader ----------------------------------------------------------------

FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_a_readers_next_request_is_the_whole_page_with_a_form_token_of_its_own(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.official)
    url = pages(world)["dashboard"]

    first, second = get(client, url), get(client, url)

    assert second["X-Page-Cache"] == "hit"
    assert second.templates == []  # nothing rendered: the page as stored
    assert main(second) == main(first)
    for response in (first, second):
        assert page_cache.TOKEN_HOLE not in response.text
        assert FORM_TOKEN.search(response.text)
    # The token in the stored page is this request's: the forms on it work.
    token = FORM_TOKEN.search(second.text)[1]
    response = client.post(
        reverse("set_language"), {"language": "km", "next": url, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_a_colleague_of_the_same_scope_gets_the_content_in_a_page_of_their_own(client, world):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    get(client, url)
    get(client, url)
    colleague = RoleAssignmentFactory(agreement=world.agreement, role=Role.OFFICIAL).user
    colleague.first_name, colleague.last_name = "Sreymom", "Colleague-of-the-official"
    colleague.save()

    client.force_login(colleague)
    response = get(client, url)

    assert response["X-Page-Cache"] == "hit"
    assert "Colleague-of-the-official" in response.text
    assert str(world.official) not in response.text.replace(main(response), "")


def test_messages_waiting_are_shown_on_a_page_from_the_cache(client, world):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    get(client, url)
    assert get(client, url)["X-Page-Cache"] == "hit"

    saved = client.post(
        reverse("reminders:settings"),
        {
            "meetings": "each",
            "deadlines": "each",
            "contested_points": "each",
            "commitments": "each",
            "digest_hour": "7",
        },
    )
    assert saved.status_code == 302

    with_message = get(client, url)
    assert "Your reminder settings are saved." in with_message.text
    assert main(with_message).count("Your reminder settings are saved.") == 1
    # Shown once, as any message: the next request is the stored page again.
    again = get(client, url)
    assert "Your reminder settings are saved." not in again.text
    assert again["X-Page-Cache"] == "hit"


def test_a_readers_new_name_is_on_their_next_page(client, world):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    get(client, url)
    get(client, url)

    world.official.last_name = "Renamed-just-now"
    world.official.save()

    assert "Renamed-just-now" in get(client, url).text


# --- Past its freshness ------------------------------------------------------------------------


def expire(monkeypatch, seconds):
    """Move the clock on by `seconds`."""
    moved = time.time() + seconds
    monkeypatch.setattr(page_cache.time, "time", lambda: moved)


def test_once_stale_the_first_reader_renders_the_page_again(client, world, settings, monkeypatch):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    get(client, url)

    expire(monkeypatch, settings.PAGE_CACHE_NOW_SECONDS + 1)

    assert get(client, url)["X-Page-Cache"] == "miss"
    assert get(client, url)["X-Page-Cache"] == "hit"


def test_while_someone_renders_it_again_the_others_get_the_last_rendering(
    client, world, settings, monkeypatch, stored_keys
):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    first = get(client, url)
    colleague = RoleAssignmentFactory(agreement=world.agreement, role=Role.OFFICIAL).user

    expire(monkeypatch, settings.PAGE_CACHE_NOW_SECONDS + 1)
    # Another reader of the same page has started rendering it again.
    (key,) = stored_keys
    assert page_cache._renews(key)

    stale = get(client, url)
    assert stale["X-Page-Cache"] == "stale"
    assert main(stale) == main(first)
    client.force_login(colleague)
    assert get(client, url)["X-Page-Cache"] == "stale"


def test_a_change_is_never_hidden_behind_a_stale_rendering(
    client, world, settings, monkeypatch, stored_keys
):
    url = pages(world)["dashboard"]
    client.force_login(world.official)
    get(client, url)
    expire(monkeypatch, settings.PAGE_CACHE_NOW_SECONDS + 1)
    for key in stored_keys:
        assert page_cache._renews(key)

    change_chapter_status(chapter=world.chapter, to_status="agreed_in_principle", by=world.chief)

    after = get(client, url)
    assert after["X-Page-Cache"] == "miss"
    assert '<td data-status="agreed_in_principle">1</td>' in after.text


@pytest.fixture
def stored_keys(monkeypatch):
    """The keys of the content this test stored (not the whole pages around it), in order."""
    keys = []
    store = page_cache._set

    def recording(key, text, fresh_until):
        if key.count(":") == 1:  # kind:digest; a whole page's key has the reader's after it
            keys.append(key)
        store(key, text, fresh_until)

    monkeypatch.setattr(page_cache, "_set", recording)
    return keys
