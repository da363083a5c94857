"""The administration site for agreements, their parties, people, rounds, meetings, deadlines
and commitments; and the rules every admin form of the tracker follows (the other apps'
admin modules use the mixins of `scoping`, importable from here).

A choice list in an admin form offers only what belongs to the record's own agreement or, for
a new record, to the agreements the person steers, and names each choice's agreement: fifteen
parties' agreements all have a "Rules of Origin" group, and the admin must not let one be
picked for another's meeting.

The modules:

- `scoping`: those rules: which agreement a record belongs to, the scoped choices and list
  filters, and the mixins `ScopedChoicesAdmin` and `ScopedChoicesInline`;
- `inlines`: the inlines, some removing their rows through the services;
- `agreements`: parties, agreements and role assignments;
- `schedule`: rounds, meetings, deadlines and commitments;
- `versions`: the records with a version column: the version a form showed travels with it,
  and a save based on an older one is refused with both versions shown.

Importing this package imports them all, so that each `@admin.register` runs.
"""

from negotiations.admin.agreements import (
    AgreementAdmin,
    PartyAdmin,
    PartyAdminForm,
    RoleAssignmentAdmin,
)
from negotiations.admin.inlines import (
    AgreementRoleInline,
    CommitmentInline,
    DelegationInline,
    DelegationRemovalFormSet,
    NegotiationRoundInline,
    RemovedByServiceFormSet,
    RemovedByServiceInline,
    RoleAssignmentInline,
    RoleRemovalFormSet,
)
from negotiations.admin.schedule import (
    COMMITMENT_FIELDS,
    MEETING_TIME_HELP,
    CommitmentAdmin,
    DeadlineAdmin,
    MeetingAdmin,
    MeetingAdminForm,
    MeetingClockWidget,
    MeetingTimeField,
    NegotiationRoundAdmin,
)
from negotiations.admin.scoping import (
    AGREEMENT_PATHS,
    AgreementNamingChoiceField,
    AgreementNamingMultipleChoiceField,
    AgreementScopedForm,
    ScopedChoicesAdmin,
    ScopedChoicesInline,
    ScopedListFilter,
    adopt,
    agreement_id_of,
    label_naming_agreement,
    parties_at,
    people_managed_by,
    people_of,
    scoped_choices,
)
from negotiations.admin.versions import (
    ShownInitialForm,
    VersionCheckedAdmin,
    VersionCheckedForm,
    refuse_stale_version,
)

__all__ = [
    "AGREEMENT_PATHS",
    "COMMITMENT_FIELDS",
    "MEETING_TIME_HELP",
    "AgreementAdmin",
    "AgreementNamingChoiceField",
    "AgreementNamingMultipleChoiceField",
    "AgreementRoleInline",
    "AgreementScopedForm",
    "CommitmentAdmin",
    "CommitmentInline",
    "DeadlineAdmin",
    "DelegationInline",
    "DelegationRemovalFormSet",
    "MeetingAdmin",
    "MeetingAdminForm",
    "MeetingClockWidget",
    "MeetingTimeField",
    "NegotiationRoundAdmin",
    "NegotiationRoundInline",
    "PartyAdmin",
    "PartyAdminForm",
    "RemovedByServiceFormSet",
    "RemovedByServiceInline",
    "RoleAssignmentAdmin",
    "RoleAssignmentInline",
    "RoleRemovalFormSet",
    "ScopedChoicesAdmin",
    "ScopedChoicesInline",
    "ScopedListFilter",
    "ShownInitialForm",
    "VersionCheckedAdmin",
    "VersionCheckedForm",
    "adopt",
    "agreement_id_of",
    "label_naming_agreement",
    "parties_at",
    "people_managed_by",
    "people_of",
    "refuse_stale_version",
    "scoped_choices",
]
