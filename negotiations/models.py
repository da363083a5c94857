import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import validate_time_zone
from negotiations.choices import (
    OPEN_COMMITMENT_STATUSES,
    AgreementKind,
    AgreementStatus,
    CommitmentStatus,
    MeetingKind,
    Role,
    RoundMode,
)
from negotiations.validators import validate_single_line


def _null_or_not_before(later, earlier):
    """A check that `later` is not before `earlier` whenever both are set."""
    return (
        Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__gte": F(earlier)})
    )


def at_the_table(agreement_id, party_id) -> bool:
    """Whether the party has a delegation to the agreement's negotiations."""
    return (
        agreement_id is None
        or Delegation.objects.filter(agreement_id=agreement_id, party_id=party_id).exists()
    )


class Party(models.Model):
    """A country or customs territory that sits at the negotiating table."""

    name = models.CharField(
        _("name"), max_length=120, unique=True, validators=[validate_single_line]
    )
    code = models.CharField(
        _("code"), max_length=3, unique=True, help_text=_("ISO 3166 alpha-3 code, e.g. KHM.")
    )
    capital_time_zone = models.CharField(
        _("capital time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("Used to show each delegation its own local time, e.g. Asia/Phnom_Penh."),
    )

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.capital_time_zone)


def first_generation() -> int:
    """An agreement's first change generation: random, far below the field's bound."""
    return secrets.randbits(48)


class Agreement(models.Model):
    """One free trade agreement under negotiation (or, later, being implemented)."""

    name = models.CharField(
        _("name"), max_length=200, unique=True, validators=[validate_single_line]
    )
    short_name = models.CharField(_("short name"), max_length=40, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=AgreementKind.choices, default=AgreementKind.BILATERAL
    )
    parties = models.ManyToManyField(
        Party, through="Delegation", related_name="agreements", verbose_name=_("parties")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AgreementStatus.choices,
        default=AgreementStatus.LAUNCHED,
    )
    launched_on = models.DateField(_("launched on"), null=True, blank=True)
    target_conclusion_on = models.DateField(_("target conclusion date"), null=True, blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    in_force_on = models.DateField(_("in force on"), null=True, blank=True)
    is_demo = models.BooleanField(
        _("demonstration data"),
        default=False,
        help_text=_("Invented data for trying the tracker out; never a real negotiation."),
    )
    # Bumped in the transaction of every change to the agreement or anything in it (by the
    # audit writer, which every service calls): the cached dashboards are keyed by it. Never
    # written by save(), so that an instance read before a change cannot set it back. It starts
    # at random, so that an agreement of a database set up anew never meets the pages cached
    # for another that had its key.
    change_generation = models.PositiveBigIntegerField(
        _("change generation"), default=first_generation, editable=False
    )

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=_null_or_not_before("concluded_on", "launched_on"),
                name="agreement_concluded_after_launch",
                violation_error_message=_("The agreement cannot be concluded before its launch."),
            ),
            models.CheckConstraint(
                condition=_null_or_not_before("signed_on", "concluded_on"),
                name="agreement_signed_after_conclusion",
                violation_error_message=_("The agreement cannot be signed before it is concluded."),
            ),
            models.CheckConstraint(
                condition=_null_or_not_before("in_force_on", "signed_on"),
                name="agreement_in_force_after_signature",
                violation_error_message=_(
                    "The agreement cannot enter into force before it is signed."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "change_generation"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("dashboards:agreement", kwargs={"slug": self.slug})

    # The day each status is reached; a status is not claimed without it.
    MILESTONE_OF = {
        AgreementStatus.CONCLUDED: ("concluded_on", _("Give the day the agreement was concluded.")),
        AgreementStatus.SIGNED: ("signed_on", _("Give the day the agreement was signed.")),
        AgreementStatus.IN_FORCE: (
            "in_force_on",
            _("Give the day the agreement entered into force."),
        ),
    }

    def clean(self):
        errors = {}
        milestone, missing = self.MILESTONE_OF.get(self.status, (None, ""))
        if milestone and not getattr(self, milestone):
            errors[milestone] = missing
        # Conclusion and signature are facts, recorded once they happened; entry into force
        # may be fixed ahead.
        today = timezone.localdate()
        for field in ("concluded_on", "signed_on"):
            day = getattr(self, field)
            if day and day > today:
                errors.setdefault(
                    field, _("This day is still ahead: record it once it has happened.")
                )
        if self.short_name and self.short_name.strip():
            clash = Agreement.objects.filter(short_name__iexact=self.short_name.strip())
            if clash.exclude(pk=self.pk).exists():
                errors["short_name"] = _("Another agreement already goes by this short name.")
        if errors:
            raise ValidationError(errors)


class AgreementStatusChange(models.Model):
    """The agreement's own status over time, one row per step: launched, under negotiation,
    concluded, signed, in force (or a step back). Written by
    `negotiations.services.agreements`, read by every view of the past."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("agreement"),
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=AgreementStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=AgreementStatus.choices)
    effective_on = models.DateField(_("on"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement status change")
        verbose_name_plural = _("agreement status changes")
        ordering = ["agreement", "effective_on", "pk"]
        indexes = [models.Index(fields=["agreement", "effective_on"])]

    def __str__(self):
        return f"{self.agreement}: {self.get_to_status_display()} ({self.effective_on})"


class Delegation(models.Model):
    """A party's delegation to one agreement's negotiations, led by its chief negotiator."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="delegations", verbose_name=_("agreement")
    )
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="delegations", verbose_name=_("party")
    )
    head_name = models.CharField(
        _("head of delegation"), max_length=200, blank=True, validators=[validate_single_line]
    )
    head_title = models.CharField(
        _("title"), max_length=300, blank=True, validators=[validate_single_line]
    )

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["agreement", "party__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "party"], name="one_delegation_per_party_and_agreement"
            )
        ]

    def __str__(self):
        return f"{self.party} — {self.agreement.short_name}"


class RoleAssignment(models.Model):
    """The role a person holds in one agreement (secretariat, chief negotiator, …)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("person"),
    )
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="roles", verbose_name=_("agreement")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("delegation of"),
        help_text=_("The party whose delegation this person belongs to, if any."),
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["agreement", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "agreement"], name="one_role_per_agreement")
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} ({self.agreement.short_name})"


class NegotiationRound(models.Model):
    """A numbered session of formal talks ("the second round")."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="rounds", verbose_name=_("agreement")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    mode = models.CharField(
        _("mode"), max_length=20, choices=RoundMode.choices, default=RoundMode.IN_PERSON
    )
    host_party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_rounds",
        verbose_name=_("host"),
    )
    location = models.CharField(
        _("location"), max_length=200, blank=True, validators=[validate_single_line]
    )
    summary = models.TextField(_("summary"), blank=True)
    # The record gives only the month ("spring 2020"): the days are a best guess, said so.
    dates_assumed = models.BooleanField(
        _("days assumed"),
        default=False,
        help_text=_("The record does not give the exact days; they are shown as assumed."),
    )

    class Meta:
        verbose_name = _("negotiation round")
        verbose_name_plural = _("negotiation rounds")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "number"], name="one_round_number_per_agreement"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="round_number_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="round_ends_after_it_starts",
                violation_error_message=_("A round ends on or after the day it starts."),
            ),
            models.CheckConstraint(
                condition=Q(mode=RoundMode.VIDEO_CONFERENCE) | Q(host_party__isnull=False),
                name="in_person_round_has_host",
                violation_error_message=_("A round held in person needs a host."),
            ),
        ]

    def __str__(self):
        return _("Round %(number)s — %(agreement)s") % {
            "number": self.number,
            "agreement": self.agreement.short_name,
        }

    def get_absolute_url(self):
        return reverse(
            "dashboards:round",
            kwargs={"slug": self.agreement.slug, "number": self.number},
        )

    def clean(self):
        # The constraints hold whatever writes; here they are said on the field concerned.
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("A round ends on or after the day it starts.")
        if self.mode == RoundMode.IN_PERSON and not self.host_party_id:
            errors["host_party"] = _("A round held in person needs a host.")
        if self.host_party_id and not at_the_table(self.agreement_id, self.host_party_id):
            errors["host_party"] = _("The host must be a party to the agreement.")
        if errors:
            raise ValidationError(errors)


class Meeting(models.Model):
    """A plenary, working-group session, intersessional call or leaders' meeting."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("agreement")
    )
    negotiation_round = models.ForeignKey(
        NegotiationRound,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("round"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("The zone the meeting was scheduled in; everyone sees it in their own too."),
    )
    host_party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_meetings",
        verbose_name=_("host"),
        help_text=_("The meeting's time zone defaults to the host's capital."),
    )
    location = models.CharField(
        _("place"), max_length=200, blank=True, validators=[validate_single_line]
    )
    video_link = models.URLField(_("video link"), blank=True)
    working_groups = models.ManyToManyField(
        "workinggroups.WorkingGroup",
        blank=True,
        related_name="meetings",
        verbose_name=_("working groups"),
    )
    summary = models.TextField(_("summary"), blank=True)
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    # Since when it was known: a view of the past lists only the meetings known by then.
    announced_on = models.DateField(
        _("announced on"),
        null=True,
        blank=True,
        help_text=_("The day the meeting was first scheduled. Empty: known all along."),
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["agreement", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="meeting_ends_after_it_starts",
                violation_error_message=_("A meeting ends after it starts."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("meetings:detail", kwargs={"pk": self.pk})

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("A meeting ends after it starts.")
        if (
            self.negotiation_round_id
            and self.agreement_id
            and self.negotiation_round.agreement_id != self.agreement_id
        ):
            errors["negotiation_round"] = _("This round belongs to another agreement.")
        if self.host_party_id and not at_the_table(self.agreement_id, self.host_party_id):
            errors["host_party"] = _("The host must be a party to the agreement.")
        if errors:
            raise ValidationError(errors)

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.time_zone)


class Deadline(models.Model):
    """A target the chief negotiators set ("discuss the controversial points by mid-May")."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("agreement")
    )
    working_group = models.ForeignKey(
        "workinggroups.WorkingGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("working group"),
        help_text=_("Leave empty for a deadline of the chief negotiators."),
    )
    title = models.CharField(_("title"), max_length=300, validators=[validate_single_line])
    due_on = models.DateField(_("due on"))
    set_at = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deadlines_set",
        verbose_name=_("set at meeting"),
    )
    done = models.BooleanField(_("done"), default=False)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_on", "title"]
        indexes = [models.Index(fields=["agreement", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(done=True) | Q(done_on__isnull=True),
                name="deadline_done_on_only_when_done",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("negotiations:deadline-detail", kwargs={"pk": self.pk})

    def clean(self):
        if (
            self.working_group_id
            and self.agreement_id
            and self.working_group.agreement_id != self.agreement_id
        ):
            raise ValidationError(
                {"working_group": _("This working group belongs to another agreement.")}
            )


class Commitment(models.Model):
    """Something one side (or both) undertook at a meeting, tracked until delivered."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("meeting")
    )
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("party"),
        help_text=_("Leave empty for a commitment both (all) parties made together."),
    )
    text = models.TextField(_("commitment"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("owner"),
    )
    source = models.TextField(
        _("source"),
        blank=True,
        help_text=_("Where it was undertaken, in the words of the record (a press release)."),
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    chapter = models.ForeignKey(
        "workinggroups.Chapter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("chapter"),
        help_text=_("The chapter this commitment concerns, if any."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CommitmentStatus.choices,
        default=CommitmentStatus.PLEDGED,
    )
    # Bumped by every change; an edit based on an older version is refused, not applied.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["meeting__starts_at", "pk"]
        indexes = [
            # What can be overdue, by meeting and due day: the portfolio counts each
            # agreement's overdue commitments from this index alone.
            models.Index(
                fields=["meeting", "due_on"],
                name="commitment_open_by_due_day",
                condition=Q(status__in=OPEN_COMMITMENT_STATUSES),
            ),
        ]

    def __str__(self):
        return self.text if len(self.text) <= 80 else self.text[:79] + "…"

    def get_absolute_url(self):
        return reverse("negotiations:commitment-detail", kwargs={"pk": self.pk})

    def clean(self):
        errors = {}
        if (
            self.party_id
            and self.meeting_id
            and not at_the_table(self.meeting.agreement_id, self.party_id)
        ):
            errors["party"] = _("This party is not at this agreement's table.")
        if (
            self.chapter_id
            and self.meeting_id
            and self.chapter.working_group.agreement_id != self.meeting.agreement_id
        ):
            errors["chapter"] = _("This chapter belongs to another agreement.")
        if errors:
            raise ValidationError(errors)


class CommitmentStatusChange(models.Model):
    """One move of a commitment's status, so that "as of" views show what it was then."""

    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("commitment"),
    )
    from_status = models.CharField(_("from"), max_length=20, choices=CommitmentStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=CommitmentStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    effective_at = models.DateTimeField(_("effective at"), default=timezone.now)

    class Meta:
        verbose_name = _("commitment status change")
        verbose_name_plural = _("commitment status changes")
        ordering = ["effective_at", "pk"]
        indexes = [models.Index(fields=["commitment", "effective_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=F("to_status")),
                name="commitment_status_change_changes_something",
            ),
        ]

    def __str__(self):
        return (
            f"{self.commitment}: {self.get_from_status_display()} → {self.get_to_status_display()}"
        )
