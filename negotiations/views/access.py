"""Loading what a URL names and asking `negotiations.permissions` whether this person may act
on it: 404 when it does not exist, 403 when they may not."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from negotiations import permissions
from negotiations.models import Agreement, Commitment, Deadline, Meeting, NegotiationRound


def agreement_to_manage(request, slug) -> Agreement:
    """The agreement of the URL, if this person may set up its rounds, meetings, deadlines."""
    agreement = get_object_or_404(Agreement, slug=slug)
    if not permissions.can_manage_agreement(request.user, agreement.pk):
        raise PermissionDenied
    return agreement


def round_to_manage(request, pk) -> NegotiationRound:
    """The round of the URL, if this person may manage its agreement."""
    negotiation_round = get_object_or_404(
        NegotiationRound.objects.select_related("agreement", "host_party"), pk=pk
    )
    if not permissions.can_manage_agreement(request.user, negotiation_round.agreement_id):
        raise PermissionDenied
    return negotiation_round


def meeting_to_manage(request, pk) -> Meeting:
    """The meeting of the URL, with its groups, if this person may manage its agreement."""
    meeting = get_object_or_404(
        Meeting.objects.select_related("agreement", "negotiation_round").prefetch_related(
            "working_groups"
        ),
        pk=pk,
    )
    if not permissions.can_manage_agreement(request.user, meeting.agreement_id):
        raise PermissionDenied
    return meeting


def deadline_to_manage(request, pk) -> Deadline:
    """The deadline of the URL, if this person may manage its agreement."""
    deadline = get_object_or_404(Deadline.objects.select_related("agreement"), pk=pk)
    if not permissions.can_manage_agreement(request.user, deadline.agreement_id):
        raise PermissionDenied
    return deadline


def deadline_to_view(request, pk) -> Deadline:
    """The deadline of the URL, with what its page shows, if this person may see it."""
    deadline = get_object_or_404(
        Deadline.objects.select_related("agreement", "working_group", "set_at"), pk=pk
    )
    if not permissions.can_view_agreement(request.user, deadline.agreement_id):
        raise PermissionDenied
    return deadline


def commitment_to_view(request, pk) -> Commitment:
    """The commitment of the URL, with what its page shows, if this person may see it."""
    commitment = get_object_or_404(
        Commitment.objects.select_related(
            "meeting__agreement",
            "meeting__negotiation_round",
            "party",
            "owner",
            "chapter__working_group",
        ),
        pk=pk,
    )
    if not permissions.can_view_commitment(request.user, commitment):
        raise PermissionDenied
    return commitment


def posted(request):
    """The POST data to bind a form to, or None for a GET (an empty POST is still a POST)."""
    return request.POST if request.method == "POST" else None
