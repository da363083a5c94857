from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from negotiations.permissions import steered_agreements, steers_some_agreement
from reminders import services
from reminders.choices import NEEDS_ATTENTION_STATUSES
from reminders.filtersets import NeedsAttentionFilterSet
from reminders.forms import PreferenceForm
from reminders.models import Preference, Reminder
from reminders.tables import SELECTED_FIELD, NeedsAttentionTable


@require_http_methods(["GET", "POST"])
def preference_settings(request):
    """The signed-in person's own reminder choices; nobody else's are reachable."""
    preference = Preference.objects.filter(user=request.user).first() or Preference(
        user=request.user
    )
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        services.set_preference(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your reminder settings are saved."))
        return redirect("reminders:settings")
    return render(
        request, "reminders/settings.html", {"form": form, "user_zone": request.user.time_zone}
    )


def needs_attention(user):
    """The reminders of the agreements this person steers that failed or were not sent."""
    return Reminder.objects.filter(
        agreement__in=steered_agreements(user), status__in=NEEDS_ATTENTION_STATUSES
    )


def _ids(values) -> set[int]:
    """The whole numbers among posted values; anything else is not a reminder's id."""
    return {int(value) for value in values if value.isascii() and value.isdigit()}


class FailedRemindersView(SingleTableMixin, FilterView):
    """The secretariat's and chief negotiators' list of reminders that failed or were not
    sent, in the agreements they steer, and the form that sends the ticked ones again."""

    http_method_names = ["get", "post", "head", "options"]
    table_class = NeedsAttentionTable
    filterset_class = NeedsAttentionFilterSet
    template_name = "reminders/failed.html"
    # The table paginates; the list view must not as well, or it counts the rows a second time.
    table_pagination = {"per_page": 50}
    error = ""

    def dispatch(self, request, *args, **kwargs):
        """Refuses whoever steers no agreement; sign-in is the middleware's."""
        if not steers_some_agreement(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        """This person's reminders that need attention, latest due first."""
        return (
            needs_attention(self.request.user)
            .select_related("agreement", "recipient")
            .order_by("-due_at", "pk")
        )

    def get_context_data(self, **kwargs):
        """Adds whether a filter is chosen, to tell "nothing at all" from "nothing here"."""
        filtered = any(self.request.GET.get(name) for name in self.filterset.filters)
        return super().get_context_data(filtered=filtered, error=self.error, **kwargs)

    def post(self, request, *args, **kwargs):
        """Queues the ticked reminders again, only those this person may (PRG)."""
        ticked = _ids(request.POST.getlist(SELECTED_FIELD))
        if not ticked:
            self.error = _("Tick at least one reminder to send it again.")
            response = self.get(request, *args, **kwargs)
            response.status_code = 400
            return response
        # Ids of other agreements' reminders, or of ones no longer failed, are left alone.
        allowed = list(
            needs_attention(request.user).filter(pk__in=ticked).values_list("pk", flat=True)
        )
        count = services.resend(reminder_ids=allowed)
        message = ngettext(
            "%(count)d reminder will be sent again within a minute.",
            "%(count)d reminders will be sent again within a minute.",
            count,
        ) % {"count": count}
        (messages.success if count else messages.warning)(request, message)
        return redirect(self.back_url())

    def back_url(self) -> str:
        """This page with the same filters and sort; the first page, as rows have gone."""
        query = self.request.GET.copy()
        query.pop("page", None)
        url = reverse("reminders:failed")
        return f"{url}?{query.urlencode()}" if query else url
