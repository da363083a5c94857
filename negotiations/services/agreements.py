"""Agreements, their parties at the table and the people who hold roles in them."""

import datetime as dt
import itertools
import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from audit.services import record_create, record_delete, record_save, record_update, snapshot
from negotiations.choices import AgreementKind, AgreementStatus, Role
from negotiations.models import (
    Agreement,
    AgreementStatusChange,
    Delegation,
    Party,
    RoleAssignment,
)

STANDARD_CHAPTERS = Path(settings.BASE_DIR) / "fixtures" / "standard_fta_chapters.json"


class Structure:
    """Where a new agreement's working groups and chapters come from."""

    STANDARD = "standard"
    COPY = "copy"
    EMPTY = "empty"


def standard_structure() -> list[dict]:
    """The usual chapters of a modern FTA, grouped into working groups: [{name, code,
    chapters: [title, …]}, …], as shipped in `fixtures/standard_fta_chapters.json`."""
    return json.loads(STANDARD_CHAPTERS.read_text("utf-8"))["working_groups"]


def structure_of(agreement: Agreement) -> list[dict]:
    """Another agreement's working groups and chapter titles, in the same shape."""
    from workinggroups.models import WorkingGroup

    groups = WorkingGroup.objects.filter(agreement=agreement).prefetch_related("chapters")
    return [
        {
            "name": group.name,
            "code": group.code,
            "chapters": [c.title for c in sorted(group.chapters.all(), key=lambda c: c.order)],
        }
        for group in groups.order_by("order", "name")
    ]


def _unique_slug(short_name: str) -> str:
    base = slugify(short_name)[:50] or "agreement"
    slug, n = base, 2
    while Agreement.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_party(*, name: str, code: str, capital_time_zone: str, by=None) -> Party:
    party = Party(name=name.strip(), code=code.strip().upper(), capital_time_zone=capital_time_zone)
    party.full_clean()
    with transaction.atomic():
        party.save()
        record_create(instance=party, actor=by)
    return party


def add_delegation(
    *, agreement: Agreement, party: Party, by=None, head_name: str = "", head_title: str = ""
) -> Delegation:
    delegation = Delegation(
        agreement=agreement,
        party=party,
        head_name=head_name.strip(),
        head_title=head_title.strip(),
    )
    delegation.full_clean()
    with transaction.atomic():
        seated = Delegation.objects.select_for_update().filter(agreement=agreement).count()
        if agreement.kind == AgreementKind.BILATERAL and seated >= 2:
            raise ValidationError(
                {"party": _("A bilateral agreement has exactly two parties.")}, code="bilateral"
            )
        delegation.save()
        record_create(instance=delegation, actor=by)
    return delegation


def update_delegation(
    *,
    delegation: Delegation,
    by=None,
    head_name: str = "",
    head_title: str = "",
    expected_fingerprint: str | None = None,
) -> Delegation:
    from workinggroups.services import read_unchanged

    with transaction.atomic():
        current = read_unchanged(Delegation, delegation.pk, expected_fingerprint)
        before = snapshot(current)
        current.head_name, current.head_title = head_name.strip(), head_title.strip()
        current.full_clean()
        current.save()
        record_update(instance=current, before=before, actor=by)
    return current


def remove_delegation(*, delegation: Delegation, by=None) -> None:
    """Take a party from the table; refused while anything of the agreement refers to it."""
    from workinggroups.models import Membership, Position

    agreement_id, party_id = delegation.agreement_id, delegation.party_id
    in_use = (
        RoleAssignment.objects.filter(agreement_id=agreement_id, party_id=party_id).exists()
        or Membership.objects.filter(
            working_group__agreement_id=agreement_id, party_id=party_id
        ).exists()
        or Position.objects.filter(
            contested_point__chapter__working_group__agreement_id=agreement_id, party_id=party_id
        ).exists()
        or delegation.agreement.meetings.filter(host_party_id=party_id).exists()
        or delegation.agreement.rounds.filter(host_party_id=party_id).exists()
        or delegation.agreement.meetings.filter(commitments__party_id=party_id).exists()
    )
    remaining = Delegation.objects.filter(agreement_id=agreement_id).exclude(pk=delegation.pk)
    if remaining.count() < 2:
        raise ValidationError(
            _("%(party)s cannot leave the table: an agreement has at least two parties.")
            % {"party": delegation.party.name}
        )
    if in_use:
        raise ValidationError(
            _(
                "%(party)s cannot leave the table: people, positions, meetings or commitments "
                "of this agreement refer to it."
            )
            % {"party": delegation.party.name}
        )
    with transaction.atomic():
        record_delete(instance=delegation, actor=by)
        delegation.delete()


def _refuse_the_last_secretariat(assignment: RoleAssignment, field: str | None = None) -> None:
    """Refuse to take the secretariat role from its last holder in the agreement: nobody
    would be left to run it."""
    if assignment.role != Role.SECRETARIAT:
        return
    others = RoleAssignment.objects.filter(
        agreement_id=assignment.agreement_id, role=Role.SECRETARIAT
    ).exclude(pk=assignment.pk)
    if not others.exists():
        message = _("An agreement keeps at least one secretariat: appoint another one first.")
        raise ValidationError({field: message} if field else message)


def assign_role(
    *, agreement: Agreement, user, role: str, by=None, party: Party | None = None
) -> RoleAssignment:
    """Give a person their (one) role in the agreement, or change it."""
    with transaction.atomic():
        assignment = (
            RoleAssignment.objects.select_for_update()
            .filter(agreement=agreement, user=user)
            .first()
        )
        before = snapshot(assignment) if assignment else None
        if assignment is None:
            assignment = RoleAssignment(agreement=agreement, user=user)
        elif role != Role.SECRETARIAT:
            _refuse_the_last_secretariat(assignment, field="role")
        assignment.role, assignment.party = role, party
        assignment.full_clean()
        if party is not None and not agreement.delegations.filter(party=party).exists():
            raise ValidationError({"party": _("This party is not at this agreement's table.")})
        assignment.save()
        record_save(instance=assignment, before=before, actor=by)
    return assignment


def remove_role(*, assignment: RoleAssignment, by=None) -> None:
    """Take a person off the agreement: their role and their seats in its working groups."""
    from workinggroups.models import Membership

    agreement = assignment.agreement
    with transaction.atomic():
        _refuse_the_last_secretariat(assignment)
        for membership in Membership.objects.filter(
            working_group__agreement=agreement, user_id=assignment.user_id
        ):
            record_delete(instance=membership, actor=by)
            membership.delete()
        record_delete(instance=assignment, actor=by)
        assignment.delete()


def create_agreement(
    *,
    by,
    name: str,
    short_name: str,
    kind: str = AgreementKind.BILATERAL,
    description: str = "",
    launched_on: dt.date | None = None,
    target_conclusion_on: dt.date | None = None,
    parties: list[dict] = (),
    structure: str = Structure.STANDARD,
    copy_from: Agreement | None = None,
) -> Agreement:
    """Open a new agreement: its parties at the table (each {party, head_name, head_title}),
    its working groups and chapters (the standard set, a copy of `copy_from`, or none), and
    the person who opened it as its secretariat, so that it never drops out of their sight."""
    from workinggroups.services import create_chapter, create_working_group

    if structure == Structure.COPY and copy_from is None:
        raise ValidationError({"copy_from": _("Choose the agreement whose structure to copy.")})
    agreement = Agreement(
        name=name.strip(),
        short_name=short_name.strip(),
        slug=_unique_slug(short_name),
        kind=kind,
        description=description.strip(),
        status=AgreementStatus.LAUNCHED,
        launched_on=launched_on,
        target_conclusion_on=target_conclusion_on,
    )
    agreement.full_clean()
    if kind == AgreementKind.BILATERAL and len(parties) not in (0, 2):
        raise ValidationError({"parties": _("A bilateral agreement has exactly two parties.")})
    if kind == AgreementKind.PLURILATERAL and parties and len(parties) < 2:
        raise ValidationError({"parties": _("An agreement has at least two parties.")})
    with transaction.atomic():
        agreement.save()
        record_create(instance=agreement, actor=by)
        align_status_history(agreement=agreement, by=by)
        for delegation in parties:
            add_delegation(agreement=agreement, by=by, **delegation)
        if by is not None and by.is_authenticated:
            assign_role(agreement=agreement, user=by, role=Role.SECRETARIAT, by=by)
        groups = {
            Structure.STANDARD: standard_structure,
            Structure.COPY: lambda: structure_of(copy_from),
            Structure.EMPTY: list,
        }[structure]()
        for group_order, group in enumerate(groups, start=1):
            working_group = create_working_group(
                agreement=agreement,
                name=group["name"],
                code=group["code"],
                order=group_order,
                by=by,
            )
            for chapter_order, title in enumerate(group["chapters"], start=1):
                create_chapter(working_group=working_group, title=title, order=chapter_order, by=by)
    return agreement


# The fields of an agreement that its settings page changes.
AGREEMENT_FIELDS = (
    "name",
    "short_name",
    "kind",
    "description",
    "status",
    "launched_on",
    "target_conclusion_on",
    "concluded_on",
    "signed_on",
    "in_force_on",
)


def update_agreement(
    *, agreement: Agreement, by=None, expected_fingerprint: str | None = None, **fields
) -> Agreement:
    """Change the agreement's details; refused with `EditConflict` if someone saved it since
    the person's form was opened (`expected_fingerprint`, from workinggroups.services)."""
    from workinggroups.services import read_unchanged

    unknown = set(fields) - set(AGREEMENT_FIELDS)
    if unknown:
        raise TypeError(f"update_agreement() got unexpected fields: {sorted(unknown)}")
    with transaction.atomic():
        current = read_unchanged(Agreement, agreement.pk, expected_fingerprint)
        before = snapshot(current)
        for name, value in fields.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        current.full_clean()
        current.save()
        record_update(instance=current, before=before, actor=by)
        align_status_history(agreement=current, by=by)
    return current


# The agreement's life, in order: a status earlier than the last recorded one is a step back.
LIFECYCLE = list(AgreementStatus)
# The day each status is reached, where the agreement records it.
MILESTONE_FIELDS = {
    AgreementStatus.LAUNCHED: "launched_on",
    AgreementStatus.CONCLUDED: "concluded_on",
    AgreementStatus.SIGNED: "signed_on",
    AgreementStatus.IN_FORCE: "in_force_on",
}


def milestone_day(agreement: Agreement, status: str) -> dt.date | None:
    """The day `agreement` reached `status`, as it records it: its milestone date, or for
    "under negotiation" the first day of its first round (else its launch)."""
    if status in MILESTONE_FIELDS:
        return getattr(agreement, MILESTONE_FIELDS[status])
    first = agreement.rounds.order_by("starts_on").values_list("starts_on", flat=True).first()
    return first or agreement.launched_on


def align_status_history(*, agreement: Agreement, by=None, on: dt.date | None = None) -> None:
    """Make the agreement's status history say what its status and milestone dates say, the
    one writer of that history: each step of the lifecycle up to the current status, on its
    day (a corrected milestone date moves its step); a status earlier than the last recorded
    is a step back, on `on` (today by default). Running it again changes nothing."""
    today = on or timezone.localdate()
    history = list(agreement.status_changes.order_by("effective_on", "pk"))
    current = AgreementStatus(agreement.status)
    if history and LIFECYCLE.index(current) < LIFECYCLE.index(history[-1].to_status):
        _step(agreement, history[-1].to_status, current, today, by)
        return
    if (
        history
        and history[-1].to_status == current
        and any(
            LIFECYCLE.index(b.to_status) < LIFECYCLE.index(a.to_status)
            for a, b in itertools.pairwise(history)
        )
    ):
        return  # back on a path that went back before: its own rows tell it
    recorded = {row.to_status: row for row in history}
    previous, previous_day = "", None
    for status in LIFECYCLE[: LIFECYCLE.index(current) + 1]:
        day = milestone_day(agreement, status)
        if day is None:
            if status != current:
                continue  # a step the record does not date is left out, not invented
            day = recorded[status].effective_on if status in recorded else today
        if previous_day and day < previous_day:
            day = previous_day
        row = recorded.get(status)
        if row is None:
            _step(agreement, previous, status, day, by)
        elif row.effective_on != day or row.from_status != previous:
            before = snapshot(row)
            row.effective_on, row.from_status = day, previous
            row.save(update_fields=["effective_on", "from_status"])
            record_update(instance=row, before=before, actor=by)
        previous, previous_day = status, day
    # Steps beyond the current status (a milestone date cleared): no longer true.
    for status, row in recorded.items():
        if LIFECYCLE.index(status) > LIFECYCLE.index(current):
            record_delete(instance=row, actor=by)
            row.delete()


def _step(agreement, from_status, to_status, day, by) -> AgreementStatusChange:
    row = AgreementStatusChange.objects.create(
        agreement=agreement,
        from_status=from_status,
        to_status=to_status,
        effective_on=day,
        changed_by=by if getattr(by, "pk", None) else None,
    )
    record_create(instance=row, actor=by)
    return row
