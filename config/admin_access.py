"""The administration site is for the system administrators, those its `has_permission`
admits.

Django's admin answers a signed-in person it does not admit with its sign-in form, which sends
them to the site's sign-in page, which sends them back: a loop with no explanation. Here they
are told instead, on the 403 page, that everything they can do is in the tracker itself.
Signed-out visitors still go to the sign-in page, with `next=` pointing back.

An administrator's session must also have passed the second factor: one that has not is sent
to enter its code (or to set one up) and comes back, whatever middleware is in place.
"""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse

from negotiations.permissions import has_passed_second_factor


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
            if request.user.is_authenticated and not second_factor_passed(request):
                return to_second_factor(request)
            return guarded(request, *args, **kwargs)

        return inner

    administrators_only_admin_view.keeps_to_administrators = True
    site.admin_view = administrators_only_admin_view


def second_factor_passed(request) -> bool:
    return not settings.SECOND_FACTOR_ENFORCED or has_passed_second_factor(request.user)


def to_second_factor(request) -> HttpResponseRedirect:
    """To the code step if the administrator has an authenticator app, else to set one up;
    back here afterwards."""
    from accounts.two_factor import has_second_factor

    step = "two_factor:verify" if has_second_factor(request.user) else "two_factor:setup"
    return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
