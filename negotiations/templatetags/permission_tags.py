"""Template filters that ask `negotiations.permissions`, so templates never decide on their own."""

from django import template

from negotiations import permissions

register = template.Library()


@register.filter
def can_view_audit(user):
    return permissions.can_view_audit(user)


@register.filter
def can_create_agreement(user):
    return permissions.can_create_agreement(user)


@register.filter
def can_manage_agreement(user, agreement):
    return permissions.can_manage_agreement(user, agreement.pk)
