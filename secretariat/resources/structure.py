"""The Working groups and Chapters sheets: the agreement's structure."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from secretariat.resources.base import Column, SheetResource, _change
from secretariat.resources.cells import _Cells
from workinggroups.models import Chapter, WorkingGroup
from workinggroups.services import (
    create_chapter,
    create_working_group,
    update_chapter,
    update_working_group,
)


class WorkingGroupResource(SheetResource):
    """Working groups, found by their code within the agreement."""

    key = "working_groups"
    key_column = "code"
    sheet_title = gettext_lazy("Working groups")
    help_text = gettext_lazy("A working group is found by its code; its name and order follow.")
    aliases = ("working group", "groups")
    field_columns = {"code": "code", "name": "name", "order": "order"}

    code = Column("code", gettext_lazy("code"), "working group code", "group code", required=True)
    name = Column("name", gettext_lazy("name"), "working group", "working group name")
    order = Column("order", gettext_lazy("order"), "position")

    class Meta:
        model = WorkingGroup

    def row_key(self, cells):
        return cells.text("code").upper()

    def find(self, row):
        code = _Cells(row).text("code")
        if not code:
            return None
        return WorkingGroup.objects.filter(agreement=self.agreement, code__iexact=code).first()

    def read(self, instance, cells):
        code, name, order = cells.text("code").upper(), cells.text("name"), cells.order("order")
        if not code:
            cells.error("code", _("A working group needs its code."))
        if instance.pk is None:
            if not name:
                cells.error("name", _("A new working group needs its name."))
            return {"code": code, "name": name, "order": order}, [_("Adds the working group.")]
        effects = []
        if name and name != instance.name:
            effects.append(_change("name", instance.name, name))
        if order is not None and order != instance.order:
            effects.append(_change("order", instance.order, order))
        return {"code": instance.code, "name": name or instance.name, "order": order}, effects

    def write(self, instance, values, is_create):
        if is_create:
            create_working_group(agreement=self.agreement, by=self.by, **values)
        else:
            update_working_group(working_group=instance, by=self.by, **values)


class ChapterResource(SheetResource):
    """Chapters, found by their title within the agreement; one named in another working
    group than its own is moved there, keeping its history."""

    key = "chapters"
    key_column = "title"
    sheet_title = gettext_lazy("Chapters")
    help_text = gettext_lazy(
        "A chapter is found by its title; one named with another working group's code is "
        "moved there, keeping its history."
    )
    aliases = ("chapter",)
    field_columns = {"title": "title", "order": "order", "working_group": "working group code"}

    group = Column(
        "working group code",
        gettext_lazy("working group code"),
        "working group",
        "group code",
        "group",
        "code",
    )
    title = Column("title", gettext_lazy("title"), "chapter", "chapter title", required=True)
    order = Column("order", gettext_lazy("order"), "position")

    class Meta:
        model = Chapter

    def row_key(self, cells):
        return cells.text("title").casefold()

    def find(self, row):
        cells = _Cells(row)
        title = cells.text("title")
        if not title:
            return None
        chapters = Chapter.objects.filter(
            working_group__agreement=self.agreement, title__iexact=title
        ).select_related("working_group")
        code = cells.text("working group code").upper()
        # The same title may stand in two groups: the one in the group named is meant.
        chapters = list(chapters)
        return next((c for c in chapters if c.working_group.code.upper() == code), None) or (
            chapters[0] if chapters else None
        )

    def read(self, instance, cells):
        title, order = cells.text("title"), cells.order("order")
        code = cells.text("working group code").upper()
        group = None
        if not title:
            cells.error("title", _("A chapter needs its title."))
        if code:
            group = WorkingGroup.objects.filter(agreement=self.agreement, code__iexact=code).first()
            if group is None:
                cells.error(
                    "working group code",
                    _("'%(value)s' is not a working group of this agreement.") % {"value": code},
                )
        elif instance.pk is None:
            cells.error("working group code", _("A new chapter needs its working group's code."))
        values = {"title": title, "order": order, "working_group": group}
        if instance.pk is None:
            return values, [_("Adds the chapter.")]
        effects = []
        if title and title != instance.title:
            effects.append(_change("title", instance.title, title))
        if group is not None and group.pk != instance.working_group_id:
            effects.append(
                _("Moves it from working group %(old)s to %(new)s.")
                % {"old": instance.working_group.code, "new": group.code}
            )
        if order is not None and order != instance.order:
            effects.append(_change("order", instance.order, order))
        return values, effects

    def write(self, instance, values, is_create):
        if is_create:
            create_chapter(
                working_group=values["working_group"],
                title=values["title"],
                order=values["order"],
                by=self.by,
            )
        else:
            # From the version read for this row: a page's edit in between refuses the import
            # (which then changes nothing) rather than being overwritten.
            update_chapter(
                chapter=instance, by=self.by, expected_version=instance.version, **values
            )
