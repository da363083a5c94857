"""Celery tasks about people: thin, taking ids; sending an invitation twice is harmless, since
every link it carries is as good as the last."""

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.tokens import invitation_url
from negotiations.models import Agreement, RoleAssignment


def build_invitation(*, user, agreement, invited_by=None, added=False) -> EmailMultiAlternatives:
    """The invitation (or "you have been added") email, in the recipient's language."""
    assignment = (
        RoleAssignment.objects.filter(agreement=agreement, user=user)
        .select_related("party")
        .first()
    )
    with translation.override(user.language or settings.LANGUAGE_CODE):
        role = assignment.get_role_display() if assignment else ""
        if added:
            link = settings.SITE_URL + agreement.get_absolute_url()
            subject = _("You have been added to %(agreement)s as %(role)s") % {
                "agreement": agreement.short_name,
                "role": role,
            }
        else:
            link = invitation_url(user)
            subject = _("Invitation to the %(agreement)s negotiation tracker") % {
                "agreement": agreement.short_name
            }
        context = {
            "recipient": user,
            "agreement": agreement,
            "role": role,
            "party": assignment.party if assignment else None,
            "invited_by": invited_by,
            "link": link,
            "added": added,
            "subject": subject,
            "LANGUAGE_CODE": translation.get_language(),
            "max_age_days": getattr(settings, "INVITATION_MAX_AGE_DAYS", 7),
            "password_reset_url": settings.SITE_URL + reverse("password_reset"),
            "settings_url": settings.SITE_URL + reverse("reminders:settings"),
        }
        text = render_to_string("accounts/email/invitation.txt", context)
        html = render_to_string("accounts/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


@shared_task(ignore_result=True)
def send_invitation(user_pk, agreement_pk, invited_by_pk=None, added=False):
    """Email one person their invitation to one agreement (or the note that they were added)."""
    User = get_user_model()
    user = User.objects.filter(pk=user_pk, is_active=True).first()
    agreement = Agreement.objects.filter(pk=agreement_pk).first()
    if user is None or agreement is None:
        return  # removed since: nothing to say
    invited_by = User.objects.filter(pk=invited_by_pk).first() if invited_by_pk else None
    build_invitation(user=user, agreement=agreement, invited_by=invited_by, added=added).send()
