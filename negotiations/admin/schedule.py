"""The administration of rounds, meetings (their times typed on their own clock),
deadlines and commitments.
"""

import datetime as dt

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.forms import TimeZoneField
from accounts.models import zone_named
from audit.admin import AuditedAdminMixin
from audit.services import record_delete
from negotiations.admin.inlines import CommitmentInline
from negotiations.admin.scoping import (
    AgreementScopedForm,
    ScopedChoicesAdmin,
    ScopedListFilter,
    adopt,
)
from negotiations.admin.versions import VersionCheckedAdmin, VersionCheckedForm
from negotiations.models import Commitment, Deadline, Meeting, NegotiationRound
from negotiations.services import (
    create_commitment,
    create_deadline,
    create_meeting,
    create_round,
    in_zone,
    update_commitment,
    update_deadline,
    update_meeting,
    update_round,
    zone_for,
)
from negotiations.services.schedule import DEADLINE_FIELDS, MEETING_FIELDS, ROUND_FIELDS

COMMITMENT_FIELDS = ("text", "party", "owner", "chapter", "due_on", "status")


@admin.register(NegotiationRound)
class NegotiationRoundAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    fixed_after_creation = ["agreement"]
    list_display = ["__str__", "agreement", "starts_on", "ends_on", "mode", "host_party"]
    list_filter = [("agreement", ScopedListFilter), "mode"]
    search_fields = ["agreement__name", "summary", "location"]
    list_select_related = ["agreement", "host_party"]

    def save_model(self, request, obj, form, change):
        """Saved by the round services."""
        fields = {name: getattr(obj, name) for name in ROUND_FIELDS}
        if change:
            saved = update_round(negotiation_round=obj, by=request.user, **fields)
        else:
            saved = create_round(agreement=obj.agreement, by=request.user, **fields)
        adopt(obj, saved)


# --- Meetings ----------------------------------------------------------------------------------


class MeetingClockWidget(AdminSplitDateTime):
    """The admin's date and time inputs, without the note its script adds when the browser's
    clock differs from the editor's zone ("Enter times in the Asia/Phnom_Penh timezone"):
    these times are on the meeting's clock, and that note would say otherwise."""

    def render(self, name, value, attrs=None, renderer=None):
        """The inputs, and a marker that keeps the admin script's zone note away."""
        html = super().render(name, value, attrs, renderer)
        # The script adds its note only where no element of this class is present yet.
        return html + mark_safe('<span class="timezonewarning" hidden></span>')


class MeetingTimeField(forms.SplitDateTimeField):
    """A day and a time on the meeting's own clock. Left without a zone here: the form
    places it in the meeting's zone, which is only known once the whole form is read."""

    widget = MeetingClockWidget

    def compress(self, data_list):
        """The day and time typed, as a clock reading without a zone."""
        if not data_list:
            return None
        day, time = data_list
        if day in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if time in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return dt.datetime.combine(day, time)


MEETING_TIME_HELP = _(
    "On the meeting's own clock, in its time zone below (or its host's capital's), "
    "whoever types it: not in your time zone."
)


class MeetingAdminForm(AgreementScopedForm):
    """Start and end are typed and shown in the meeting's time zone, never the editor's."""

    starts_at = MeetingTimeField(label=_("Starts at"), help_text=MEETING_TIME_HELP)
    ends_at = MeetingTimeField(label=_("Ends at"), help_text=MEETING_TIME_HELP)
    time_zone = TimeZoneField(
        required=False,
        include_blank=_("The host's capital"),
        help_text=_(
            "The zone the meeting is held in, and its times are typed in; "
            "empty: the host's capital's."
        ),
    )

    def __init__(self, *args, **kwargs):
        """Show a saved meeting's times on its own clock."""
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            zone = zone_named(self.instance.time_zone)
            for name in ("starts_at", "ends_at"):
                moment = getattr(self.instance, name)
                if moment is not None:
                    self.initial[name] = moment.astimezone(zone).replace(tzinfo=None)

    def clean(self):
        """Place the times typed in the meeting's zone (its host's capital's if none)."""
        cleaned = super().clean()
        zone = zone_for(
            time_zone=cleaned.get("time_zone"),
            host_party=cleaned.get("host_party"),
            negotiation_round=cleaned.get("negotiation_round"),
        )
        cleaned["time_zone"] = zone
        for name in ("starts_at", "ends_at"):
            local = cleaned.get(name)
            if local is not None:
                cleaned[name] = in_zone(local.date(), local.time(), zone)
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts is not None and ends is not None and ends <= starts:
            self.add_error("ends_at", _("A meeting ends after it starts."))
        return cleaned


def _save_commitments(request, formset) -> None:
    """The commitments typed on a meeting's page go through the commitment services, which
    keep every status move for the "as of" views."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    deleted = formset.deleted_forms if formset.can_delete else []
    for form in formset.initial_forms:
        commitment = form.instance
        if form in deleted:
            record_delete(instance=commitment, actor=request.user)
            commitment.delete()
            formset.deleted_objects.append(commitment)
        elif set(form.changed_data) - {"version"}:
            fields = {name: getattr(commitment, name) for name in COMMITMENT_FIELDS}
            saved = update_commitment(
                commitment=commitment,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                **fields,
            )
            formset.changed_objects.append((saved, form.changed_data))
    for form in formset.extra_forms:
        if form in deleted or not form.has_changed():
            continue
        fields = {name: getattr(form.instance, name) for name in COMMITMENT_FIELDS}
        formset.new_objects.append(
            create_commitment(meeting=formset.instance, by=request.user, **fields)
        )


@admin.register(Meeting)
class MeetingAdmin(VersionCheckedAdmin, ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    fixed_after_creation = ["agreement"]
    form = MeetingAdminForm
    list_display = ["title", "agreement", "kind", "local_start", "is_cancelled"]
    list_filter = [("agreement", ScopedListFilter), "kind", "is_cancelled"]
    search_fields = ["title", "location", "summary"]
    date_hierarchy = "starts_at"
    filter_horizontal = ["working_groups"]
    list_select_related = ["agreement"]
    inlines = [CommitmentInline]

    @admin.display(description=_("starts (local time)"), ordering="starts_at")
    def local_start(self, obj):
        """The start on the meeting's own clock, with its zone."""
        moment = obj.starts_at.astimezone(zone_named(obj.time_zone))
        return f"{moment:%Y-%m-%d %H:%M} ({obj.time_zone})"

    def get_inlines(self, request, obj):
        """A new meeting: no commitments yet; they are made at it, added once it exists."""
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        """Saved by the meeting services, which refuse another agreement's groups too."""
        fields = {name: getattr(obj, name) for name in MEETING_FIELDS}
        groups = form.cleaned_data.get("working_groups")
        if change:
            saved = update_meeting(
                meeting=obj,
                by=request.user,
                working_groups=None if "working_groups" not in form.fields else groups,
                **fields,
            )
        else:
            saved = create_meeting(
                agreement=obj.agreement,
                by=request.user,
                working_groups=groups or [],
                **fields,
            )
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        """Save the inlines; the groups were saved by the meeting service."""
        # The working groups were saved by the meeting service along with the meeting.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        """Commitments through their services; anything else as the mixin does."""
        if formset.model is Commitment:
            _save_commitments(request, formset)
        else:
            super().save_formset(request, form, formset, change)


@admin.register(Deadline)
class DeadlineAdmin(ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "agreement"
    fixed_after_creation = ["agreement"]
    list_display = ["title", "agreement", "working_group", "due_on", "done", "done_on"]
    list_filter = [("agreement", ScopedListFilter), "done"]
    search_fields = ["title"]
    date_hierarchy = "due_on"
    list_select_related = ["agreement", "working_group"]

    def save_model(self, request, obj, form, change):
        """Saved by the deadline services, which refuse another agreement's meeting."""
        fields = {name: getattr(obj, name) for name in DEADLINE_FIELDS}
        if change:
            saved = update_deadline(deadline=obj, by=request.user, **fields)
        else:
            saved = create_deadline(agreement=obj.agreement, by=request.user, **fields)
        adopt(obj, saved)


@admin.register(Commitment)
class CommitmentAdmin(VersionCheckedAdmin, ScopedChoicesAdmin, AuditedAdminMixin, admin.ModelAdmin):
    agreement_path = "meeting__agreement"
    # The commitment services never move one to another meeting.
    fixed_after_creation = ["meeting"]
    form = VersionCheckedForm
    list_display = ["__str__", "meeting", "party_or_joint", "owner", "due_on", "status"]
    list_filter = ["status", ("meeting__agreement", ScopedListFilter), ("party", ScopedListFilter)]
    search_fields = ["text"]
    list_select_related = ["meeting", "party", "owner"]
    readonly_fields = ["saved_version"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["meeting", *COMMITMENT_FIELDS, "source"]
        return ["meeting", *COMMITMENT_FIELDS, "source", "version", "saved_version"]

    @admin.display(description=_("party"))
    def party_or_joint(self, obj):
        """The party that made it, or both (all) parties."""
        return obj.party or _("Both parties")

    def save_model(self, request, obj, form, change):
        """Saved by the commitment services, which keep every status move."""
        fields = {name: getattr(obj, name) for name in COMMITMENT_FIELDS}
        fields["source"] = obj.source
        if change:
            if not set(form.changed_data) - {"version"}:
                return
            saved = update_commitment(
                commitment=obj,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                **fields,
            )
        else:
            saved = create_commitment(meeting=obj.meeting, by=request.user, **fields)
        adopt(obj, saved)
