from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from reminders import services
from reminders.forms import PreferenceForm
from reminders.models import Preference


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
