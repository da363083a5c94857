"""Template filters that ask `negotiations.permissions`, so templates never decide on their own."""

from django import template

from negotiations import permissions

register = template.Library()


@register.filter
def can_view_audit(user):
    return permissions.can_view_audit(user)


@register.filter
def can_change_chapter(user, chapter):
    return permissions.can_change_chapter(user, chapter)


@register.filter
def can_record_outcome(user, meeting):
    return permissions.can_record_outcome(user, meeting)


@register.filter
def can_change_commitment(user, commitment):
    return permissions.can_change_commitment(user, commitment)
