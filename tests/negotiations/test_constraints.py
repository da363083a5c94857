"""Rules that span fields are enforced by the database itself, whatever door a write uses."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from negotiations.choices import Role, RoundMode
from negotiations.models import Delegation, NegotiationRound, Party, RoleAssignment
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    ContestedPointFactory,
    DeadlineFactory,
    MeetingFactory,
    MembershipFactory,
    NegotiationRoundFactory,
    PartyFactory,
    UserFactory,
)
from workinggroups.choices import ContestedPointState, MembershipRole
from workinggroups.models import ChapterStatusChange

pytestmark = pytest.mark.django_db


def refused(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_round_number_is_unique_per_agreement():
    first = NegotiationRoundFactory(number=2)
    refused(NegotiationRoundFactory, agreement=first.agreement, number=2)
    NegotiationRoundFactory(number=2)  # another agreement may have its own second round


def test_round_cannot_end_before_it_starts():
    refused(NegotiationRoundFactory, starts_on=dt.date(2020, 6, 10), ends_on=dt.date(2020, 6, 8))


def test_round_number_must_be_positive():
    refused(NegotiationRoundFactory, number=0)


def test_in_person_round_needs_a_host():
    refused(NegotiationRoundFactory, mode=RoundMode.IN_PERSON, host_party=None)
    agreement = AgreementFactory()
    NegotiationRoundFactory(
        agreement=agreement, mode=RoundMode.IN_PERSON, host_party=agreement.parties.first()
    )
    assert NegotiationRound.objects.filter(agreement=agreement).count() == 1


def test_meeting_must_end_after_it_starts():
    start = dt.datetime(2020, 6, 8, 2, tzinfo=dt.UTC)
    refused(MeetingFactory, starts_at=start, ends_at=start)
    refused(MeetingFactory, starts_at=start, ends_at=start - dt.timedelta(hours=1))


@pytest.mark.parametrize(
    ("field", "earlier"),
    [
        ("concluded_on", "launched_on"),
        ("signed_on", "concluded_on"),
        ("in_force_on", "signed_on"),
    ],
)
def test_agreement_milestones_come_in_order(field, earlier):
    refused(
        AgreementFactory,
        **{earlier: dt.date(2020, 7, 20), field: dt.date(2020, 7, 19)},
    )


def test_a_party_has_one_delegation_per_agreement():
    agreement = AgreementFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delegation.objects.create(agreement=agreement, party=agreement.parties.first())


def test_a_person_holds_one_role_per_agreement():
    agreement, user = AgreementFactory(), UserFactory()
    RoleAssignment.objects.create(user=user, agreement=agreement, role=Role.OFFICIAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, agreement=agreement, role=Role.NEGOTIATOR)


def test_a_working_group_has_one_lead_per_party():
    lead = MembershipFactory(role=MembershipRole.LEAD)
    refused(
        MembershipFactory,
        working_group=lead.working_group,
        party=lead.party,
        role=MembershipRole.LEAD,
    )
    MembershipFactory(working_group=lead.working_group, party=lead.party)  # members are many


def test_a_status_change_must_change_something():
    chapter = ChapterFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ChapterStatusChange.objects.create(
            chapter=chapter, from_status="agreed", to_status="agreed"
        )


def test_a_deadline_has_a_done_date_only_when_done():
    refused(DeadlineFactory, done=False, done_on=dt.date(2020, 5, 15))


def test_a_contested_point_has_a_resolution_date_exactly_when_resolved():
    refused(ContestedPointFactory, state=ContestedPointState.RESOLVED, resolved_on=None)
    refused(ContestedPointFactory, state=ContestedPointState.OPEN, resolved_on=dt.date(2020, 6, 1))
    refused(
        ContestedPointFactory,
        state=ContestedPointState.RESOLVED,
        opened_on=dt.date(2020, 6, 1),
        resolved_on=dt.date(2020, 5, 1),
    )


def test_party_code_is_unique():
    PartyFactory(code="KHM", name="Cambodia")
    with pytest.raises(IntegrityError), transaction.atomic():
        Party.objects.create(code="KHM", name="Kampuchea", capital_time_zone="UTC")
