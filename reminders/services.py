"""Writes: the scan that fills the ledger, and the sending that empties it, exactly once.

A reminder goes through the ledger (`Reminder`) as: created once by the scan (a unique
constraint per target as scheduled, recipient and lead time), claimed by a conditional update
(pending, or a claim older than the lease), sent over the batch's one SMTP connection, and
marked sent with the claim it was sent under. A failure releases the claim with a later
attempt time; after REMINDERS_MAX_ATTEMPTS it is marked failed for the secretariat to see.
"""

import contextlib
import datetime as dt
import logging
import smtplib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from audit.services import record_save, snapshot
from negotiations.models import Delegation
from reminders import selectors
from reminders.choices import (
    NEEDS_ATTENTION_STATUSES,
    NOTICE_KIND,
    NOTICE_OF,
    Delivery,
    ReminderKind,
    ReminderStatus,
)
from reminders.emails import build_message
from reminders.models import LeadTimes, Preference, Reminder, TargetRevision

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# The scan
# ---------------------------------------------------------------------------------------------
def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.REMINDERS_CLAIM_LEASE_SECONDS)


@dataclass(frozen=True)
class Change:
    """A target the scan found changed: how it stood when last seen, and its new revision."""

    kind: str
    target: object
    before: dict
    revision: int


def _revisions(targets: dict, now: dt.datetime) -> tuple[dict, list[Change]]:
    """The revision rows of these targets ({(kind, id): target}), each bumped (once, whoever
    scans) when its schedule changed since the last scan, and the changes found. A few queries
    for all of them, whatever their number."""
    states = {key: selectors.state(key[0], target) for key, target in targets.items()}
    fingerprints = {key: selectors.fingerprint_of(found) for key, found in states.items()}
    by_kind = defaultdict(list)
    for kind, pk in targets:
        by_kind[kind].append(pk)

    def known():
        query = Q(pk__in=[])
        for kind, ids in by_kind.items():
            query |= Q(kind=kind, target_id__in=ids)
        return {(r.kind, r.target_id): r for r in TargetRevision.objects.filter(query)}

    rows = known()
    new = [
        TargetRevision(
            kind=kind, target_id=pk, fingerprint=fingerprints[(kind, pk)], state=states[(kind, pk)]
        )
        for kind, pk in targets
        if (kind, pk) not in rows
    ]
    # Another scan may create the same rows meanwhile: the constraint keeps one of each.
    TargetRevision.objects.bulk_create(new, ignore_conflicts=True)
    changes = []
    for key, row in rows.items():
        if row.fingerprint == fingerprints[key]:
            continue
        # Conditional, so that two scans seeing the same change bump the revision once.
        bumped = TargetRevision.objects.filter(pk=row.pk, fingerprint=row.fingerprint).update(
            fingerprint=fingerprints[key],
            state=states[key],
            changed_at=now,
            revision=F("revision") + 1,
        )
        if bumped:
            changes.append(Change(key[0], targets[key], row.state, row.revision + 1))
    if new or changes:
        rows = known()
    return rows, changes


def _send_after(
    mode: str, due_at: dt.datetime, now: dt.datetime, recipient, preference
) -> dt.datetime:
    if mode != Delivery.DIGEST:
        return due_at
    return selectors.next_digest_moment(
        max(due_at, now - dt.timedelta(hours=1)), recipient.zone, preference.digest_hour
    )


def _announce(change: Change, now: dt.datetime) -> int:
    """Withdraw what was planned for the target as it stood, and write one notice per person
    it concerns (none for an edit of what was, and stays, cancelled)."""
    kind, target = change.kind, change.target
    notice_kind = NOTICE_KIND[kind]
    # Reminders planned for the old moment, and notices of a change that came to nothing
    # before they left: withdrawn, the notice of this change replaces them.
    Reminder.objects.filter(
        kind=kind, target_id=target.pk, revision__lt=change.revision, status=ReminderStatus.PENDING
    ).update(status=ReminderStatus.SKIPPED, note="target moved")
    earlier = {
        r.recipient_id: r
        for r in Reminder.objects.filter(
            kind=notice_kind,
            target_id=target.pk,
            revision__lt=change.revision,
            status=ReminderStatus.PENDING,
        )
    }
    Reminder.objects.filter(pk__in=[r.pk for r in earlier.values()]).update(
        status=ReminderStatus.SKIPPED, note="changed again"
    )
    after = selectors.state(kind, target)
    if kind == ReminderKind.MEETING and change.before.get("cancelled") and after["cancelled"]:
        return 0
    people = list(selectors.recipients(kind, target))
    prefs = selectors.preferences({p.pk for p in people})
    # News that waits for a digest must not arrive after the meeting it is about.
    starts = [
        dt.datetime.fromisoformat(value)
        for value in (change.before.get("starts_at"), after.get("starts_at"))
        if value
    ]
    rows = []
    for person in people:
        mode = selectors.delivery(prefs[person.pk], notice_kind)
        if mode == Delivery.OFF:
            continue
        send_after = _send_after(mode, now, now, person, prefs[person.pk])
        digest = mode == Delivery.DIGEST
        if digest and starts and send_after >= min(starts) - dt.timedelta(hours=1):
            send_after, digest = now, False
        told = earlier.get(person.pk)
        rows.append(
            Reminder(
                agreement_id=selectors.agreement_id_of(kind, target),
                recipient=person,
                kind=notice_kind,
                target_id=target.pk,
                revision=change.revision,
                offset_days=0,
                target_at=selectors.target_at(kind, target),
                due_at=now,
                send_after=send_after,
                digest=digest,
                change={
                    "before": told.change.get("before", change.before) if told else change.before,
                    "after": after,
                },
            )
        )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def track_changes(*, now: dt.datetime) -> int:
    """Find every meeting and deadline moved (or meeting cancelled) since the last scan, from
    the stored state, whatever made the change; returns how many notices were written."""
    targets = {(kind, target.pk): target for kind, target in selectors.watched_targets(now)}
    if not targets:
        return 0
    _rows, changes = _revisions(targets, now)
    return sum(_announce(change, now) for change in changes)


def materialise(*, now: dt.datetime) -> int:
    """Create the ledger rows for every reminder due at `now`; returns how many are new."""
    found = list(selectors.due_reminders(now))
    if not found:
        return 0
    prefs = selectors.preferences({due.recipient_id for due, _, _ in found})
    revisions, _changes = _revisions(
        {(due.kind, due.target_id): target for due, target, _ in found}, now
    )
    rows = []
    for due, _target, recipient in found:
        mode = selectors.delivery(prefs[due.recipient_id], due.kind)
        if mode == Delivery.OFF:
            continue
        key = (due.kind, due.target_id)
        changed_at = revisions[key].changed_at
        if due.kind in NOTICE_KIND and changed_at is not None and due.due_at <= changed_at:
            continue  # its moment passed before the change: the change's notice told of it
        send_after = _send_after(mode, due.due_at, now, recipient, prefs[due.recipient_id])
        rows.append(
            Reminder(
                agreement_id=due.agreement_id,
                recipient_id=due.recipient_id,
                kind=due.kind,
                target_id=due.target_id,
                revision=revisions[key].revision,
                offset_days=due.offset_days,
                target_at=due.target_at,
                due_at=due.due_at,
                send_after=send_after,
                digest=mode == Delivery.DIGEST,
            )
        )
    ledger = Reminder.objects.filter(
        kind__in={r.kind for r in rows}, target_id__in={r.target_id for r in rows}
    ).values_list("kind", "target_id", "revision", "recipient_id", "offset_days", "status")
    existing, sent_before = set(), set()
    for kind, target_id, revision, recipient_id, offset_days, status in ledger:
        existing.add((kind, target_id, revision, recipient_id, offset_days))
        # A lead time already sent before the target moved is not sent again: the next one,
        # at the new time, tells of the move.
        if status == ReminderStatus.SENT:
            sent_before.add((kind, target_id, recipient_id, offset_days))
    new = [
        r
        for r in rows
        if (r.kind, r.target_id, r.revision, r.recipient_id, r.offset_days) not in existing
        and (r.kind, r.target_id, r.recipient_id, r.offset_days) not in sent_before
    ]
    # Another scan may insert the same rows meanwhile: the constraint keeps one of each.
    Reminder.objects.bulk_create(new, ignore_conflicts=True)
    # What the new rows replace: an earlier lead time, or the target as it was before a move;
    # one update for all the recipients of a target's new lead time.
    replacing = defaultdict(list)
    for r in new:
        replacing[(r.kind, r.target_id, r.revision, r.offset_days)].append(r.recipient_id)
    for (kind, target_id, revision, offset_days), recipient_ids in replacing.items():
        Reminder.objects.filter(
            kind=kind,
            target_id=target_id,
            recipient_id__in=recipient_ids,
            status=ReminderStatus.PENDING,
        ).filter(
            Q(revision__lt=revision) | Q(revision=revision, offset_days__gt=offset_days)
        ).update(status=ReminderStatus.SKIPPED, note="superseded")
    return len(new)


def _ready(now: dt.datetime):
    """Rows that may be sent now: pending and due, or claimed by a sender that vanished."""
    return Reminder.objects.filter(
        Q(
            status=ReminderStatus.PENDING,
            send_after__lte=now,
        )
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        | Q(status=ReminderStatus.SENDING, claimed_at__lt=now - _lease())
    )


def dispatch(*, now: dt.datetime) -> list[list[int]]:
    """Batches of ready reminder ids, a recipient's digest kept in one batch."""
    ready = list(
        _ready(now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - _lease()))
        .order_by("recipient_id", "digest", "pk")
        .values_list("pk", "recipient_id", "digest")
    )
    if not ready:
        return []
    Reminder.objects.filter(pk__in=[pk for pk, _, _ in ready]).update(queued_at=now)
    groups = defaultdict(list)
    for pk, recipient_id, digest in ready:
        groups[(recipient_id, digest) if digest else pk].append(pk)
    batches, batch = [], []
    for ids in groups.values():
        if batch and len(batch) + len(ids) > settings.REMINDERS_BATCH_SIZE:
            batches.append(batch)
            batch = []
        batch.extend(ids)
    if batch:
        batches.append(batch)
    return batches


def scan(*, now: dt.datetime | None = None) -> list[list[int]]:
    """Fill the ledger for `now` and return the batches of reminders to send."""
    now = now or timezone.now()
    with transaction.atomic():
        noticed = track_changes(now=now)
        created = materialise(now=now)
    batches = dispatch(now=now)
    logger.info(
        "Reminder scan: %d notices, %d reminders new, %d batches to send",
        noticed,
        created,
        len(batches),
    )
    return batches


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    retry_in: float = 0


class _TemporaryFailure(Exception):
    pass


class _PermanentFailure(Exception):
    pass


def _claim(pk: int, now: dt.datetime) -> uuid.UUID | None:
    token = uuid.uuid4()
    claimed = (
        _ready(now)
        .filter(pk=pk)
        .update(
            status=ReminderStatus.SENDING,
            claimed_at=now,
            claim_token=token,
            attempts=F("attempts") + 1,
        )
    )
    return token if claimed else None


def _why_not(
    reminder: Reminder, target, preference: Preference, now: dt.datetime, concerned: dict
) -> str:
    """Why this reminder should no longer go out, or an empty string. `concerned` caches,
    for the batch, the people each target concerns."""
    kind = reminder.kind
    if target is None:
        return "target deleted"
    if kind in NOTICE_OF:
        # A later change makes this notice stale: the next scan writes one with the news.
        if selectors.state(NOTICE_OF[kind], target) != reminder.change.get("after"):
            return "changed again"
        if kind == ReminderKind.MEETING_CHANGE and target.starts_at <= now:
            return "meeting started"
    elif selectors.target_at(kind, target) != reminder.target_at:
        return "target moved"
    if not selectors.still_concerns(kind, target):
        return "no longer needed"
    late = selectors.too_late(kind, target, reminder.offset_days, reminder.recipient, now)
    if late:
        return late
    if selectors.delivery(preference, kind) == Delivery.OFF:
        return "opted out"
    key = (kind, target.pk)
    if key not in concerned:
        concerned[key] = set(selectors.recipients(kind, target).values_list("pk", flat=True))
    if reminder.recipient_id not in concerned[key]:
        return "no longer concerned"
    return ""


def _targets(reminders) -> dict:
    by_kind = defaultdict(set)
    for r in reminders:
        by_kind[r.kind].add(r.target_id)
    related = {
        ReminderKind.MEETING: ["agreement"],
        ReminderKind.DEADLINE: ["agreement", "working_group"],
        ReminderKind.CONTESTED_POINT: ["chapter__working_group__agreement"],
        ReminderKind.COMMITMENT: ["meeting__agreement", "party"],
        ReminderKind.ESCALATION: ["chapter__working_group__agreement", "escalated_by"],
        ReminderKind.MEETING_CHANGE: ["agreement"],
        ReminderKind.DEADLINE_CHANGE: ["agreement", "working_group"],
    }
    # What a meeting's email shows: its groups, and each party's local time.
    meeting_prefetch = [
        "working_groups",
        Prefetch("agreement__delegations", queryset=Delegation.objects.select_related("party")),
    ]
    prefetch = {
        ReminderKind.MEETING: meeting_prefetch,
        ReminderKind.MEETING_CHANGE: meeting_prefetch,
    }
    found = {}
    for kind, ids in by_kind.items():
        model = selectors.MODELS[kind]
        targets = (
            model.objects.filter(pk__in=ids)
            .select_related(*related[kind])
            .prefetch_related(*prefetch.get(kind, []))
        )
        for target in targets:
            found[(kind, target.pk)] = target
    return found


def _backoff(attempts: int) -> dt.timedelta:
    seconds = settings.REMINDERS_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    # Never far ahead: a long countdown on Redis is redelivered after its visibility timeout.
    return dt.timedelta(seconds=min(seconds, 30 * 60))


def _release(claims, error: str, now: dt.datetime, *, permanent: bool, outcome: Outcome):
    for reminder, token in claims:
        attempts = reminder.attempts
        gives_up = permanent or attempts >= settings.REMINDERS_MAX_ATTEMPTS
        Reminder.objects.filter(pk=reminder.pk, claim_token=token).update(
            status=ReminderStatus.FAILED if gives_up else ReminderStatus.PENDING,
            next_attempt_at=None if gives_up else now + _backoff(attempts),
            queued_at=None,  # the next scan after the back-off may queue it again
            note=error[:2000],
        )
        if gives_up:
            logger.error("Reminder %s failed for good: %s", reminder.pk, error)
            outcome.failed.append(reminder.pk)
        else:
            outcome.retry.append(reminder.pk)
            wait = _backoff(attempts).total_seconds()
            outcome.retry_in = min(outcome.retry_in or wait, wait)


def _send(connection, message):
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        exc = _PermanentFailure if codes and min(codes) >= 500 else _TemporaryFailure
        raise exc(f"recipient refused: {error.recipients}") from error
    except smtplib.SMTPResponseException as error:
        exc = _PermanentFailure if error.smtp_code >= 500 else _TemporaryFailure
        raise exc(f"{error.smtp_code} {error.smtp_error!r}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise _TemporaryFailure(f"{type(error).__name__}: {error}") from error


class _Connection:
    """The batch's one SMTP connection, opened when there is something to send."""

    def __init__(self):
        self.backend = None

    def get(self):
        if self.backend is None:
            self.backend = mail.mailers["default"]
            try:
                self.backend.open()
            except (smtplib.SMTPException, OSError) as error:
                self.backend = None
                raise _TemporaryFailure(f"{type(error).__name__}: {error}") from error
        return self.backend

    def drop(self):
        if self.backend is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.backend.close()
            self.backend = None


def send_reminders(*, reminder_ids: list[int], now: dt.datetime | None = None) -> Outcome:
    """Send these reminders, each at most once; safe to call twice, concurrently or not."""
    outcome = Outcome()
    rows = {
        r.pk: r for r in Reminder.objects.filter(pk__in=reminder_ids).select_related("recipient")
    }
    targets = _targets(rows.values())
    prefs = selectors.preferences({r.recipient_id for r in rows.values()})
    # Each message is one reminder, or a recipient's digest: a list of reminders.
    messages = []
    digests = defaultdict(list)
    for pk in reminder_ids:
        if pk not in rows:
            continue
        if rows[pk].digest:
            digests[rows[pk].recipient_id].append(rows[pk])
        else:
            messages.append([rows[pk]])
    messages.extend(digests.values())

    concerned = {}
    connection = _Connection()
    try:
        for position, group in enumerate(messages):
            moment = now or timezone.now()
            claims = []
            for reminder in group:
                token = _claim(reminder.pk, moment)
                if token is None:
                    continue  # sent, being sent by someone else, or not due
                reminder.attempts += 1
                target = targets.get((reminder.kind, reminder.target_id))
                reason = _why_not(reminder, target, prefs[reminder.recipient_id], moment, concerned)
                if reason:
                    Reminder.objects.filter(pk=reminder.pk, claim_token=token).update(
                        status=ReminderStatus.SKIPPED, note=reason
                    )
                    outcome.skipped.append(reminder.pk)
                else:
                    claims.append((reminder, token))
            if not claims:
                continue  # nothing left to say: no empty email
            try:
                message = build_message(
                    recipient=group[0].recipient,
                    items=[(r, targets[(r.kind, r.target_id)]) for r, _ in claims],
                    now=moment,
                )
                message.message()  # the headers are checked here, not halfway through sending
            except Exception as error:
                # One record that cannot make an email (a line break in a title, say) fails
                # visibly, with its reason; the rest of the batch goes on.
                logger.exception("Reminder message could not be built")
                reason = f"could not build the email: {type(error).__name__}: {error}"
                _release(claims, reason, moment, permanent=True, outcome=outcome)
                continue
            try:
                _send(connection.get(), message)
            except _PermanentFailure as error:
                _release(claims, str(error), moment, permanent=True, outcome=outcome)
                continue
            except _TemporaryFailure as error:
                # The server is unwell: stop here, and try this and the rest again later.
                connection.drop()
                _release(claims, str(error), moment, permanent=False, outcome=outcome)
                rest = [r.pk for later in messages[position + 1 :] for r in later]
                Reminder.objects.filter(pk__in=rest).update(queued_at=None)
                outcome.retry.extend(rest)
                outcome.retry_in = outcome.retry_in or _backoff(1).total_seconds()
                break
            # The window: a crash here, after the server accepted the message and before this
            # update commits, leaves the claim to expire and the reminder to be sent again.
            sent_at = timezone.now()
            for reminder, token in claims:
                marked = Reminder.objects.filter(
                    pk=reminder.pk, claim_token=token, status=ReminderStatus.SENDING
                ).update(status=ReminderStatus.SENT, sent_at=sent_at, note="")
                if marked:
                    outcome.sent.append(reminder.pk)
                else:
                    logger.warning("Reminder %s: claim lost while sending", reminder.pk)
    finally:
        connection.drop()
    return outcome


def resend(*, reminder_ids: list[int], now: dt.datetime | None = None) -> int:
    """Put failed (or skipped) reminders back in the queue, as the secretariat asks."""
    now = now or timezone.now()
    return Reminder.objects.filter(pk__in=reminder_ids, status__in=NEEDS_ATTENTION_STATUSES).update(
        status=ReminderStatus.PENDING,
        attempts=0,
        next_attempt_at=None,
        queued_at=None,
        send_after=now,
        note="",
    )


def set_preference(*, user, **choices) -> Preference:
    preference, _ = Preference.objects.get_or_create(user=user)
    for name, value in choices.items():
        setattr(preference, name, value)
    preference.full_clean()
    preference.save()
    return preference


def set_lead_times(
    *,
    agreement,
    by=None,
    meeting_days: list[int],
    deadline_days: list[int],
    deadline_overdue: bool,
) -> LeadTimes:
    """How many days before its meetings and deadlines an agreement's people are reminded."""
    with transaction.atomic():
        lead_times = LeadTimes.objects.select_for_update().filter(agreement=agreement).first()
        before = snapshot(lead_times) if lead_times else None
        if lead_times is None:
            lead_times = LeadTimes(agreement=agreement)
        lead_times.meeting_days = sorted(set(meeting_days), reverse=True)
        lead_times.deadline_days = sorted(set(deadline_days), reverse=True)
        lead_times.deadline_overdue = deadline_overdue
        lead_times.full_clean()
        lead_times.save()
        record_save(instance=lead_times, before=before, actor=by)
    return lead_times
