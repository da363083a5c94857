"""factory_boy factories for every model; tests build only what they assert on."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from negotiations.choices import MeetingKind, Role, RoundMode
from negotiations.models import (
    Agreement,
    Commitment,
    Deadline,
    Delegation,
    Meeting,
    NegotiationRound,
    Party,
    RoleAssignment,
)
from workinggroups.models import Chapter, ContestedPoint, Membership, WorkingGroup

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"X{n:02d}"[-3:])
    name = factory.Sequence(lambda n: f"Party {n}")
    capital_time_zone = "Asia/Phnom_Penh"


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Agreement {n}")
    short_name = factory.Sequence(lambda n: f"FTA {n}")
    slug = factory.Sequence(lambda n: f"fta-{n}")
    status = "under_negotiation"
    # Tests seat more parties than two at will; bilateral agreements say so.
    kind = "plurilateral"

    @factory.post_generation
    def parties(self, create, extracted, **kwargs):
        for party in extracted if extracted is not None else [PartyFactory(), PartyFactory()]:
            Delegation.objects.create(agreement=self, party=party)


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    agreement = factory.SubFactory(AgreementFactory)
    role = Role.NEGOTIATOR


class NegotiationRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NegotiationRound

    agreement = factory.SubFactory(AgreementFactory)
    number = factory.Sequence(lambda n: n + 1)
    starts_on = dt.date(2020, 4, 8)
    ends_on = dt.date(2020, 4, 9)
    mode = RoundMode.VIDEO_CONFERENCE


class WorkingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingGroup

    agreement = factory.SubFactory(AgreementFactory)
    name = factory.Sequence(lambda n: f"Working group {n}")
    code = factory.Sequence(lambda n: f"WG{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    working_group = factory.SubFactory(WorkingGroupFactory)
    user = factory.SubFactory(UserFactory)
    party = factory.LazyAttribute(lambda o: o.working_group.agreement.parties.first())


class ChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chapter

    working_group = factory.SubFactory(WorkingGroupFactory)
    title = factory.Sequence(lambda n: f"Chapter {n}")


class ContestedPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContestedPoint

    chapter = factory.SubFactory(ChapterFactory)
    title = factory.Sequence(lambda n: f"Contested point {n}")
    opened_on = dt.date(2020, 4, 9)
    target_date = dt.date(2020, 5, 15)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    agreement = factory.SubFactory(AgreementFactory)
    kind = MeetingKind.WORKING_GROUP
    title = factory.Sequence(lambda n: f"Meeting {n}")
    starts_at = dt.datetime(2020, 4, 8, 2, 0, tzinfo=dt.UTC)
    ends_at = dt.datetime(2020, 4, 8, 4, 0, tzinfo=dt.UTC)
    time_zone = "Asia/Phnom_Penh"


class DeadlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deadline

    agreement = factory.SubFactory(AgreementFactory)
    title = factory.Sequence(lambda n: f"Deadline {n}")
    due_on = dt.date(2020, 5, 15)


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    meeting = factory.SubFactory(MeetingFactory)
    text = factory.Sequence(lambda n: f"Commitment {n}")
