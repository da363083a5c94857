"""The people of an agreement (who may invite them, and change their role and working groups),
the page where an invitee takes up their invitation, each person's own profile page, and the
calendar feed at their secret address.

Access is decided by `negotiations.permissions`; every write goes through `accounts.services`.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from django_tables2 import RequestConfig

from accounts import services, two_factor
from accounts.feeds import feed_calendar
from accounts.filtersets import PersonFilterSet
from accounts.forms import InviteForm, PersonRoleForm, ProfileForm
from accounts.models import CalendarFeed
from accounts.tables import PersonTable
from accounts.tokens import InvalidInvitation, user_for_token
from negotiations import permissions
from negotiations.forms.common import show_refusal
from negotiations.forms.schedule import refuse_stale, watch
from negotiations.models import Agreement, RoleAssignment
from reminders import links
from secretariat.views.agreements import error_summary
from workinggroups.models import Membership
from workinggroups.services import EditConflict

PER_PAGE = 50


def _agreement_or_403(request, slug) -> Agreement:
    agreement = get_object_or_404(Agreement, slug=slug)
    if not permissions.can_manage_people(request.user, agreement.pk):
        raise PermissionDenied
    return agreement


def _nav(agreement) -> dict:
    """What the agreement's navigation needs: its rounds, and no as-of point (people are
    managed as they are now)."""
    return {
        "agreement": agreement,
        "rounds": list(agreement.rounds.order_by("number")),
        "as_of": None,
    }


def _seats(agreement):
    """A person's seats in this agreement's groups only, as `user.agreement_seats`."""
    return Prefetch(
        "user__memberships",
        queryset=Membership.objects.filter(working_group__agreement=agreement)
        .select_related("working_group", "party")
        .order_by("working_group__order", "working_group__name"),
        to_attr="agreement_seats",
    )


def _people_context(request, agreement, form):
    assignments = (
        RoleAssignment.objects.filter(agreement=agreement)
        .select_related("user", "party", "agreement")
        .prefetch_related(_seats(agreement))
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    person_filter = PersonFilterSet(request.GET or None, queryset=assignments, agreement=agreement)
    table = PersonTable(person_filter.qs)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    return {
        **_nav(agreement),
        "filter": person_filter,
        "table": table,
        "form": form,
    }


@require_http_methods(["GET", "POST"])
def people(request, slug):
    """Everyone with a role in the agreement, and the form to invite someone more."""
    agreement = _agreement_or_403(request, slug)
    roles = permissions.roles_grantable(request.user, agreement.pk)
    # Its own ids: the filter above has fields of the same names.
    form = InviteForm(request.POST or None, agreement=agreement, roles=roles, auto_id="invite-%s")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        existing = get_user_model().objects.filter(email__iexact=data["email"]).first()
        already_here = (
            existing is not None
            and RoleAssignment.objects.filter(agreement=agreement, user=existing).exists()
        )
        try:
            person = services.invite_person(
                agreement=agreement,
                by=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                party=data["party"],
                working_groups=data["working_groups"],
                time_zone=form.zone(),
                language=data["language"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            if already_here:
                note = _(
                    "%(person)s (%(email)s) was already in this agreement: their role and "
                    "working groups are updated."
                )
            elif existing is not None and not services.invitation_pending(person):
                note = _(
                    "%(person)s (%(email)s) already has an account: they are added to this "
                    "agreement and told so by email."
                )
            else:
                note = _("Invitation sent to %(person)s (%(email)s).")
            messages.success(request, note % {"person": person, "email": person.email})
            return redirect("accounts:people", slug=agreement.slug)
    return render(
        request,
        "accounts/people.html",
        _people_context(request, agreement, form),
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def person(request, slug, user_pk):
    """One person's role, party and working groups in the agreement: change them, take the
    person off the agreement, or send their invitation again."""
    agreement = _agreement_or_403(request, slug)
    assignment = get_object_or_404(
        RoleAssignment.objects.select_related("user", "party").prefetch_related(_seats(agreement)),
        agreement=agreement,
        user_id=user_pk,
    )
    user = assignment.user
    roles = permissions.roles_grantable(request.user, agreement.pk)
    may_change = assignment.role in roles
    action = request.POST.get("action", "update") if request.method == "POST" else None
    if action is not None and not may_change:
        raise PermissionDenied
    initial = {
        "role": assignment.role,
        "party": assignment.party,
        "working_groups": [seat.working_group for seat in user.agreement_seats],
    }
    form = PersonRoleForm(
        request.POST if action == "update" else None,
        initial=initial,
        agreement=agreement,
        roles=roles,
    )
    if may_change:
        watch(form, services.person_fingerprint(agreement, user))
    back = reverse("accounts:person", kwargs={"slug": agreement.slug, "user_pk": user.pk})
    status = 400 if form.is_bound else 200
    if action == "remove":
        try:
            services.remove_person(agreement=agreement, user=user, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(back)
        messages.success(
            request, _("%(person)s is no longer in this agreement.") % {"person": user}
        )
        return redirect("accounts:people", slug=agreement.slug)
    if action == "resend":
        try:
            services.resend_invitation(agreement=agreement, user=user, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The invitation is sent again to %(email)s.") % {"email": user.email},
            )
        return redirect(back)
    if action == "update" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_person(
                agreement=agreement,
                user=user,
                by=request.user,
                role=data["role"],
                party=data["party"],
                working_groups=data["working_groups"],
                expected_fingerprint=data["seen"] or None,
            )
        except EditConflict as error:
            current = error.current
            saved = {
                "role": current.role,
                "party": current.party_id,
                "working_groups": list(
                    Membership.objects.filter(user=user, working_group__agreement=agreement)
                    .order_by("working_group_id")
                    .values_list("working_group_id", flat=True)
                ),
            }
            refuse_stale(
                form, saved=saved, fingerprint=services.person_fingerprint(agreement, user)
            )
            status = 409
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("%(person)s is updated.") % {"person": user})
            return redirect(back)
    elif action is not None and action != "update":
        raise Http404
    return render(
        request,
        "accounts/person.html",
        {
            **_nav(agreement),
            "assignment": assignment,
            "person": user,
            "pending": services.invitation_pending(user),
            "may_change": may_change,
            "form": form if may_change else None,
        },
        status=status,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """The invitation link: the invitee chooses a password, and is signed in."""
    try:
        invitee = user_for_token(token)
    except InvalidInvitation as error:
        return render(
            request, "accounts/invitation_invalid.html", {"reason": error.reason}, status=400
        )
    form = SetPasswordForm(invitee, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.accept_invitation(user=invitee, password=form.cleaned_data["new_password1"])
        login(request, invitee, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your password is set."))
        return redirect("dashboards:portfolio")
    agreements = Agreement.objects.filter(roles__user=invitee).order_by("name")
    return render(
        request,
        "accounts/invitation.html",
        {"invitee": invitee, "agreements": agreements, "form": form},
        status=400 if form.is_bound else 200,
    )


# --- A person's own page ---------------------------------------------------------------------


def _roles_of(user) -> list:
    """The person's role in each agreement, each with `seats`: their working groups there."""
    assignments = list(
        RoleAssignment.objects.filter(user=user)
        .select_related("agreement", "party")
        .order_by("agreement__name")
    )
    seats = {}
    for seat in (
        Membership.objects.filter(user=user)
        .select_related("working_group")
        .order_by("working_group__order", "working_group__name")
    ):
        seats.setdefault(seat.working_group.agreement_id, []).append(seat)
    for assignment in assignments:
        assignment.seats = seats.get(assignment.agreement_id, [])
    return assignments


def _with_language_cookie(response, language: str):
    """Pages follow the language just chosen, as the language switcher makes them."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


FEED_ACTIONS = ("feed", "stop-feed")


@require_http_methods(["GET", "POST"])
def profile(request):
    """The signed-in person's own page: their details, the language and time zone of their
    pages and reminders, their roles, the secret address of their calendar feed, and their
    two-step verification."""
    user = request.user
    action = request.POST.get("action", "profile") if request.method == "POST" else None
    if action in FEED_ACTIONS:
        return _change_feed(request, action)
    if action == "sign-out-elsewhere":
        services.end_other_sessions(request=request, by=user)
        messages.success(request, _("You are signed out on every other device."))
        return redirect(reverse("accounts:profile") + "#sessions")
    if action not in (None, "profile"):
        raise Http404
    form = ProfileForm(
        request.POST if action == "profile" else None,
        initial={"language": user.language, "time_zone": user.time_zone},
    )
    watch(form, services.profile_fingerprint(user))
    status = 400 if form.is_bound else 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_profile(
                user=user,
                by=user,
                language=data["language"],
                time_zone=data["time_zone"],
                expected_fingerprint=data["seen"] or None,
            )
        except EditConflict as error:
            current = error.current
            refuse_stale(
                form,
                saved={"language": current.language, "time_zone": current.time_zone},
                fingerprint=services.profile_fingerprint(current),
            )
            status = 409
        except ValidationError as error:
            show_refusal(form, error)
        else:
            # The note is read on the next page, which is in the new language.
            with translation.override(user.language):
                messages.success(request, _("Your language and time zone are saved."))
            return _with_language_cookie(redirect("accounts:profile"), user.language)
    feed = CalendarFeed.objects.filter(user=user).first()
    return render(
        request,
        "accounts/profile.html",
        {
            "person": user,
            "form": form,
            "errors": error_summary(form, anchor="settings-heading"),
            "roles": _roles_of(user),
            "feed": feed,
            "feed_url": links.absolute(feed.get_absolute_url()) if feed else None,
            "two_step": {
                "on": two_factor.has_second_factor(user),
                "required": permissions.requires_second_factor(user),
                "verified": permissions.has_passed_second_factor(user),
                "recovery_codes_left": two_factor.recovery_codes_left(user),
            },
        },
        status=status,
    )


def _change_feed(request, action):
    """Give the person a new feed address, or stop their feed."""
    if action == "feed":
        had_one = CalendarFeed.objects.filter(user=request.user).exists()
        services.create_or_regenerate_feed(user=request.user, by=request.user)
        if had_one:
            note = _(
                "Your calendar feed has a new address: the old one no longer works. Put the "
                "new one in your calendar app."
            )
        else:
            note = _("Your calendar feed is ready: copy its address into your calendar app.")
        messages.success(request, note)
    elif services.revoke_feed(user=request.user, by=request.user):
        messages.success(
            request,
            _("Your calendar feed is stopped: calendars subscribed to it no longer update."),
        )
    return redirect(reverse("accounts:profile") + "#calendar-feed")


@login_not_required
@require_safe
def calendar_feed(request, token):
    """A person's meetings and deadlines at their secret address, for a calendar app (which
    cannot sign in). An unknown, replaced or stopped address, or that of a disabled account,
    is simply not found."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, user__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404
    response = HttpResponse(feed_calendar(feed.user), content_type="text/calendar; charset=utf-8")
    # Calendars poll: a copy a quarter of an hour old is fine, and only for this reader.
    response.headers["Cache-Control"] = "private, max-age=900"
    response.headers["X-Robots-Tag"] = "noindex"
    services.note_feed_read(feed)
    return response
