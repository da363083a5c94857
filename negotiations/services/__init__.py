"""Every write to agreements, parties, roles, rounds, meetings, deadlines, commitments and
meeting outcomes; the services of `workinggroups` write groups, chapters and points.

Each function takes keyword arguments, validates, saves and writes its audit entries in one
transaction, whatever door (page, import, admin, API, shell) the change came by.
"""

from negotiations.services.agreements import (
    AGREEMENT_FIELDS,
    Structure,
    add_delegation,
    align_status_history,
    assign_role,
    create_agreement,
    create_party,
    remove_delegation,
    remove_role,
    standard_structure,
    structure_of,
    update_agreement,
    update_delegation,
)
from negotiations.services.commitments import (
    create_commitment,
    mark_commitment_delivered,
    update_commitment,
)
from negotiations.services.outcome import OutcomeRefused, meeting_day, record_meeting_outcome
from negotiations.services.schedule import (
    cancel_meeting,
    create_deadline,
    create_meeting,
    create_round,
    in_zone,
    not_on_the_clock,
    update_deadline,
    update_meeting,
    update_round,
    zone_for,
)

__all__ = [
    "AGREEMENT_FIELDS",
    "OutcomeRefused",
    "Structure",
    "add_delegation",
    "align_status_history",
    "assign_role",
    "cancel_meeting",
    "create_agreement",
    "create_commitment",
    "create_deadline",
    "create_meeting",
    "create_party",
    "create_round",
    "in_zone",
    "mark_commitment_delivered",
    "meeting_day",
    "not_on_the_clock",
    "record_meeting_outcome",
    "remove_delegation",
    "remove_role",
    "standard_structure",
    "structure_of",
    "update_agreement",
    "update_commitment",
    "update_deadline",
    "update_delegation",
    "update_meeting",
    "update_round",
    "zone_for",
]
