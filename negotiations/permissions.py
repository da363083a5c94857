"""The one place that decides who may see and change what.

Every view, form, admin action and API endpoint asks these functions; none decides on its own.
Roles are held per agreement (`RoleAssignment`); a negotiator may change only the chapters and
contested points of the working groups they are a member of, and record those groups' meetings'
outcome; chief negotiators and the secretariat may change everything in their agreement (and
set it up: its parties, structure, people and calendar); officials read; superusers may do
everything, and alone manage accounts across agreements. The secretariat also reads the audit
trail of its agreements.
"""

from functools import cache

from django.apps import apps
from django.db import connection
from django.db.models import Q, QuerySet

from negotiations.choices import Role
from negotiations.models import Agreement, RoleAssignment

# Roles that may change anything in their agreement.
STEERING_ROLES = (Role.SECRETARIAT, Role.CHIEF_NEGOTIATOR)


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _agreements_where(user, roles=None) -> QuerySet[Agreement]:
    """The agreements where this person holds one of `roles` (any role when None); all of
    them for a superuser."""
    if not _active(user):
        return Agreement.objects.none()
    if user.is_superuser:
        return Agreement.objects.all()
    assignments = RoleAssignment.objects.filter(user=user)
    if roles is not None:
        assignments = assignments.filter(role__in=roles)
    return Agreement.objects.filter(pk__in=assignments.values("agreement"))


def visible_agreements(user) -> QuerySet[Agreement]:
    """The agreements this person may see (any role in them)."""
    return _agreements_where(user)


@cache
def _access_sql() -> str:
    """The statement `_access` runs on every request: its roles and its working groups in one
    read, written once from the models' tables and columns rather than built and compiled by
    the ORM on every request (a third of what a page served from the cache cost)."""
    roles, members = RoleAssignment._meta, apps.get_model("workinggroups", "Membership")._meta
    quote = connection.ops.quote_name

    def column(meta, name):
        return quote(meta.get_field(name).column)

    return (
        f"SELECT 1, {column(roles, 'agreement')}, {column(roles, 'role')} "
        f"FROM {quote(roles.db_table)} WHERE {column(roles, 'user')} = %s "
        f"UNION ALL SELECT 0, {column(members, 'working_group')}, '' "
        f"FROM {quote(members.db_table)} WHERE {column(members, 'user')} = %s"
    )


def _access(user) -> tuple[dict, set]:
    """({agreement id: role}, {working group id}) of this person: every page asks, so both are
    read in one statement, and kept on the user for the request."""
    cached = user.__dict__.get("_access")
    if cached is None:
        cached = ({}, set())
        with connection.cursor() as cursor:
            cursor.execute(_access_sql(), [user.pk, user.pk])
            for is_role, pk, role in cursor.fetchall():
                if is_role:
                    cached[0][pk] = role
                else:
                    cached[1].add(pk)
        user.__dict__["_access"] = cached
    return cached


def _role_map(user) -> dict:
    """{agreement id: role} of this person."""
    return _access(user)[0] if _active(user) else {}


def role_in(user, agreement_id) -> str | None:
    """This person's role in the agreement, or None."""
    return _role_map(user).get(agreement_id)


def _group_ids(user) -> set[int]:
    """The working groups this person is a member of."""
    return _access(user)[1] if _active(user) else set()


def _is_superuser(user) -> bool:
    return _active(user) and user.is_superuser


# --- Agreements --------------------------------------------------------------------------------


def can_view_agreement(user, agreement_id) -> bool:
    return _is_superuser(user) or role_in(user, agreement_id) is not None


def can_steer_agreement(user, agreement_id) -> bool:
    """Secretariat and chief negotiators: may change everything in the agreement."""
    return _is_superuser(user) or role_in(user, agreement_id) in STEERING_ROLES


def steered_agreements(user) -> QuerySet[Agreement]:
    """The agreements this person may change everything in."""
    return _agreements_where(user, STEERING_ROLES)


def steers_some_agreement(user) -> bool:
    """Whether this person steers an agreement (or may steer any, as a superuser): who looks
    after failed reminders, and adds countries to the list of parties."""
    return _is_superuser(user) or bool(_roles(user) & set(STEERING_ROLES))


# --- The secretariat's workspace ---------------------------------------------------------------
# Setting an agreement up and keeping it current (its parties, structure, people, rounds,
# meetings, deadlines and failed reminders) is the work of those who steer it. None of it needs
# the staff flag: the administration site is not part of that work.


def can_create_agreement(user) -> bool:
    """Open a new agreement (and become its secretariat): a superuser, or someone who already
    serves as secretariat of an agreement."""
    return _is_superuser(user) or Role.SECRETARIAT in _roles(user)


def can_manage_agreement(user, agreement_id) -> bool:
    """Change the agreement's details, parties, working groups and chapters, its rounds,
    meetings and deadlines, import into it, and resend its failed reminders."""
    return can_steer_agreement(user, agreement_id)


def can_manage_people(user, agreement_id) -> bool:
    """Invite people to the agreement, and change their role and working groups."""
    return can_steer_agreement(user, agreement_id)


def roles_grantable(user, agreement_id) -> list[str]:
    """The roles this person may give others in the agreement: only the secretariat (and
    superusers) may make someone secretariat."""
    if not can_manage_people(user, agreement_id):
        return []
    if _is_superuser(user) or role_in(user, agreement_id) == Role.SECRETARIAT:
        return list(Role.values)
    return [role for role in Role.values if role != Role.SECRETARIAT]


# --- Working groups, chapters and contested points ---------------------------------------------


def can_change_working_group(user, working_group) -> bool:
    """May change the group's chapters and contested points, and record its meetings' outcome."""
    if can_steer_agreement(user, working_group.agreement_id):
        return True
    return role_in(
        user, working_group.agreement_id
    ) == Role.NEGOTIATOR and working_group.pk in _group_ids(user)


def can_view_chapter(user, chapter) -> bool:
    return can_view_agreement(user, chapter.working_group.agreement_id)


def can_change_chapter(user, chapter) -> bool:
    return can_change_working_group(user, chapter.working_group)


def changeable_chapters(user, agreement_id) -> Q:
    """A filter for the chapters of the agreement this person may change."""
    if can_steer_agreement(user, agreement_id):
        return Q(working_group__agreement_id=agreement_id)
    if role_in(user, agreement_id) == Role.NEGOTIATOR:
        return Q(working_group__agreement_id=agreement_id, working_group_id__in=_group_ids(user))
    return Q(pk__in=[])


def can_change_some_chapter(user, agreement_id) -> bool:
    """Whether this person may change anything in the agreement's chapters: what decides
    whether its dashboard says "read only"."""
    if can_steer_agreement(user, agreement_id):
        return True
    if role_in(user, agreement_id) != Role.NEGOTIATOR:
        return False
    from workinggroups.models import WorkingGroup

    return WorkingGroup.objects.filter(agreement_id=agreement_id, pk__in=_group_ids(user)).exists()


def can_view_contested_point(user, point) -> bool:
    return can_view_chapter(user, point.chapter)


def can_edit_contested_point(user, point) -> bool:
    """Open, edit positions, escalate: the chapter's working group and those who steer."""
    return can_change_chapter(user, point.chapter)


def can_resolve_contested_point(user, point) -> bool:
    """Once escalated, a point is the chief negotiators' to settle."""
    from workinggroups.choices import ContestedPointState

    if point.state == ContestedPointState.ESCALATED:
        return can_steer_agreement(user, point.chapter.working_group.agreement_id)
    return can_edit_contested_point(user, point)


# --- Meetings and commitments ------------------------------------------------------------------


def can_view_meeting(user, meeting) -> bool:
    return can_view_agreement(user, meeting.agreement_id)


def can_record_outcome(user, meeting) -> bool:
    """Record what a meeting decided: those who steer, or a negotiator of a group that met."""
    if can_steer_agreement(user, meeting.agreement_id):
        return True
    if role_in(user, meeting.agreement_id) != Role.NEGOTIATOR:
        return False
    met = {group.pk for group in meeting.working_groups.all()}
    return bool(met & _group_ids(user))


def can_view_commitment(user, commitment) -> bool:
    return can_view_agreement(user, commitment.meeting.agreement_id)


def can_change_commitment(user, commitment) -> bool:
    """Update a commitment's status, or mark it delivered."""
    return can_record_outcome(user, commitment.meeting)


def can_create_commitment(user, agreement_id) -> bool:
    """Record a commitment outside a meeting's outcome screen (a leaders' statement, say)."""
    return can_steer_agreement(user, agreement_id)


# --- Accounts and the audit trail --------------------------------------------------------------


def can_manage_accounts(user) -> bool:
    """Manage every account, whatever agreements it serves (the administration site):
    superusers alone. The staff flag gives nothing; the secretariat manages its own
    agreement's people in the tracker (`can_manage_people`)."""
    return _is_superuser(user)


def _roles(user) -> set[str]:
    """Every role this person holds, in any agreement."""
    return set(_role_map(user).values())


def audit_agreements(user) -> QuerySet[Agreement]:
    """The agreements whose audit trail this person may read: where they are the secretariat."""
    return _agreements_where(user, [Role.SECRETARIAT])


def can_view_audit(user) -> bool:
    return _is_superuser(user) or Role.SECRETARIAT in _roles(user)


def can_view_unscoped_audit(user) -> bool:
    """Entries about parties and accounts, which belong to no agreement and so may tell of
    any agreement's people: for those who manage every account."""
    return can_manage_accounts(user)


# --- Second factor and API tokens --------------------------------------------------------------

# Roles whose accounts can change a country's negotiating record across an agreement.
SECOND_FACTOR_ROLES = frozenset(STEERING_ROLES)


def requires_second_factor(user) -> bool:
    """Whether this person must pass a second factor to use the product: superusers, and whoever
    is the secretariat or a chief negotiator of any agreement. Everyone else may enrol."""
    return _is_superuser(user) or bool(_roles(user) & SECOND_FACTOR_ROLES)


def has_passed_second_factor(user) -> bool:
    """Whether this signed-in session has passed the second factor (django-otp's verification)."""
    return _active(user) and bool(getattr(user, "is_verified", lambda: False)())


def second_factor_satisfied(user) -> bool:
    """Whether this session may act as this person: it has passed the second factor, or the
    person's role does not require one."""
    return has_passed_second_factor(user) or not requires_second_factor(user)


def can_manage_api_tokens(user) -> bool:
    """Create and revoke one's own API tokens: any active person, from a session that has passed
    the second factor where their role requires one."""
    return _active(user) and second_factor_satisfied(user)


def can_write_through_api(user, token=None) -> bool:
    """Write through the API at all: a session, or a token scoped read-write. What may be written
    is then decided by the same questions as on the pages."""
    return _active(user) and (token is None or getattr(token, "can_write", False))


def can_create_party(user) -> bool:
    """Add a country to the list every agreement's parties are chosen from: those who set
    agreements up (a superuser, or whoever steers an agreement)."""
    return steers_some_agreement(user)


# --- Page cache (dashboards) -------------------------------------------------------------------


def permission_scope(user) -> tuple:
    """Everything the answers above depend on for this person, as a value: two people with the
    same scope are shown the same pages (the dashboards' page cache keys by it)."""
    if not _active(user):
        return ("anonymous",)
    return (
        "superuser" if user.is_superuser else "",
        tuple(sorted(_role_map(user).items())),
        tuple(sorted(_group_ids(user))),
    )
