from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from negotiations.validators import validate_single_line
from workinggroups.choices import (
    UNRESOLVED_POINT_STATES,
    ChapterStatus,
    ContestedPointState,
    MembershipRole,
)


class WorkingGroup(models.Model):
    """The team from every side that negotiates one area (e.g. Rules of Origin)."""

    agreement = models.ForeignKey(
        "negotiations.Agreement",
        on_delete=models.CASCADE,
        related_name="working_groups",
        verbose_name=_("agreement"),
    )
    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    code = models.CharField(_("short code"), max_length=12, validators=[validate_single_line])
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="working_groups",
        verbose_name=_("members"),
    )

    class Meta:
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        ordering = ["agreement", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "code"],
                name="one_working_group_code_per_agreement",
                violation_error_message=_("Another working group of this agreement has this code."),
            ),
            models.UniqueConstraint(
                fields=["agreement", "name"],
                name="one_working_group_name_per_agreement",
                violation_error_message=_("Another working group of this agreement has this name."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("dashboards:working-group", kwargs={"pk": self.pk})

    def clean(self):
        # "Data Flows" and "data flows" are the same group to a reader.
        errors = {}
        others = WorkingGroup.objects.filter(agreement_id=self.agreement_id).exclude(pk=self.pk)
        if self.name and others.filter(name__iexact=self.name.strip()).exists():
            errors["name"] = _("Another working group of this agreement has this name.")
        if self.code and others.filter(code__iexact=self.code.strip()).exists():
            errors["code"] = _("Another working group of this agreement has this code.")
        if errors:
            raise ValidationError(errors)


class Membership(models.Model):
    """A person's seat in a working group, for one party's delegation, as lead or member."""

    working_group = models.ForeignKey(
        WorkingGroup,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("working group"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    party = models.ForeignKey(
        "negotiations.Party", on_delete=models.PROTECT, related_name="+", verbose_name=_("party")
    )
    role = models.CharField(
        _("role"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["working_group", "party", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["working_group", "user"], name="one_membership_per_group_and_person"
            ),
            models.UniqueConstraint(
                fields=["working_group", "party"],
                condition=Q(role=MembershipRole.LEAD),
                name="one_lead_per_group_and_party",
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.working_group} ({self.party.code})"

    def clean(self):
        if (
            self.working_group_id
            and self.party_id
            and not self.working_group.agreement.delegations.filter(party_id=self.party_id).exists()
        ):
            raise ValidationError({"party": _("This party is not at this agreement's table.")})


class ChapterQuerySet(models.QuerySet):
    def with_contested(self):
        """Annotate `is_contested`: the chapter has an open or escalated contested point."""
        return self.annotate(
            is_contested=Exists(
                ContestedPoint.objects.filter(
                    chapter=OuterRef("pk"), state__in=UNRESOLVED_POINT_STATES
                )
            )
        )


class Chapter(models.Model):
    """A part of the agreement text (Trade in Goods, Rules of Origin, …) owned by one group."""

    working_group = models.ForeignKey(
        WorkingGroup,
        on_delete=models.CASCADE,
        related_name="chapters",
        verbose_name=_("working group"),
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=ChapterStatus.choices,
        default=ChapterStatus.NOT_STARTED,
    )
    # Bumped by every change; an edit based on an older version is refused, not applied.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ChapterQuerySet.as_manager()

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["working_group__order", "order", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["working_group", "title"],
                name="one_chapter_title_per_group",
                violation_error_message=_(
                    "This working group already has a chapter of this title."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("workinggroups:chapter-detail", kwargs={"pk": self.pk})


class ChapterStatusChange(models.Model):
    """One move of a chapter's status: the history every dashboard reads."""

    chapter = models.ForeignKey(
        Chapter, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("chapter")
    )
    from_status = models.CharField(_("from"), max_length=24, choices=ChapterStatus.choices)
    to_status = models.CharField(_("to"), max_length=24, choices=ChapterStatus.choices)
    negotiation_round = models.ForeignKey(
        "negotiations.NegotiationRound",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        verbose_name=_("round"),
    )
    meeting = models.ForeignKey(
        "negotiations.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        verbose_name=_("meeting"),
    )
    note = models.TextField(_("note"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # When the move happened in the negotiation (the end of the meeting it was made at),
    # which is what "as of the second round" reads; recorded_at is when it was typed in.
    effective_at = models.DateTimeField(_("effective at"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("chapter status change")
        verbose_name_plural = _("chapter status changes")
        ordering = ["effective_at", "pk"]
        indexes = [
            models.Index(fields=["chapter", "effective_at"]),
            models.Index(fields=["effective_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")),
                name="status_change_changes_something",
            ),
        ]

    def __str__(self):
        return f"{self.chapter}: {self.get_from_status_display()} → {self.get_to_status_display()}"


class ContestedPoint(models.Model):
    """A specific disagreement inside a chapter ("brackets"), with each party's position."""

    chapter = models.ForeignKey(
        Chapter,
        on_delete=models.CASCADE,
        related_name="contested_points",
        verbose_name=_("chapter"),
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contested_points",
        verbose_name=_("owner"),
    )
    target_date = models.DateField(_("target date"), null=True, blank=True)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=ContestedPointState.choices,
        default=ContestedPointState.OPEN,
    )
    raised_at = models.ForeignKey(
        "negotiations.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contested_points_raised",
        verbose_name=_("raised at"),
    )
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    # When it was handed to the chief negotiators; the reminders tell them from this moment.
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # Who handed it on, and why: what the chief negotiators are told.
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalated by"),
    )
    escalation_note = models.TextField(_("why it was escalated"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("contested point")
        verbose_name_plural = _("contested points")
        ordering = ["target_date", "pk"]
        indexes = [models.Index(fields=["state", "target_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state=ContestedPointState.RESOLVED, resolved_on__isnull=False)
                | (~Q(state=ContestedPointState.RESOLVED) & Q(resolved_on__isnull=True)),
                name="contested_point_resolved_on_iff_resolved",
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=models.F("opened_on")),
                name="contested_point_resolved_after_opened",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("workinggroups:contestedpoint-detail", kwargs={"pk": self.pk})


class Position(models.Model):
    """One party's position on a contested point."""

    contested_point = models.ForeignKey(
        ContestedPoint,
        on_delete=models.CASCADE,
        related_name="positions",
        verbose_name=_("contested point"),
    )
    party = models.ForeignKey(
        "negotiations.Party", on_delete=models.PROTECT, related_name="+", verbose_name=_("party")
    )
    text = models.TextField(_("position"))

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["contested_point", "party__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["contested_point", "party"], name="one_position_per_party_and_point"
            ),
        ]

    def __str__(self):
        return f"{self.party.code}: {self.text[:60]}"

    def clean(self):
        # Checked here, so that opening, editing and the admin all refuse it alike.
        if (
            self.party_id
            and self.contested_point_id
            and not self.contested_point.chapter.working_group.agreement.delegations.filter(
                party_id=self.party_id
            ).exists()
        ):
            raise ValidationError(
                {"party": _("A position was given for a party not at this agreement's table.")}
            )
