"""Every write about people: inviting them to an agreement, changing their role and working
groups there, taking them off it, their accepting the invitation, and what a person changes
about themselves (language, time zone, their calendar feed's secret address).

Roles and seats are written by the services of `negotiations` and `workinggroups` (which audit
them); these functions add the account itself and the emails, in the same transaction.
"""

import contextlib
import datetime as dt
import hashlib
import re
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CalendarFeed
from audit.services import record_create, record_delete, record_save, record_update, snapshot
from negotiations import permissions
from negotiations.choices import Role
from negotiations.models import RoleAssignment
from negotiations.services import assign_role, remove_role
from workinggroups.models import Membership
from workinggroups.services import EditConflict, add_membership, remove_membership

# A feed's last reading is kept to the hour: enough to tell a calendar that still reads it.
FEED_READ_PRECISION = dt.timedelta(hours=1)


def invitation_pending(user) -> bool:
    """Never signed in and no password yet: the invitation has not been taken up."""
    return user.last_login is None and not user.has_usable_password()


def invite_person(
    *,
    agreement,
    by,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    party=None,
    working_groups=(),
    time_zone: str = "UTC",
    language: str = "en",
):
    """Give the person with this email (created if new) the role in the agreement and exactly
    these seats in its working groups, and email them; running it again with the same data
    changes nothing."""
    User = get_user_model()
    email = User.objects.normalize_email((email or "").strip())
    with transaction.atomic():
        user = (
            User.objects.select_for_update().filter(email__iexact=email).first() if email else None
        )
        created = user is None
        if not created:
            _refuse_if_already_in(agreement, user, role, party, working_groups)
        if created:
            user = User(
                username=_unique_username(email),
                email=email,
                first_name=(first_name or "").strip(),
                last_name=(last_name or "").strip(),
                time_zone=time_zone or "UTC",
                language=language or "en",
            )
            user.set_unusable_password()
            user.full_clean()
            user.save()
            record_create(instance=user, actor=by)
        elif invitation_pending(user) and not user.roles.exclude(agreement=agreement).exists():
            # Until they sign in, the secretariat's details are the only ones: a second
            # invitation may correct them. Afterwards, or once another agreement has invited
            # them too, the details are no longer this agreement's to change.
            _update_details(
                user,
                by=by,
                first_name=(first_name or "").strip() or user.first_name,
                last_name=(last_name or "").strip() or user.last_name,
                time_zone=time_zone or user.time_zone,
                language=language or user.language,
            )
        else:
            _update_details(
                user,
                by=by,
                first_name=user.first_name or (first_name or "").strip(),
                last_name=user.last_name or (last_name or "").strip(),
            )
        role_changed = _apply(
            agreement=agreement,
            user=user,
            by=by,
            role=role,
            party=party,
            working_groups=working_groups,
        )
        if invitation_pending(user):
            queue_invitation(user=user, agreement=agreement, by=by)
        elif user.is_active and role_changed:
            queue_invitation(user=user, agreement=agreement, by=by, added=True)
    return user


def _refuse_if_already_in(agreement, user, role, party, working_groups) -> None:
    """An invitation is for someone new to the agreement: a person already in it is changed
    on their own page, where what changes is seen, never silently by a second invitation
    (the same invitation again changes nothing and is not refused)."""
    assignment = RoleAssignment.objects.filter(agreement=agreement, user=user).first()
    if assignment is None:
        return
    seats = set(
        Membership.objects.filter(user=user, working_group__agreement=agreement).values_list(
            "working_group_id", flat=True
        )
    )
    same = (
        assignment.role == role
        and assignment.party_id == (party.pk if party else None)
        and seats == {group.pk for group in working_groups or ()}
    )
    if not same:
        raise ValidationError(
            {
                "email": _(
                    "%(person)s is already in this agreement as %(role)s: change their role "
                    "and working groups on their page."
                )
                % {"person": user, "role": assignment.get_role_display()}
            }
        )


def person_fingerprint(agreement, user) -> str:
    """What the person page saw of someone's place in the agreement: role, party, seats."""
    from workinggroups.services import fingerprint

    assignment = RoleAssignment.objects.get(agreement=agreement, user=user)
    return fingerprint(assignment, **_seats_of(agreement, user))


def _seats_of(agreement, user) -> dict:
    seats = Membership.objects.filter(user=user, working_group__agreement=agreement)
    return {"seats": sorted(seats.values_list("working_group_id", flat=True))}


def update_person(
    *,
    agreement,
    user,
    by,
    role: str,
    party=None,
    working_groups=(),
    expected_fingerprint: str | None = None,
) -> None:
    """Change a person's role, party and working groups in the agreement (the person page);
    refused with `EditConflict` if someone changed them since the page was opened."""
    from workinggroups.services import read_unchanged

    with transaction.atomic():
        assignment = RoleAssignment.objects.filter(agreement=agreement, user=user).first()
        if assignment is None:
            raise ValidationError(_("This person has no role in this agreement."))
        read_unchanged(
            RoleAssignment,
            assignment.pk,
            expected_fingerprint,
            lambda current: _seats_of(agreement, user),
        )
        _apply(
            agreement=agreement,
            user=user,
            by=by,
            role=role,
            party=party,
            working_groups=working_groups,
        )


def remove_person(*, agreement, user, by) -> None:
    """Take a person off the agreement: their role and their seats in its working groups."""
    with transaction.atomic():
        assignment = (
            RoleAssignment.objects.select_for_update()
            .filter(agreement=agreement, user=user)
            .first()
        )
        if assignment is None:
            raise ValidationError(_("This person has no role in this agreement."))
        _check_may_change(agreement=agreement, by=by, current=assignment.role)
        remove_role(assignment=assignment, by=by)


def accept_invitation(*, user, password: str) -> None:
    """The invitee chooses their password: the invitation is taken up and its link dies."""
    with transaction.atomic():
        before = snapshot(user)
        user.set_password(password)
        # Taking up the invitation is their first sign-in; it also makes the link single-use.
        user.last_login = timezone.now()
        user.save(update_fields=["password", "last_login"])
        record_update(instance=user, before=before, actor=user)


def resend_invitation(*, agreement, user, by) -> None:
    """Email a person who has not yet taken up their invitation a fresh link."""
    if not RoleAssignment.objects.filter(agreement=agreement, user=user).exists():
        raise ValidationError(_("This person has no role in this agreement."))
    if not invitation_pending(user):
        raise ValidationError(_("This person has already signed in: there is nothing to resend."))
    queue_invitation(user=user, agreement=agreement, by=by)


def queue_invitation(*, user, agreement, by=None, added: bool = False) -> None:
    """Send the invitation email (or, with `added`, the "you have been added" note) once the
    transaction is saved."""
    from accounts.tasks import send_invitation

    send_invitation.delay_on_commit(
        user.pk, agreement.pk, invited_by_pk=getattr(by, "pk", None), added=added
    )


# --- A person's own profile -----------------------------------------------------------------


def profile_fingerprint(user) -> str:
    """What the profile form saw of the person's settings: language and time zone."""
    state = f"{user.language}\n{user.time_zone}"
    return hashlib.sha256(state.encode()).hexdigest()[:20]


def update_profile(
    *, user, by, language: str, time_zone: str, expected_fingerprint: str | None = None
):
    """Change the language and time zone the person's pages and reminders use; refused with
    `EditConflict` if they were changed elsewhere since the form was opened."""
    User = get_user_model()
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        if expected_fingerprint and expected_fingerprint != profile_fingerprint(current):
            raise EditConflict(current)
        _update_details(current, by=by, language=language, time_zone=time_zone)
    user.language, user.time_zone = current.language, current.time_zone
    return current


def end_other_sessions(*, request, by) -> None:
    """End every session of the signed-in person but this one: raising their session epoch
    changes the hash every session carries; this one is given the new hash."""
    from django.contrib.auth import get_user_model, update_session_auth_hash
    from django.db.models import F

    user = request.user
    with transaction.atomic():
        before = snapshot(user)
        get_user_model().objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        user.refresh_from_db(fields=["session_epoch"])
        record_update(instance=user, before=before, actor=by)
    update_session_auth_hash(request, user)


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


def _masked(token: str) -> str:
    """Enough of a secret address to tell two apart in the audit trail, not to use one."""
    return f"…{token[-4:]}"


@contextlib.contextmanager
def _token_hidden(feed):
    """The feed with its token masked while the audit trail reads it."""
    token = feed.token
    feed.token = _masked(token)
    try:
        yield feed
    finally:
        feed.token = token


def create_or_regenerate_feed(*, user, by) -> CalendarFeed:
    """Give the person a calendar feed at a new secret address; the one they had, if any,
    stops working at once."""
    with transaction.atomic():
        # The person's row is the lock: two clicks at once make one feed, not a clash.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
        before = None
        if feed is None:
            feed = CalendarFeed(user=user)
        else:
            with _token_hidden(feed):
                before = snapshot(feed)
        feed.token = new_feed_token()
        feed.created_at = timezone.now()
        feed.last_fetched_at = None
        feed.full_clean()
        feed.save()
        with _token_hidden(feed):
            record_save(instance=feed, before=before, actor=by)
    return feed


def revoke_feed(*, user, by) -> bool:
    """Stop the person's calendar feed; False when they had none."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
        if feed is None:
            return False
        with _token_hidden(feed):
            before = snapshot(feed)
        pk = feed.pk
        feed.delete()
        feed.pk = pk  # the audit entry names the row that was
        with _token_hidden(feed):
            record_delete(instance=feed, before=before, actor=by)
    return True


def note_feed_read(feed, *, now=None) -> None:
    """Remember when a calendar last read the feed, at most once an hour: a calendar polling
    every few minutes must not write a row each time."""
    now = now or timezone.now()
    if feed.last_fetched_at is not None and now - feed.last_fetched_at < FEED_READ_PRECISION:
        return
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    feed.last_fetched_at = now


# --- Helpers --------------------------------------------------------------------------------


def _unique_username(email: str) -> str:
    """The email's local part, as a username nobody has yet ("sok.dara", "sok.dara2", …)."""
    User = get_user_model()
    base = re.sub(r"[^\w.@+-]", "", email.split("@", 1)[0].lower())[:140] or "person"
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}{number}"
    return candidate


def _update_details(user, *, by, **fields) -> None:
    """Save and audit these account fields, if any differs."""
    if all(getattr(user, name) == value for name, value in fields.items()):
        return
    before = snapshot(user)
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean()
    user.save(update_fields=list(fields))
    record_update(instance=user, before=before, actor=by)


def _check_may_change(*, agreement, by, current: str | None, wanted: str | None = None) -> None:
    """A person may give only the roles they may grant, and change only those who hold one."""
    if by is None:
        return  # a command or the shell: the caller has decided
    grantable = permissions.roles_grantable(by, agreement.pk)
    if wanted is not None and wanted not in grantable:
        raise ValidationError({"role": _("You may not give this role in this agreement.")})
    if current is not None and current not in grantable:
        raise ValidationError(
            _("Only the secretariat may change or remove a member of the secretariat.")
        )


def _apply(*, agreement, user, by, role, party, working_groups) -> bool:
    """Role, party and seats as given; True when the role is new or different."""
    from workinggroups.models import WorkingGroup

    working_groups = list(working_groups or ())
    errors = {}
    if role not in Role.values:
        errors["role"] = _("Choose a role.")
    if working_groups and party is None:
        errors["party"] = _("Choose the party this person sits for in their working groups.")
    if any(group.agreement_id != agreement.pk for group in working_groups):
        errors["working_groups"] = _("Choose working groups of this agreement.")
    if errors:
        raise ValidationError(errors)
    current = (
        RoleAssignment.objects.select_for_update()
        .filter(agreement=agreement, user=user)
        .values_list("role", flat=True)
        .first()
    )
    _check_may_change(agreement=agreement, by=by, current=current, wanted=role)
    # assign_role refuses to take the role from the agreement's last secretariat.
    assign_role(agreement=agreement, user=user, role=role, by=by, party=party)
    wanted = {group.pk: group for group in working_groups}
    seats = Membership.objects.select_for_update().filter(
        user=user, working_group__in=WorkingGroup.objects.filter(agreement=agreement)
    )
    held = {}
    for seat in seats:
        if seat.working_group_id in wanted:
            held[seat.working_group_id] = seat
        else:
            remove_membership(membership=seat, by=by)
    for pk, group in wanted.items():
        seat = held.get(pk)
        if seat is not None and seat.party_id == party.pk:
            continue
        # A group lead stays lead: the invitation says where they sit, not how.
        add_membership(
            working_group=group,
            user=user,
            party=party,
            by=by,
            **({"role": seat.role} if seat is not None else {}),
        )
    return current != role
