"""Template tags of the reminders app; questions of access go to `negotiations.permissions`."""

from django import template

from negotiations import permissions

register = template.Library()


@register.simple_tag
def steers_an_agreement(user) -> bool:
    """Whether this person steers an agreement, and so looks after its failed reminders."""
    return permissions.steers_some_agreement(user)
