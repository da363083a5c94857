"""A meeting's page, and the same meeting as a calendar file to add to one's own calendar."""

import re
import unicodedata

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from dashboards.views import AgreementScopeMixin
from meetings import calendar
from negotiations.models import Commitment, Deadline, Meeting
from negotiations.permissions import can_create_commitment, can_record_outcome, can_view_agreement
from negotiations.services.outcome import outcome_refusal
from reminders import selectors as reminder_selectors
from workinggroups.models import ChapterStatusChange, ContestedPoint


class MeetingView(AgreementScopeMixin, TemplateView):
    """A meeting and its outcome: status moves, contested points, deadlines, commitments."""

    template_name = "meetings/detail.html"

    def get_agreement(self):
        self.meeting = get_object_or_404(
            Meeting.objects.select_related("agreement", "negotiation_round").prefetch_related(
                "working_groups"
            ),
            pk=self.kwargs["pk"],
        )
        return self.meeting.agreement

    def get_context_data(self, **kwargs):
        meeting = self.meeting
        return super().get_context_data(
            meeting=meeting,
            working_groups=sorted(meeting.working_groups.all(), key=lambda g: (g.order, g.name)),
            # Only once it has started, and never for a cancelled one.
            can_record=can_record_outcome(self.request.user, meeting)
            and outcome_refusal(meeting) is None,
            can_create_commitment=can_create_commitment(self.request.user, meeting.agreement_id),
            status_changes=list(
                ChapterStatusChange.objects.filter(meeting=meeting)
                .select_related("chapter", "chapter__working_group")
                .order_by("chapter__working_group__order", "chapter__order", "pk")
            ),
            points_raised=list(
                ContestedPoint.objects.filter(raised_at=meeting).select_related("chapter", "owner")
            ),
            deadlines_set=list(
                Deadline.objects.filter(set_at=meeting)
                .select_related("working_group")
                .order_by("due_on", "pk")
            ),
            commitments=list(
                Commitment.objects.filter(meeting=meeting).select_related("party", "owner")
            ),
            **kwargs,
        )


@require_safe
def meeting_ics(request, pk):
    """The meeting as a calendar file, for whoever may see its page. It carries the same UID
    and SEQUENCE as the reminder emails, so importing it again, or after an email, updates the
    one entry instead of adding another; a cancelled meeting comes as a cancelled entry."""
    meeting = get_object_or_404(Meeting.objects.select_related("agreement"), pk=pk)
    if not can_view_agreement(request.user, meeting.agreement_id):
        raise PermissionDenied
    sequence = reminder_selectors.sequences("meeting", [meeting.pk])[meeting.pk]
    event = calendar.meeting_event(meeting, sequence=sequence, stamp=timezone.now())
    response = HttpResponse(
        calendar.calendar([event], method="PUBLISH"), content_type="text/calendar; charset=utf-8"
    )
    response.headers["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=ics_filename(meeting)
    )
    return response


def ics_filename(meeting) -> str:
    """`<agreement>-meeting-<pk>.ics` in plain ASCII, which every mail and file system keeps."""
    agreement = meeting.agreement
    stem = _ascii_words(agreement.short_name) or _ascii_words(agreement.slug)
    return f"{stem}-meeting-{meeting.pk}.ics" if stem else f"meeting-{meeting.pk}.ics"


def _ascii_words(text: str) -> str:
    """The words of `text` joined by hyphens, accents dropped, other scripts left out."""
    words = re.sub(r"[^\w]+", "-", text or "")
    plain = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")
