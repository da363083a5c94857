"""The tables filter, sort, choose columns and export exactly what the filter shows."""

import csv
import io

import openpyxl
from django.urls import reverse

from workinggroups.models import WorkingGroup

SLUG = "cambodia-china-fta"


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_chapters_filtered_by_status_as_of_round_two(client, official):
    client.force_login(official)
    url = reverse("dashboards:chapter-list", args=[SLUG])
    response = client.get(url, {"as_of": "round-2", "status": "agreed"})
    titles = {row.record.title for row in response.context["table"].rows}
    assert titles == {
        "Investment Cooperation",
        "Economic Cooperation",
        "Technical Cooperation",
        "Belt and Road Initiative Cooperation",
        "E-commerce",
    }
    contested = client.get(url, {"as_of": "round-2", "contested": "true"})
    assert len(contested.context["table"].rows) == 4


def test_chapters_filtered_by_working_group(client, official, seed):
    group = WorkingGroup.objects.get(agreement=seed, code="NTB")
    client.force_login(official)
    response = client.get(
        reverse("dashboards:chapter-list", args=[SLUG]), {"working_group": group.pk}
    )
    assert {row.record.title for row in response.context["table"].rows} == {
        "Technical Barriers to Trade",
        "Non-Tariff Measures",
    }


def test_chapter_export_has_the_filtered_rows_and_chosen_columns(client, official):
    client.force_login(official)
    response = client.get(
        reverse("dashboards:chapter-list", args=[SLUG]),
        {
            "as_of": "round-2",
            "status": "agreed_in_principle",
            "columns": ["title", "status_at", "contested_at"],
            "export": "csv",
        },
    )
    rows = csv_rows(response)
    assert rows[0] == ["Chapter", "Status", "Contested"]
    assert len(rows) == 1 + 6
    assert ["Rules of Origin", "Agreed in principle", "yes"] in rows
    assert ["Product-Specific Rules", "Agreed in principle", "no"] in rows


def test_contested_points_overdue_filter_and_xlsx(client, official):
    client.force_login(official)
    url = reverse("dashboards:contested-points", args=[SLUG])
    overdue_in_may = client.get(url, {"as_of": "2020-05-20", "overdue": "true"})
    assert len(overdue_in_may.context["table"].rows) == 4
    none_overdue_now = client.get(url, {"overdue": "true"})  # all resolved in June 2020
    assert len(none_overdue_now.context["table"].rows) == 0

    response = client.get(url, {"target_date_after": "2020-05-01", "export": "xlsx"})
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Contested point"
    assert len(rows) == 1 + 4


def test_commitments_filtered_by_party(client, official, seed):
    client.force_login(official)
    china = seed.parties.get(code="CHN")
    response = client.get(
        reverse("dashboards:commitments", args=[SLUG]), {"party": china.pk, "export": "csv"}
    )
    rows = csv_rows(response)
    assert len(rows) == 2
    assert rows[1][0] == "Increase the import of Cambodian agricultural products."
    everything = csv_rows(
        client.get(reverse("dashboards:commitments", args=[SLUG]), {"export": "csv"})
    )
    assert len(everything) == 1 + 10


def test_export_has_nothing_of_other_agreements(client, official, negotiations):
    negotiations(2)
    client.force_login(official)
    rows = csv_rows(client.get(reverse("dashboards:portfolio"), {"export": "csv"}))
    assert [row[0] for row in rows[1:]] == ["Cambodia–China Free Trade Agreement"]
    points = csv_rows(
        client.get(reverse("dashboards:contested-points", args=[SLUG]), {"export": "csv"})
    )
    assert len(points) == 1 + 4


def test_filtering_by_htmx_returns_only_the_table_fragment(client, official):
    client.force_login(official)
    response = client.get(
        reverse("dashboards:chapter-list", args=[SLUG]),
        {"status": "concluded"},
        headers={"HX-Request": "true"},
    )
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="table-fragment"')
    assert "export=csv" in response.text
    assert "status=concluded" in response.text  # the export link keeps the filter


def test_full_page_has_the_filter_form_pushing_its_url(client, official):
    client.force_login(official)
    html = client.get(reverse("dashboards:commitments", args=[SLUG])).text
    assert 'hx-push-url="true"' in html
    for name in ["party", "owner", "status", "overdue", "due_on_after", "due_on_before"]:
        assert f'name="{name}"' in html


def test_sorting_by_a_column(client, official):
    client.force_login(official)
    response = client.get(reverse("dashboards:chapter-list", args=[SLUG]), {"sort": "-title"})
    titles = [row.record.title for row in response.context["table"].rows]
    assert titles == sorted(titles, reverse=True)


def test_contested_points_show_their_state_as_of_the_page(client, official, seed):
    """A point resolved or escalated later shows as it stood then, and filters so."""
    import datetime as dt

    from tests.factories import ContestedPointFactory
    from workinggroups.choices import ContestedPointState
    from workinggroups.models import Chapter, ContestedPoint

    chapter = Chapter.objects.get(working_group__agreement=seed, title="Rules of Origin")
    late = ContestedPointFactory(
        chapter=chapter, title="Escalated in May", opened_on=dt.date(2020, 2, 1)
    )
    ContestedPoint.objects.filter(pk=late.pk).update(
        state=ContestedPointState.ESCALATED,
        escalated_at=dt.datetime(2020, 5, 1, 8, tzinfo=dt.UTC),
    )
    client.force_login(official)
    url = reverse("dashboards:contested-points", args=[SLUG])

    def states(**query):
        table = client.get(url, query).context["table"]
        return {row.record.title: row.get_cell("state") for row in table.rows}

    round_two = states(as_of="round-2")
    assert set(round_two.values()) == {"Open"}  # the seed's four were resolved later
    assert len(round_two) == 5
    assert states(as_of="2020-04-15")["Escalated in May"] == "Open"
    assert states(as_of="2020-05-02")["Escalated in May"] == "Escalated to the chief negotiators"
    assert states()["Escalated in May"] == "Escalated to the chief negotiators"
    assert states(as_of="round-2", state="resolved") == {}
    assert len(states(as_of="round-2", state="open")) == 5
    assert "Resolved" in states().values()


def test_commitments_show_their_status_as_of_the_page(client, official, seed):
    """A commitment delivered later shows as it stood then; one made later is not shown."""
    import datetime as dt

    from negotiations.models import Commitment, CommitmentStatusChange, Meeting
    from negotiations.services import mark_commitment_delivered
    from tests.factories import CommitmentFactory

    plenary = Meeting.objects.filter(agreement=seed, negotiation_round__number=2).first()
    early = CommitmentFactory(meeting=plenary, text="Exchange tariff offers")
    mark_commitment_delivered(commitment=early)
    CommitmentStatusChange.objects.filter(commitment=early).update(
        effective_at=dt.datetime(2020, 6, 1, tzinfo=dt.UTC)
    )
    client.force_login(official)
    url = reverse("dashboards:commitments", args=[SLUG])

    def statuses(**query):
        table = client.get(url, query).context["table"]
        return {row.record.text: row.get_cell("status_at") for row in table.rows}

    assert statuses()["Exchange tariff offers"] == "Delivered"
    assert statuses(as_of="2020-05-01")["Exchange tariff offers"] == "Pledged"
    assert statuses(as_of="2020-06-02")["Exchange tariff offers"] == "Delivered"
    assert statuses(as_of="2020-05-01", status="pledged") == {"Exchange tariff offers": "Pledged"}
    # The 2024 leaders' commitments were not known in 2020.
    later = Commitment.objects.filter(meeting__agreement=seed, meeting__starts_at__year=2024)
    assert later.exists()
    assert not set(later.values_list("text", flat=True)) & set(statuses(as_of="2020-05-01"))


def test_the_dashboard_as_of_a_past_day_lists_no_commitment_made_later(client, official, seed):
    """Overdue commitments as of 2025 do not include one made at a 2026 meeting."""
    import datetime as dt

    from negotiations.models import Meeting
    from tests.factories import CommitmentFactory, MeetingFactory

    later = MeetingFactory(
        agreement=seed,
        starts_at=dt.datetime(2026, 1, 5, 2, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 1, 5, 4, tzinfo=dt.UTC),
    )
    CommitmentFactory(meeting=later, text="Made in 2026", due_on=dt.date(2020, 1, 1))
    assert Meeting.objects.filter(pk=later.pk).exists()
    client.force_login(official)
    url = reverse("dashboards:agreement", args=[SLUG])
    then = client.get(url, {"as_of": "2025-06-01"}).context["overdue_commitments"]
    now = client.get(url).context["overdue_commitments"]
    assert "Made in 2026" not in [c.text for c in then]
    assert "Made in 2026" in [c.text for c in now]
