"""The tables an import file may hold, in the order they are imported, and the labels of
their columns.
"""

from secretariat.resources.parties import PartyResource
from secretariat.resources.people import PersonResource
from secretariat.resources.schedule import MeetingResource, RoundResource
from secretariat.resources.structure import ChapterResource, WorkingGroupResource

# The tables of an import file, in the order they are imported: each may refer to the ones
# before it (a chapter to its working group, a person to their party and groups, a round to
# its host, a meeting to its round, host and groups).
RESOURCES = (
    PartyResource,
    WorkingGroupResource,
    ChapterResource,
    PersonResource,
    RoundResource,
    MeetingResource,
)


def _column_label(key) -> str:
    """The label of a column, in the reader's language."""
    for resource in RESOURCES:
        for column in resource.columns():
            if column.key == key:
                return str(column.label)
    return key
