"""The People sheet: who holds which role in the agreement, for which party and groups."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services import invite_person, update_person
from negotiations import permissions
from negotiations.choices import Role
from negotiations.models import RoleAssignment
from secretariat.resources.base import Column, SheetResource, _change
from secretariat.resources.cells import (
    _Cells,
    _choice_key,
    _groups_named,
    _languages,
    _normalised,
    _party_at_table,
    _quoted_list,
    _roles,
)
from workinggroups.models import Membership


class PersonResource(SheetResource):
    """People, found by their email: someone new to the agreement is invited (their account
    made if the email is new); someone already in it gets the role, party and working groups
    the row gives. Names, time zone and language of an account that exists are its owner's."""

    key = "people"
    key_column = "email"
    sheet_title = gettext_lazy("People")
    help_text = gettext_lazy(
        "Someone new to the agreement is invited by email. Someone already in it gets the "
        "role, party and working groups of the row (working group codes separated by commas); "
        "their name, time zone and language stay theirs to change."
    )
    aliases = ("person", "members")
    field_columns = {
        "email": "email",
        "username": "email",
        "first_name": "first name",
        "last_name": "last name",
        "role": "role",
        "party": "party code",
        "working_groups": "working group codes",
        "time_zone": "time zone",
        "language": "language",
    }

    email = Column("email", gettext_lazy("email"), "email address", "e mail", required=True)
    first_name = Column("first name", gettext_lazy("first name"), "given name")
    last_name = Column("last name", gettext_lazy("last name"), "family name", "surname")
    role = Column("role", gettext_lazy("role"), required=True)
    party = Column("party code", gettext_lazy("party code"), "party", "delegation")
    groups = Column(
        "working group codes",
        gettext_lazy("working group codes"),
        "working groups",
        "working group code",
        "groups",
    )
    time_zone = Column("time zone", gettext_lazy("time zone"), "timezone")
    language = Column("language", gettext_lazy("language"))

    class Meta:
        model = RoleAssignment

    def row_key(self, cells):
        return cells.text("email").casefold()

    def find(self, row):
        email = _Cells(row).text("email")
        if not email:
            return None
        return (
            RoleAssignment.objects.filter(agreement=self.agreement, user__email__iexact=email)
            .select_related("user", "party")
            .first()
        )

    def read(self, instance, cells):
        if self.by is not None and not permissions.can_manage_people(self.by, self.agreement.pk):
            cells.error(NON_FIELD_ERRORS, _("You may not invite people to this agreement."))
        email = cells.text("email")
        if not email:
            cells.error("email", _("A person needs their email address."))
        else:
            try:
                validate_email(email)
            except ValidationError:
                cells.error("email", _("'%(value)s' is not an email address.") % {"value": email})
        role = self._role(cells)
        party = self._party(cells, instance)
        groups = self._groups(cells, instance)
        if groups and party is None and "party code" not in cells.errors:
            cells.error(
                "party code",
                _("Someone in a working group sits there for a party: give its code."),
            )
        # Checked on every row, though only an invitation uses them: a typo is still a typo.
        time_zone, language = cells.time_zone("time zone"), self._language(cells)
        values = {"role": role, "party": party, "working_groups": groups}
        if instance.pk is None:
            values.update(
                email=email,
                first_name=cells.text("first name"),
                last_name=cells.text("last name"),
                # Someone whose zone the file leaves out most likely lives in their capital's.
                time_zone=time_zone or (party.capital_time_zone if party else "UTC"),
                language=language or settings.LANGUAGE_CODE,
            )
            exists = bool(email) and get_user_model().objects.filter(email__iexact=email).exists()
            return values, [
                _("Already has an account: gets the role and is told by email.")
                if exists
                else _("Creates the account and emails an invitation.")
            ]
        effects = []
        if role and role != instance.role:
            effects.append(_change("role", instance.get_role_display(), Role(role).label))
        if party != instance.party:
            effects.append(
                _change(
                    "party code",
                    instance.party.code if instance.party else "",
                    party.code if party else "",
                )
            )
        held = self._held(instance)
        if {g.pk for g in groups} != set(held) or any(
            held[g.pk].party_id != getattr(party, "pk", None) for g in groups if g.pk in held
        ):
            effects.append(
                _change(
                    "working group codes",
                    ", ".join(sorted(seat.working_group.code for seat in held.values())),
                    ", ".join(sorted(g.code for g in groups)),
                )
            )
        return values, effects

    def _role(self, cells) -> str:
        """The role of the row, written as its value or its label in any language."""
        value = cells.text("role")
        role = _roles().get(_choice_key(value)) if value else None
        if role is None:
            cells.error(
                "role",
                _("'%(value)s' is not a role: write one of %(roles)s.")
                % {"value": value, "roles": _quoted_list(str(r.label).lower() for r in Role)}
                if value
                else _("A person needs their role."),
            )
        return role

    def _party(self, cells, instance):
        """The party the person sits for: one at this agreement's table."""
        if not cells.has("party code"):
            return instance.party if instance.pk else None
        return _party_at_table(self.agreement, cells, "party code")

    def _held(self, instance) -> dict:
        """The person's seats in this agreement's working groups, by group."""
        seats = Membership.objects.filter(
            user_id=instance.user_id, working_group__agreement=self.agreement
        ).select_related("working_group")
        return {seat.working_group_id: seat for seat in seats}

    def _groups(self, cells, instance) -> list:
        """The working groups the person sits in (all theirs if the column is left out)."""
        if not cells.has("working group codes"):
            if instance.pk is None:
                return []
            return [seat.working_group for seat in self._held(instance).values()]
        return _groups_named(self.agreement, cells, "working group codes")

    def _language(self, cells) -> str | None:
        """The language code of the row, written as a code or a name."""
        value = cells.text("language")
        code = _languages().get(_normalised(value)) if value else None
        if value and code is None:
            cells.error(
                "language",
                _("'%(value)s' is not a language of the tracker: write one of %(codes)s.")
                % {"value": value, "codes": _quoted_list(c for c, _n in settings.LANGUAGES)},
            )
        return code

    def write(self, instance, values, is_create):
        if is_create:
            invite_person(agreement=self.agreement, by=self.by, **values)
        else:
            update_person(agreement=self.agreement, user=instance.user, by=self.by, **values)
