from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecretariatConfig(AppConfig):
    """The secretariat's workspace: setting an agreement up and keeping its structure, parties
    and people current, in the product rather than the administration site."""

    name = "secretariat"
    verbose_name = _("Secretariat workspace")
