"""The administration site is for the system administrators, those its `has_permission`
admits.

Django's admin answers a signed-in person it does not admit with its sign-in form, which sends
them to the site's sign-in page, which sends them back: a loop with no explanation. Here they
are told instead, on the 403 page, that everything they can do is in the tracker itself.
Signed-out visitors still go to the sign-in page, with `next=` pointing back.
"""

from functools import wraps

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied


class NotAnAdministrator(PermissionDenied):
    """A signed-in person the administration site does not admit opened one of its pages."""


def keep_to_administrators(site: AdminSite) -> None:
    """Refuse every page of `site` to a signed-in person it does not admit.

    Every admin page, the catch-all included, is wrapped with `site.admin_view` when it is
    requested, so wrapping that one method covers them all, the apps' own admin pages too.
    """
    if getattr(site.admin_view, "keeps_to_administrators", False):
        return
    admin_view = site.admin_view

    def administrators_only_admin_view(view, cacheable=False):
        guarded = admin_view(view, cacheable)

        @wraps(guarded)
        def inner(request, *args, **kwargs):
            if request.user.is_authenticated and not site.has_permission(request):
                raise NotAnAdministrator
            return guarded(request, *args, **kwargs)

        return inner

    administrators_only_admin_view.keeps_to_administrators = True
    site.admin_view = administrators_only_admin_view
