"""Writes: the scan that fills the ledger, and the sending that empties it, exactly once.

A reminder goes through the ledger (`Reminder`) as: created once by the scan (a unique
constraint per target as scheduled, recipient and lead time), claimed with the rest of its
batch by one conditional update, recorded as handed over just before its data goes, sent over
the batch's one SMTP connection, and marked sent with the claim it was sent under.

What may go wrong, and what becomes of the reminder:
- the server refuses for now (4xx, or the connection fails before the message's data has all
  gone): retried with back-off for as long as it is of use (until the meeting starts, the
  deadline's day ends, a digest's day ends), then failed ("missed");
- the server refuses for good (5xx), or the email cannot be made: failed, with the reason;
- the connection is lost after the whole message went and before the server's reply: it may
  have arrived (RFC 1047), so "sent, unconfirmed", never sent again unless a person asks;
- the sender stops (killed) holding the claim: once the lease has run out, sent again if it
  had not begun handing the message over, "sent, unconfirmed" if it had; the message it was
  at counts the stop, and fails after REMINDERS_MAX_ATTEMPTS of them; the rest of its batch,
  never reached, goes back as if never claimed;
- the database goes away: the marks are retried on fresh connections, and the batch is
  handed back to be run again at once, under the same claim.
Failed and unconfirmed reminders are listed for the secretariat, who may send them again.
"""

import contextlib
import datetime as dt
import gc
import logging
import smtplib
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.core import mail
from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import Case, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.utils import timezone

from audit.services import record_save, snapshot
from negotiations.models import Delegation
from reminders import bulk, delivery, selectors
from reminders.choices import (
    NEEDS_ATTENTION_STATUSES,
    NOTICE_KIND,
    NOTICE_OF,
    REPLACED_BECAUSE,
    Delivery,
    Reason,
    ReminderKind,
    ReminderStatus,
)
from reminders.emails import Parts, build_message
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
    target_id: int
    before: dict
    revision: int


class Seen(NamedTuple):
    """A target's revision, as the scan last recorded it (a tuple: the scan makes thousands)."""

    revision: int
    changed_at: dt.datetime | None


def _known(by_kind: dict, keys) -> dict:
    """{(kind, target id): (row id, fingerprint, Seen)} of these targets' (`keys`) revision
    rows (their ids by kind: a list, or a query that selects them and maybe others)."""
    query = Q(pk__in=[])
    for kind, ids in by_kind.items():
        query |= Q(kind=kind, target_id__in=ids)
    rows = TargetRevision.objects.filter(query).values_list(
        "pk", "kind", "target_id", "fingerprint", "revision", "changed_at"
    )
    found = {
        (kind, target_id): (pk, fingerprint, Seen(revision, changed_at))
        for pk, kind, target_id, fingerprint, revision, changed_at in rows
    }
    return {key: row for key, row in found.items() if key in keys}


def _revisions(states: dict, now: dt.datetime, within: dict | None = None):
    """The revisions ({(kind, id): Seen}) of the targets whose states are given ({(kind, id):
    state}), each bumped (once, whoever scans) when its schedule changed since the last scan,
    and the changes found. A few queries for all of them, whatever their number. `within`:
    queries ({kind: query}) that select them (and maybe others), asked in place of their
    ids."""
    fingerprints = {key: selectors.fingerprint_of(found) for key, found in states.items()}
    by_kind = defaultdict(list)
    for kind, pk in states:
        by_kind[kind].append(pk)
    if within is not None:
        by_kind = {kind: within[kind].values("pk") for kind in by_kind}
    rows = _known(by_kind, states)
    # Another scan may create the same rows meanwhile: the constraint keeps one of each.
    new = bulk.insert_new(
        TargetRevision,
        [
            {"kind": kind, "target_id": pk, "fingerprint": fingerprints[(kind, pk)],
             "state": states[(kind, pk)]}
            for kind, pk in states
            if (kind, pk) not in rows
        ],
        returning=("id", "kind", "target_id"),
    )  # fmt: skip
    for pk, kind, target_id in new:
        rows[(kind, target_id)] = (pk, fingerprints[(kind, target_id)], Seen(0, None))
    moved = {key: row for key, row in rows.items() if row[1] != fingerprints[key]}
    before = {}
    if moved:
        before = dict(
            TargetRevision.objects.filter(pk__in=[row[0] for row in moved.values()]).values_list(
                "pk", "state"
            )
        )
    changes = []
    for key, (pk, fingerprint, seen) in moved.items():
        # Conditional, so that two scans seeing the same change bump the revision once.
        bumped = TargetRevision.objects.filter(pk=pk, fingerprint=fingerprint).update(
            fingerprint=fingerprints[key],
            state=states[key],
            changed_at=now,
            revision=F("revision") + 1,
        )
        if bumped:
            changes.append(Change(key[0], key[1], before[pk], seen.revision + 1))
            rows[key] = (pk, fingerprints[key], Seen(seen.revision + 1, now))
    if len(rows) < len(states):  # another scan wrote some first
        rows = _known(by_kind, states)
    return {key: seen for key, (_pk, _fingerprint, seen) in rows.items()}, changes


def _send_after(
    mode: str, due_at: dt.datetime, now: dt.datetime, recipient, preference
) -> dt.datetime:
    if mode != Delivery.DIGEST:
        return due_at
    return selectors.next_digest_moment(
        max(due_at, now - dt.timedelta(hours=1)), recipient.zone, preference.digest_hour
    )


def _announce(change: Change, target, now: dt.datetime) -> int:
    """Withdraw what was planned for the target as it stood, and write one notice per person
    it concerns (none for an edit of what was, and stays, cancelled)."""
    kind = change.kind
    notice_kind = NOTICE_KIND[kind]
    # Reminders planned for the old moment, and notices of a change that came to nothing
    # before they left: withdrawn, the notice of this change replaces them.
    Reminder.objects.filter(
        kind=kind, target_id=target.pk, revision__lt=change.revision, status=ReminderStatus.PENDING
    ).update(status=ReminderStatus.REPLACED, note=Reason.TARGET_MOVED)
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
        status=ReminderStatus.REPLACED, note=Reason.CHANGED_AGAIN
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
            {
                "agreement_id": selectors.agreement_id_of(kind, target),
                "recipient_id": person.pk,
                "kind": notice_kind,
                "target_id": target.pk,
                "revision": change.revision,
                "offset_days": 0,
                "target_at": selectors.target_at(kind, target),
                "due_at": now,
                "send_after": send_after,
                "digest": digest,
                "change": {
                    "before": told.change.get("before", change.before) if told else change.before,
                    "after": after,
                },
            }
        )
    bulk.insert_new(Reminder, rows)
    return len(rows)


def _track_changes(now: dt.datetime) -> tuple[int, dict, dict]:
    """Notices of what changed (their number), the revisions of every watched target, and
    the rows read of them (see selectors.rows)."""
    watched = selectors.watched(now)
    read = selectors.rows(watched)
    states = selectors.states(read)
    if not states:
        return 0, {}, read
    revisions, changes = _revisions(states, now, within=watched)
    targets = selectors.targets({(change.kind, change.target_id) for change in changes})
    noticed = sum(
        _announce(change, targets[(change.kind, change.target_id)], now) for change in changes
    )
    return noticed, revisions, read


def track_changes(*, now: dt.datetime) -> int:
    """Find every meeting and deadline moved (or meeting cancelled) since the last scan, from
    the stored state, whatever made the change; returns how many notices were written."""
    return _track_changes(now)[0]


def materialise(
    *, now: dt.datetime, revisions: dict | None = None, read: dict | None = None, queue=False
) -> int:
    """Create the ledger rows for every reminder due at `now`; returns how many are new.
    `revisions` and `read`: those of some of the targets, and their rows (see
    selectors.rows), read already by this scan. `queue`: those that may go at once are
    written queued at `now`, for the scan's `dispatch` to batch without writing them again."""
    candidates = selectors.candidates(now)
    found = list(selectors.due_reminders(now, candidates, read))
    if not found:
        return 0
    prefs = selectors.preferences({due.recipient_id for due, _, _ in found})
    revisions = dict(revisions or {})
    unseen = {
        (due.kind, due.target_id): selectors.state(due.kind, target)
        for due, target, _ in found
        if (due.kind, due.target_id) not in revisions
    }
    if unseen:
        revisions.update(_revisions(unseen, now, within=candidates)[0])
    # The ledger of the candidate targets of these kinds, asked by the query that chose them.
    concerned = Q(pk__in=[])
    for kind in {due.kind for due, _, _ in found}:
        concerned |= Q(kind=kind, target_id__in=candidates[kind].values("pk"))
    ledger = (
        Reminder.objects.filter(concerned)
        .order_by()
        .values_list("pk", "kind", "target_id", "revision", "recipient_id", "offset_days", "status")
    )
    existing, sent_before = set(), set()
    pending = defaultdict(list)
    for pk, kind, target_id, revision, recipient_id, offset_days, status in ledger:
        existing.add((kind, target_id, revision, recipient_id, offset_days))
        # A lead time already sent before the target moved is not sent again: the next one,
        # at the new time, tells of the move.
        if status == ReminderStatus.SENT:
            sent_before.add((kind, target_id, recipient_id, offset_days))
        elif status == ReminderStatus.PENDING:
            pending[(kind, target_id, recipient_id)].append((pk, revision, offset_days))
    new = []
    for due, _target, recipient in found:
        key = (due.kind, due.target_id)
        seen = revisions[key]
        written = (*key, seen.revision, due.recipient_id, due.offset_days) in existing
        if written or (*key, due.recipient_id, due.offset_days) in sent_before:
            continue  # written by an earlier scan (every minute, most are)
        mode = selectors.delivery(prefs[due.recipient_id], due.kind)
        if mode == Delivery.OFF:
            continue
        if (
            due.kind in NOTICE_KIND
            and seen.changed_at is not None
            and due.due_at <= seen.changed_at
        ):
            continue  # its moment passed before the change: the change's notice told of it
        send_after = _send_after(mode, due.due_at, now, recipient, prefs[due.recipient_id])
        new.append(
            {
                "agreement_id": due.agreement_id,
                "recipient_id": due.recipient_id,
                "kind": due.kind,
                "target_id": due.target_id,
                "revision": seen.revision,
                "offset_days": due.offset_days,
                "target_at": due.target_at,
                "due_at": due.due_at,
                "send_after": send_after,
                "digest": mode == Delivery.DIGEST,
                "queued_at": now if queue and send_after <= now else None,
            }
        )
    # Another scan may insert the same rows meanwhile: the constraint keeps one of each.
    # One statement, however many.
    bulk.insert_new(Reminder, new)
    # What the new rows replace: an earlier lead time, or the target as it was before a move;
    # one update for all of them, however many.
    superseded = [
        pk
        for r in new
        for pk, revision, offset_days in pending[(r["kind"], r["target_id"], r["recipient_id"])]
        if revision < r["revision"]
        or (revision == r["revision"] and offset_days > r["offset_days"])
    ]
    if superseded:
        Reminder.objects.filter(pk__in=superseded, status=ReminderStatus.PENDING).update(
            status=ReminderStatus.REPLACED, note=Reason.SUPERSEDED
        )
    return len(new)


def _ready_q(now: dt.datetime) -> Q:
    """Rows that may be sent now: pending and due (and past their back-off, if any)."""
    return Q(status=ReminderStatus.PENDING, send_after__lte=now) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def _ready(now: dt.datetime):
    return Reminder.objects.filter(_ready_q(now))


def recover(*, now: dt.datetime) -> dict[str, int]:
    """Settle the claims of senders that stopped (killed, say) and let their lease run out.

    One that had begun handing its message to the mail server may have delivered it: marked
    unconfirmed, for a person to send again. The message the sender was at (the first of its
    batch not handed over) is sent again, unless senders stopped while holding it
    REMINDERS_MAX_ATTEMPTS times: then it fails, visibly. The rest of the batch, never
    reached, is sent again as if nothing had happened.
    """
    expired = Reminder.objects.filter(status=ReminderStatus.SENDING, claimed_at__lt=now - _lease())
    unconfirmed = expired.filter(handed_at__isnull=False).update(
        status=ReminderStatus.UNCONFIRMED,
        queued_at=None,
        note=Reason.STOPPED_AFTER_HANDING,
    )
    unhanded = expired.filter(handed_at__isnull=True)
    first = (
        Reminder.objects.filter(
            claim_token=OuterRef("claim_token"),
            status=ReminderStatus.SENDING,
            handed_at__isnull=True,
        )
        .order_by("claim_order")
        .values("claim_order")[:1]
    )
    at = list(
        unhanded.filter(Q(claim_order__isnull=True) | Q(claim_order=Subquery(first))).values_list(
            "pk", flat=True
        )
    )
    limit = settings.REMINDERS_MAX_ATTEMPTS
    failed = unhanded.filter(pk__in=at, interruptions__gte=limit - 1).update(
        status=ReminderStatus.FAILED,
        interruptions=F("interruptions") + 1,
        queued_at=None,
        note=f"the sender stopped while sending it, {limit} times",
    )
    again = unhanded.filter(pk__in=at).update(
        status=ReminderStatus.PENDING,
        interruptions=F("interruptions") + 1,
        queued_at=None,
        next_attempt_at=None,
    )
    again += _give_back(unhanded)
    if unconfirmed or failed:
        logger.error(
            "Reminders whose sender stopped: %d unconfirmed, %d failed", unconfirmed, failed
        )
    return {"unconfirmed": unconfirmed, "failed": failed, "again": again}


def _queue(now: dt.datetime) -> None:
    """Mark queued at `now` what is ready and not queued (or queued by a scan whose batches
    were lost): one statement, however many."""
    _ready(now).filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - _lease())).update(
        queued_at=now
    )


def _batches(now: dt.datetime) -> list[list[int]]:
    """What was queued at `now`, cut into batches: a recipient's digest kept in one batch, the
    others by target, so that a batch's messages share their parts (see emails.Parts)."""
    ready = (
        _ready(now)
        .filter(queued_at=now)
        .order_by("digest", "kind", "target_id", "recipient_id", "pk")
        .values_list("pk", "recipient_id", "digest")
    )
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


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector held off while the scan runs (as it was, after).

    The scan holds some hundred thousand small containers (rows, states, keys) until it ends,
    none of them garbage, and their number alone sets the collector off, again and again, to
    walk every object of the process: a fifth of the scan's time at 10,000 targets, measured.
    Meanwhile what goes out of use is freed as ever; only cycles, if any, wait for the
    collector's next run.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def scan(*, now: dt.datetime | None = None) -> list[list[int]]:
    """Fill the ledger for `now` and return the batches of reminders to send."""
    now = now or timezone.now()
    with _collector_paused():
        recover(now=now)
        with transaction.atomic():
            noticed, revisions, read = _track_changes(now)
            # What was waiting is queued before the new rows are written, born queued.
            _queue(now)
            created = materialise(now=now, revisions=revisions, read=read, queue=True)
        batches = _batches(now)
    logger.info(
        "Reminder scan: %d notices, %d reminders new, %d batches to send",
        noticed,
        created,
        len(batches),
    )
    return batches


def forget_deleted_targets() -> int:
    """Delete the revision rows of meetings, deadlines, contested points and commitments that
    no longer exist (deleted by hand, or with their agreement): nothing refers to them, and
    the scan reads the revision table every minute. Returns how many were deleted."""
    gone = Q(pk__in=[])
    for kind, model in selectors.MODELS.items():
        gone |= Q(kind=kind) & ~Q(target_id__in=model.objects.values("pk"))
    deleted, _ = TargetRevision.objects.filter(gone).delete()
    return deleted


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------
# How often the mark that follows the mail server's answer is tried, on a fresh database
# connection each time, and how long is waited before the first retry (doubling).
MARK_TRIES = 5
MARK_FIRST_WAIT = 0.25


@dataclass
class Outcome:
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    unconfirmed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    retry_in: float = 0


class Interrupted(Exception):
    """The database went away in the middle of a batch: hand back what was not sent, and
    what the mail server accepted but could not be marked, to be done again at once."""

    def __init__(self, unsent: list[int], accepted: list[int]):
        super().__init__(f"{len(unsent)} not sent, {len(accepted)} accepted but not marked")
        self.unsent = unsent
        self.accepted = accepted


# What ends a database connection, as against what is wrong with a statement.
_CONNECTION_ERRORS = (OperationalError, InterfaceError)


def _fresh_connection():
    if not db_connection.in_atomic_block:
        db_connection.close()  # the next query opens a new one


def _persist(write, what: str):
    """Run `write` (one conditional update), on a fresh connection after each failure."""
    wait = MARK_FIRST_WAIT
    for attempt in range(1, MARK_TRIES + 1):
        try:
            return write()
        except _CONNECTION_ERRORS as error:
            if attempt == MARK_TRIES:
                raise
            logger.warning("Reminders: %s failed (%s); trying again", what, error)
            _fresh_connection()
            time.sleep(wait)
            wait *= 2
    return None  # pragma: no cover


def _claim(messages: list[list[Reminder]], now: dt.datetime, token: uuid.UUID) -> set[int]:
    """Claim a batch's reminders in one statement, each with its message's place in the batch:
    the ready ones, and those this batch (an earlier run of it, handed back after a database
    error or delivered twice) claimed and did not hand over. Returns the ids claimed (asked
    again only when some were not)."""
    places = defaultdict(list)
    for place, group in enumerate(messages):
        places[place].extend(r.pk for r in group)
    pks = [pk for ids in places.values() for pk in ids]
    if not pks:
        return set()
    ours = Q(status=ReminderStatus.SENDING, claim_token=token, handed_at__isnull=True)
    held = (
        Reminder.objects.filter(pk__in=pks)
        .filter(_ready_q(now) | ours)
        .update(
            status=ReminderStatus.SENDING,
            claimed_at=now,
            claim_token=token,
            handed_at=None,
            attempts=F("attempts") + 1,
            claim_order=Case(
                *(When(pk__in=ids, then=Value(place)) for place, ids in places.items())
            ),
        )
    )
    if held == len(pks):
        return set(pks)
    return set(
        Reminder.objects.filter(
            pk__in=pks,
            claim_token=token,
            claimed_at=now,
            status=ReminderStatus.SENDING,
            handed_at__isnull=True,
        ).values_list("pk", flat=True)
    )


def _why_not(
    reminder: Reminder, target, preference: Preference, now: dt.datetime, concerned: dict
) -> str:
    """Why this reminder should no longer go out, or an empty string. `concerned` caches,
    for the batch, the people each target concerns."""
    kind = reminder.kind
    if target is None:
        return Reason.TARGET_DELETED
    if kind in NOTICE_OF:
        # A later change makes this notice stale: the next scan writes one with the news.
        if selectors.state(NOTICE_OF[kind], target) != reminder.change.get("after"):
            return Reason.CHANGED_AGAIN
        if kind == ReminderKind.MEETING_CHANGE and target.starts_at <= now:
            return Reason.MEETING_STARTED
    elif selectors.target_at(kind, target) != reminder.target_at:
        return Reason.TARGET_MOVED
    if not selectors.still_concerns(kind, target):
        return Reason.NO_LONGER_NEEDED
    late = selectors.too_late(kind, target, reminder.offset_days, reminder.recipient, now)
    if late:
        return late
    if selectors.delivery(preference, kind) == Delivery.OFF:
        return Reason.OPTED_OUT
    key = (kind, target.pk)
    if key not in concerned:
        concerned[key] = set(selectors.recipients(kind, target).values_list("pk", flat=True))
    if reminder.recipient_id not in concerned[key]:
        return Reason.NO_LONGER_CONCERNED
    return ""


def retry_until(reminder: Reminder, target) -> dt.datetime:
    """Until when a reminder that could not be sent is worth trying again: the start of the
    meeting it is about, the end (in the recipient's zone) of the day a deadline is due, the
    next follow-up of an overdue point; and a digest, until its day is over."""
    kind = reminder.kind
    zone = reminder.recipient.zone
    ends = []
    if target is not None and kind in (ReminderKind.MEETING, ReminderKind.MEETING_CHANGE):
        ends.append(target.starts_at)
    elif target is not None and kind == ReminderKind.DEADLINE_CHANGE:
        ends.append(selectors.local_moment(target.due_on + dt.timedelta(days=1), zone, 0))
    elif kind == ReminderKind.DEADLINE and reminder.offset_days >= 0:
        due_on = reminder.target_at.date()
        ends.append(selectors.local_moment(due_on + dt.timedelta(days=1), zone, 0))
    elif kind == ReminderKind.DEADLINE:
        ends.append(reminder.due_at + selectors.OVERDUE_CATCH_UP)
    elif kind == ReminderKind.ESCALATION:
        ends.append(reminder.due_at + selectors.ESCALATION_CATCH_UP)
    else:
        ends.append(reminder.due_at + dt.timedelta(days=selectors.FOLLOW_UP_DAYS))
    if reminder.digest:
        day = reminder.send_after.astimezone(zone).date()
        ends.append(selectors.local_moment(day + dt.timedelta(days=1), zone, 0))
    return min(ends)


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


# How a failure counts: the server refused for good (or the message cannot be made), the
# server put it off (retried while still useful), or something unforeseen went wrong with
# this one message (retried up to REMINDERS_MAX_ATTEMPTS).
PERMANENT, TEMPORARY, UNFORESEEN = "permanent", "temporary", "unforeseen"


def _release(claims, error, now, token, *, how: str, targets: dict, outcome: Outcome):
    for reminder in claims:
        attempts = reminder.attempts
        wait = _backoff(attempts)
        note = error
        if how == PERMANENT:
            gives_up = True
        elif how == UNFORESEEN:
            gives_up = attempts >= settings.REMINDERS_MAX_ATTEMPTS
        else:
            target = targets.get((reminder.kind, reminder.target_id))
            gives_up = now + wait >= retry_until(reminder, target)
            if gives_up:
                note = f"missed: still not sent when it stopped being useful ({error})"

        def write(reminder=reminder, gives_up=gives_up, note=note, wait=wait):
            return Reminder.objects.filter(
                pk=reminder.pk, claim_token=token, status=ReminderStatus.SENDING
            ).update(
                status=ReminderStatus.FAILED if gives_up else ReminderStatus.PENDING,
                next_attempt_at=None if gives_up else now + wait,
                queued_at=None,  # the next scan after the back-off may queue it again
                handed_at=None,
                note=note[:2000],
            )

        _persist(write, "releasing a reminder")
        if gives_up:
            logger.error("Reminder %s failed for good: %s", reminder.pk, note)
            outcome.failed.append(reminder.pk)
        else:
            outcome.retry.append(reminder.pk)
            seconds = wait.total_seconds()
            outcome.retry_in = min(outcome.retry_in or seconds, seconds)


def _mark(pks, token, status: str, note: str = "") -> int:
    """Record the mail server's acceptance (or its silence) under this claim; retried on
    fresh connections."""
    fields = {"status": status, "note": note[:2000]}
    if status == ReminderStatus.SENT:
        fields["sent_at"] = timezone.now()
    rows = Reminder.objects.filter(pk__in=pks, claim_token=token, status=ReminderStatus.SENDING)
    return _persist(lambda: rows.update(**fields), f"marking reminders {status}")


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
                raise delivery.NotSent(f"{type(error).__name__}: {error}") from error
        return self.backend

    def drop(self):
        if self.backend is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.backend.close()
            self.backend = None


def _group(reminder_ids, rows) -> list[list[Reminder]]:
    """Each message is one reminder, or a recipient's digest: a list of reminders."""
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
    return messages


def _concerned(targets: dict) -> dict:
    """{(kind, target id): the ids of the people it concerns now}, for all of a batch's
    targets: a few queries per kind, whatever their number."""
    by_kind = defaultdict(list)
    for (kind, _pk), target in targets.items():
        by_kind[kind].append(target)
    concerned = {}
    for kind, found in by_kind.items():
        people = selectors.recipients_of(kind, found)
        for target in found:
            concerned[(kind, target.pk)] = {person.pk for person in people.get(target.pk, ())}
    return concerned


def send_reminders(
    *,
    reminder_ids: list[int],
    now: dt.datetime | None = None,
    claim: uuid.UUID | str | None = None,
    accepted: list[int] = (),
) -> Outcome:
    """Send these reminders, each at most once; safe to call twice, concurrently or not.

    `claim` names this batch's claims, the same each time the batch is run again (after a
    database error, or when its task is delivered again); `accepted` are reminders an earlier
    run saw the mail server accept and could not mark sent. Raises Interrupted when the
    database goes away mid-batch: what it holds is what to run again, at once.

    The batch's rows, targets and the people each target concerns are read once, and its
    reminders claimed in one statement. Each message then costs one statement, just before
    its data goes: it records the handover, and marks sent the message the server accepted
    before it (at once instead, if the server keeps the next one waiting; the last one at
    the end of the batch). What the messages share (bodies per language and zone, a
    meeting's calendar entry) is built once.
    """
    token = uuid.UUID(str(claim)) if claim else uuid.uuid4()
    outcome = Outcome()
    accepted = list(accepted)
    if accepted:
        try:
            _mark(accepted, token, ReminderStatus.SENT)
        except _CONNECTION_ERRORS as error:
            raise Interrupted(list(reminder_ids), accepted) from error
        outcome.sent.extend(accepted)
        accepted = []
    # What the messages say is as of the batch's start, when it is claimed.
    claimed_at = now or timezone.now()
    done = set()
    connection = _Connection()
    try:
        rows = {
            r.pk: r
            for r in Reminder.objects.filter(pk__in=reminder_ids).select_related("recipient")
        }
        messages = _group(reminder_ids, rows)
        held = _claim(messages, claimed_at, token)
        # Sent, being sent by someone else, or not due: not this batch's.
        done.update(pk for pk in reminder_ids if pk not in held)
        messages = [group for group in ([r for r in g if r.pk in held] for g in messages) if group]
        held_rows = [r for group in messages for r in group]
        targets = _targets(held_rows) if held_rows else {}
        prefs = selectors.preferences({r.recipient_id for r in held_rows})
        concerned = _concerned(targets)
        batch = _Batch(token, claimed_at, now, targets, prefs, concerned, connection)
        with Parts():
            for position, group in enumerate(messages):
                stop = _send_one(group, batch, outcome, accepted)
                done.update(r.pk for r in group)
                if stop:
                    # The server is unwell: the rest goes back to be tried again later.
                    rest = [r.pk for later in messages[position + 1 :] for r in later]
                    _unclaim(rest, token)
                    outcome.retry.extend(rest)
                    outcome.retry_in = outcome.retry_in or _backoff(1).total_seconds()
                    break
        _mark_accepted(accepted, token, outcome)
    except _CONNECTION_ERRORS as error:
        logger.warning("Reminder batch interrupted by the database (%s): handed back", error)
        unsent = [pk for pk in reminder_ids if pk not in done and pk not in accepted]
        raise Interrupted(unsent, accepted) from error
    finally:
        connection.drop()
    return outcome


@dataclass(frozen=True)
class _Batch:
    """What every message of a batch is sent with."""

    token: uuid.UUID
    claimed_at: dt.datetime
    now: dt.datetime | None  # the moment the batch runs at, when it is given (tests)
    targets: dict
    prefs: dict
    concerned: dict
    connection: "_Connection"


def _give_back(claimed) -> int:
    """Give back claims that were never used (the rest of a batch): pending again, as if
    never claimed, neither an attempt nor an interruption."""
    return claimed.update(
        status=ReminderStatus.PENDING,
        attempts=F("attempts") - 1,
        queued_at=None,
        next_attempt_at=None,
        claim_order=None,
    )


def _unclaim(pks: list[int], token) -> None:
    """Give back the claims of this batch's messages it will not send now."""
    if pks:
        _give_back(
            Reminder.objects.filter(
                pk__in=pks, claim_token=token, status=ReminderStatus.SENDING, handed_at__isnull=True
            )
        )


def _mark_accepted(accepted: list[int], token, outcome: Outcome):
    """Mark sent what the mail server accepted; retried on fresh connections. Raises when the
    database stays away: they are still in `accepted`, to be handed back."""
    if not accepted:
        return
    pks = list(accepted)
    marked = _mark(pks, token, ReminderStatus.SENT)
    del accepted[: len(pks)]
    if marked < len(pks):
        logger.warning("Reminders %s: claim lost while sending", pks)
    outcome.sent.extend(pks)


class _ClaimLost(Exception):
    pass


def _handing(pks: list[int], marking: list[int], token, claimed_at, moment) -> int:
    """The one statement a message costs: `pks` handed over at `moment` (if still held under
    this claim, taken at `claimed_at`, and not handed yet), `marking` marked sent. Written
    out, as the hottest statement of delivery: the ORM would take three times as long to
    compose it as the database takes to run it. Returns the rows written."""
    meta = Reminder._meta
    column = {name: db_connection.ops.quote_name(meta.get_field(name).column) for name in (
        "id", "status", "sent_at", "note", "handed_at", "claim_token", "claimed_at"
    )}  # fmt: skip

    def value(name, python):
        return meta.get_field(name).get_db_prep_value(python, db_connection, prepared=False)

    def listed(ids):
        return ", ".join(["%s"] * len(ids))

    now, handed = value("handed_at", moment), f"{column['id']} IN ({listed(pks)})"
    # This message: still held under this very claim, and not handed yet.
    rows = f"({handed} AND {column['claimed_at']} = %s AND {column['handed_at']} IS NULL)"
    rows_params = [*pks, value("claimed_at", claimed_at)]
    if marking:
        earlier = f"{column['id']} IN ({listed(marking)})"
        assignments = (
            f"{column['status']} = CASE WHEN {earlier} THEN %s ELSE {column['status']} END, "
            f"{column['sent_at']} = CASE WHEN {earlier} THEN %s ELSE {column['sent_at']} END, "
            f"{column['note']} = CASE WHEN {earlier} THEN '' ELSE {column['note']} END, "
            f"{column['handed_at']} = CASE WHEN {handed} THEN %s ELSE {column['handed_at']} END"
        )
        params = [*marking, ReminderStatus.SENT, *marking, now, *marking, *pks, now]
        # And the messages accepted before it.
        rows, rows_params = f"({rows} OR {earlier})", [*rows_params, *marking]
    else:
        assignments, params = f"{column['handed_at']} = %s", [now]
    sql = (
        f"UPDATE {db_connection.ops.quote_name(meta.db_table)} SET {assignments} "
        f"WHERE {column['claim_token']} = %s AND {column['status']} = %s AND {rows}"
    )
    params += [value("claim_token", token), ReminderStatus.SENDING, *rows_params]
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _hand_over(pks: list[int], batch: _Batch, accepted: list[int], outcome: Outcome) -> None:
    """Record that this message's data is about to go, in the same statement as the mark of
    the messages the server accepted before it; retried on fresh connections. Conditional on
    this very claim: another run of the same batch (a task delivered twice) that took the
    reminders back meanwhile sends them, not this one (raises _ClaimLost)."""
    marking = list(accepted)
    moment = timezone.now()
    written = _persist(
        lambda: _handing(pks, marking, batch.token, batch.claimed_at, moment),
        "handing a message over",
    )
    if marking:
        del accepted[: len(marking)]
        outcome.sent.extend(marking)
    if written == len(marking) + len(pks):
        return
    handed = Reminder.objects.filter(pk__in=pks, claim_token=batch.token, handed_at=moment).count()
    if written - handed < len(marking):
        logger.warning("Reminders %s: claim lost while sending", marking)
    if handed != len(pks):
        raise _ClaimLost


# What `_why_not` says when a reminder's moment has passed (or "" when it has not yet).
_TOO_LATE = ("", Reason.MEETING_STARTED, Reason.DEADLINE_PASSED)


def _send_one(group, batch: _Batch, outcome: Outcome, accepted: list[int]) -> bool:
    """Check, build and send one message, claimed already; True when the rest of the batch
    must wait.

    Whatever goes wrong with this one message is recorded against its reminders alone;
    only the database going away is raised, to hand the batch back.
    """
    token, targets, connection = batch.token, batch.targets, batch.connection
    moment = batch.now or timezone.now()
    claims = []
    for reminder in group:
        reminder.attempts += 1  # as the claim counted it
        target = targets.get((reminder.kind, reminder.target_id))
        reason = _why_not(
            reminder, target, batch.prefs[reminder.recipient_id], moment, batch.concerned
        )
        # A move found here is the scan's to announce, with a newer one: this one is replaced.
        status = ReminderStatus.REPLACED if reason in REPLACED_BECAUSE else ReminderStatus.SKIPPED
        tried = reminder.attempts > 1 and reminder.note
        if tried and reason in _TOO_LATE and moment >= retry_until(reminder, target):
            # Tried before and failed; now too late to be of use: missed, and shown.
            status, reason = ReminderStatus.FAILED, f"missed ({reason}): {reminder.note}"
        if reason:
            Reminder.objects.filter(pk=reminder.pk, claim_token=token).update(
                status=status, note=reason[:2000], queued_at=None
            )
            (outcome.failed if status == ReminderStatus.FAILED else outcome.skipped).append(
                reminder.pk
            )
        else:
            claims.append(reminder)
    if not claims:
        return False  # nothing left to say: no empty email
    pks = [r.pk for r in claims]

    def fail(error, how):
        _release(claims, error, moment, token, how=how, targets=targets, outcome=outcome)

    try:
        message = build_message(
            recipient=group[0].recipient,
            items=[(r, targets[(r.kind, r.target_id)]) for r in claims],
            now=batch.claimed_at,
        )
        prepared = delivery.prepare(message)  # the headers are checked here, not halfway
    except _CONNECTION_ERRORS:
        raise
    except Exception as error:
        # One record that cannot make an email (a line break in a title, say) fails
        # visibly, with its reason; the rest of the batch goes on.
        logger.exception("Reminder message could not be built")
        fail(f"could not build the email: {type(error).__name__}: {error}", PERMANENT)
        return False

    handed = []

    def before_data():
        _hand_over(pks, batch, accepted, outcome)
        handed.append(True)

    try:
        delivery.send(
            connection.get(),
            message,
            before_data=before_data,
            prepared=prepared,
            # A server slow to answer: what it accepted before is marked sent meanwhile.
            waiting=lambda: _mark_accepted(accepted, token, outcome),
        )
    except _CONNECTION_ERRORS:
        connection.drop()
        raise
    except _ClaimLost:
        connection.drop()  # in the middle of a transaction the server forgets when it ends
        logger.warning("Reminders %s: claim lost before sending; left to its new holder", pks)
        return False
    except delivery.Unconfirmed as error:
        connection.drop()
        logger.warning("Reminders %s: sent, unconfirmed: %s", pks, error)
        _mark(pks, token, ReminderStatus.UNCONFIRMED, f"sent, unconfirmed: {error}")
        outcome.unconfirmed.extend(pks)
        return False
    except delivery.Unsendable as error:
        fail(f"could not send the email: {error}", PERMANENT)
        return False
    except delivery.NotSent as error:
        if error.permanent:
            fail(str(error), PERMANENT)
            return False
        if error.recipient:
            # One address put off (a full mailbox, greylisting): the others go on.
            fail(str(error), TEMPORARY)
            return False
        connection.drop()
        fail(str(error), TEMPORARY)
        return True
    except Exception as error:
        # Unforeseen: the connection is in an unknown state, and the message may have gone
        # if its data had begun to go.
        connection.drop()
        logger.exception("Reminders %s: sending failed", pks)
        reason = f"{type(error).__name__}: {error}"
        if handed:
            _mark(pks, token, ReminderStatus.UNCONFIRMED, f"sent, unconfirmed: {reason}")
            outcome.unconfirmed.extend(pks)
        else:
            fail(reason, UNFORESEEN)
        return False
    # Accepted: marked sent with the next message's handover, or at the batch's end. If
    # the database stays away meanwhile, the batch is handed back with these to mark first.
    accepted.extend(pks)
    return False


def resend(*, reminder_ids: list[int], now: dt.datetime | None = None) -> int:
    """Put failed, unconfirmed (or skipped) reminders back in the queue, as the secretariat
    asks. An unconfirmed one goes with the same Message-ID, so a repeat can be recognised."""
    now = now or timezone.now()
    return Reminder.objects.filter(pk__in=reminder_ids, status__in=NEEDS_ATTENTION_STATUSES).update(
        status=ReminderStatus.PENDING,
        attempts=0,
        interruptions=0,
        next_attempt_at=None,
        handed_at=None,
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
