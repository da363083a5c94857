"""Template filters that ask `negotiations.permissions`, so templates never decide on their own."""

from django import template

from negotiations import permissions

register = template.Library()


@register.filter
def can_view_audit(user):
    return permissions.can_view_audit(user)
