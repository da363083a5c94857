"""The Parties sheet: parties seated at the agreement's table."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from negotiations.models import Delegation, Party
from negotiations.services import add_delegation, create_party, update_delegation
from secretariat.resources.base import Column, SheetResource, _change
from secretariat.resources.cells import _Cells


class PartyResource(SheetResource):
    """Parties at the table: an unknown code creates the party, a known one is reused as it
    is (parties are shared between agreements); either is then seated at this table."""

    key = "parties"
    key_column = "code"
    sheet_title = gettext_lazy("Parties")
    help_text = gettext_lazy(
        "An unknown code adds the party (its name and capital's time zone are then needed); a "
        "known one is reused as it is. Each party is seated at this agreement's table."
    )
    aliases = ("party", "delegations")
    field_columns = {
        "code": "code",
        "name": "name",
        "capital_time_zone": "capital time zone",
        "party": "code",
        "head_name": "head of delegation",
        "head_title": "head title",
    }

    code = Column("code", gettext_lazy("code"), "party code", "party", required=True)
    name = Column("name", gettext_lazy("name"), "party name")
    capital_time_zone = Column(
        "capital time zone", gettext_lazy("capital time zone"), "time zone", "capital timezone"
    )
    head_name = Column(
        "head of delegation", gettext_lazy("head of delegation"), "head", "head name"
    )
    head_title = Column("head title", gettext_lazy("head title"), "title")

    class Meta:
        model = Delegation

    def row_key(self, cells):
        return cells.text("code").upper()

    def find(self, row):
        code = _Cells(row).text("code")
        if not code:
            return None
        return (
            Delegation.objects.filter(agreement=self.agreement, party__code__iexact=code)
            .select_related("party")
            .first()
        )

    def read(self, instance, cells):
        code = cells.text("code").upper()
        values, effects = {"code": code}, []
        if not code:
            cells.error("code", _("A party needs its code."))
        heads = {"head_name": "head of delegation", "head_title": "head title"}
        for name, key in heads.items():
            current = getattr(instance, name) if instance.pk else ""
            values[name] = cells.text(key) if cells.has(key) else current
        if instance.pk is not None:
            for name, key in heads.items():
                if values[name] != getattr(instance, name):
                    effects.append(_change(key, getattr(instance, name), values[name]))
            return values, effects
        party = Party.objects.filter(code__iexact=code).first() if code else None
        values["party"] = party
        if party is None and code:
            values["name"] = cells.text("name")
            values["capital_time_zone"] = cells.time_zone("capital time zone")
            if not values["name"]:
                cells.error("name", _("A new party needs its name."))
            if not values["capital_time_zone"] and "capital time zone" not in cells.errors:
                cells.error("capital time zone", _("A new party needs its capital's time zone."))
            effects.append(_("Creates the party."))
        effects.append(_("Seats it at this agreement's table."))
        return values, effects

    def write(self, instance, values, is_create):
        if not is_create:
            update_delegation(
                delegation=instance,
                by=self.by,
                head_name=values["head_name"],
                head_title=values["head_title"],
            )
            return
        party = values["party"] or create_party(
            name=values["name"],
            code=values["code"],
            capital_time_zone=values["capital_time_zone"],
            by=self.by,
        )
        add_delegation(
            agreement=self.agreement,
            party=party,
            by=self.by,
            head_name=values["head_name"],
            head_title=values["head_title"],
        )
