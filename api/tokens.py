"""The page where a person makes, sees and revokes their own API tokens (/profile/tokens/)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from api.forms import TokenForm
from api.models import ApiToken
from api.services import create_token, revoke_token
from negotiations import permissions


@require_http_methods(["GET", "POST"])
def tokens_page(request):
    user = request.user
    may_manage = permissions.can_manage_api_tokens(user)
    form = TokenForm()
    issued = None
    if request.method == "POST":
        # Only from a session that has passed the second factor where the role requires it.
        if not may_manage:
            raise PermissionDenied
        if request.POST.get("action") == "revoke":
            posted = request.POST.get("token", "")
            token = get_object_or_404(
                ApiToken, pk=int(posted) if posted.isdigit() else 0, user=user
            )
            revoke_token(token=token, by=user)
            messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
            return redirect("api:tokens")
        form = TokenForm(request.POST)
        if form.is_valid():
            issued = create_token(
                user=user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
            )
            form = TokenForm()
    context = {
        "form": form,
        "issued": issued,
        "may_manage": may_manage,
        "tokens": ApiToken.objects.filter(user=user),
    }
    return TemplateResponse(request, "api/tokens.html", context)
