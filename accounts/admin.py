from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import TimeZoneField
from accounts.models import User
from audit.admin import AuditedAdminMixin
from negotiations import permissions
from negotiations.admin import RoleAssignmentInline, ScopedChoicesAdmin, people_managed_by
from negotiations.choices import Role
from negotiations.models import Agreement
from negotiations.services import assign_role
from workinggroups.admin import MembershipInline

TIME_ZONE_HELP = User._meta.get_field("time_zone").help_text

# Only a superuser makes superusers or hands out the site's permissions.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")
# Follows superuser status, never set on its own: see `UserAdmin.save_model`.
STAFF_FLAG = "is_staff"


def superusers_only(request) -> bool:
    """Who the administration site admits: active superusers alone. It reaches every
    agreement's records and every account, which nobody who works on an agreement may; the
    staff flag admits nobody by itself. Everyone's own work is in the tracker's pages."""
    user = request.user
    return user.is_active and user.is_superuser


admin.site.has_permission = superusers_only


class ForSuperusersAlone:
    """For a ModelAdmin of the site's own machinery: superusers alone, whatever model
    permissions a person holds. Groups hand out the site's permissions, and the sign-in
    records tell of every agreement's people."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


def keep_to_superusers(*models) -> None:
    """Register these models' admins again, as they are but for superusers alone."""
    for model in models:
        if not admin.site.is_registered(model):
            continue
        registered = type(admin.site.get_model_admin(model))
        admin.site.unregister(model)
        admin.site.register(model, type(registered.__name__, (ForSuperusersAlone, registered), {}))


keep_to_superusers(Group, AccessAttempt, AccessLog, AccessFailureLog)


# The second factor (accounts/two_factor.py). A superuser may see who has an authenticator app
# and remove one a person has lost (they then set up a new one at their next sign-in); never
# read its secret, nor add one for someone else. Recovery codes are accounts' own hashed
# device, so django-otp's plain-text static tokens have no place here.
class AuthenticatorAdmin(ForSuperusersAlone, TOTPDeviceAdmin):
    def has_add_permission(self, request, *args):
        return False


if admin.site.is_registered(StaticDevice):
    admin.site.unregister(StaticDevice)
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, AuthenticatorAdmin)


def _without(fields, names):
    """The fields, less those names."""
    return tuple(field for field in fields if field not in names)


class UserAddForm(AdminUserCreationForm):
    """A new account: its address (required; one person per address, whatever the case),
    name, zone and language, and the role it holds in one of the editor's agreements."""

    time_zone = TimeZoneField(initial="UTC", help_text=TIME_ZONE_HELP)
    agreement = forms.ModelChoiceField(
        queryset=Agreement.objects.none(),
        required=False,
        label=_("Agreement"),
        help_text=_("The agreement this person works on. You can add others once saved."),
    )
    role = forms.ChoiceField(
        choices=[("", "---------"), *Role.choices], required=False, label=_("Role in it")
    )

    # The person adding the account, set on the form class by the admin.
    editor = None

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "first_name", "last_name", "time_zone", "language")

    def __init__(self, *args, **kwargs):
        """Offer the editor's agreements; required for anyone but a superuser."""
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        if "agreement" in self.fields:
            self.fields["agreement"].queryset = permissions.steered_agreements(self.editor)
            # Anyone else sees only the people of their agreements: without a role there,
            # the account they add would vanish from their sight the moment it is saved.
            if self.editor is not None and not self.editor.is_superuser:
                self.fields["agreement"].required = self.fields["role"].required = True

    def clean(self):
        """An agreement and a role go together, and the role must be the editor's to give."""
        cleaned = super().clean()
        agreement, role = cleaned.get("agreement"), cleaned.get("role")
        if agreement is not None and not role and "role" not in self.errors:
            self.add_error("role", _("Choose the role this person holds in the agreement."))
        elif role and agreement is None and "agreement" not in self.errors:
            self.add_error("agreement", _("Choose the agreement this role is held in."))
        elif (
            agreement is not None
            and role
            and role not in permissions.roles_grantable(self.editor, agreement.pk)
        ):
            self.add_error("role", _("You may not give this role in this agreement."))
        return cleaned


class UserEditForm(UserChangeForm):
    time_zone = TimeZoneField(help_text=TIME_ZONE_HELP)

    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(ScopedChoicesAdmin, AuditedAdminMixin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    fieldsets = (
        *(
            (name, {**options, "fields": _without(options["fields"], [STAFF_FLAG])})
            for name, options in DjangoUserAdmin.fieldsets
        ),
        (_("Preferences"), {"fields": ("time_zone", "language")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "first_name",
                    "last_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
        (_("Preferences"), {"fields": ("time_zone", "language")}),
        (_("Role"), {"fields": ("agreement", "role")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "time_zone", "is_superuser")
    list_filter = ("is_superuser", "is_active", "language", "roles__role")
    inlines = [RoleAssignmentInline, MembershipInline]

    def get_inlines(self, request, obj):
        """A new account: no inlines; its role is chosen in the add form, its groups later."""
        return self.inlines if obj is not None else []

    def get_queryset(self, request):
        """Anyone but a superuser sees the people of the agreements they steer at most."""
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=people_managed_by(request.user).values("pk"))

    def get_fieldsets(self, request, obj=None):
        """Without superuser status, groups and permissions for a non-superuser."""
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": _without(options["fields"], SUPERUSER_ONLY_FIELDS)})
            for name, options in fieldsets
        ]

    def _may_manage(self, request, obj) -> bool:
        """Manages accounts (negotiations.permissions), and this is not a superuser's."""
        if not permissions.can_manage_accounts(request.user):
            return False
        # Nobody but a superuser changes a superuser's account (or password).
        return obj is None or not obj.is_superuser or request.user.is_superuser

    def has_module_permission(self, request):
        """The accounts section: for those who manage accounts."""
        return super().has_module_permission(request) and self._may_manage(request, None)

    def has_view_permission(self, request, obj=None):
        """Read accounts: those who manage accounts."""
        return super().has_view_permission(request, obj) and permissions.can_manage_accounts(
            request.user
        )

    def has_add_permission(self, request):
        """Add accounts: those who manage accounts."""
        return super().has_add_permission(request) and self._may_manage(request, None)

    def has_change_permission(self, request, obj=None):
        """Change an account: not a superuser's, unless one is a superuser."""
        return super().has_change_permission(request, obj) and self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None):
        """Remove an account: not one that also serves agreements the editor does not steer."""
        if not (super().has_delete_permission(request, obj) and self._may_manage(request, obj)):
            return False
        if obj is None or request.user.is_superuser:
            return True
        # An account that also serves agreements the editor does not steer is not theirs to end.
        steered = permissions.steered_agreements(request.user)
        return not obj.roles.exclude(agreement__in=steered).exists()

    def save_model(self, request, obj, form, change):
        """Save the account and, for a new one, its role, in the same transaction. Only a
        superuser is staff: the flag follows superuser status."""
        obj.is_staff = obj.is_superuser
        super().save_model(request, obj, form, change)
        agreement = None if change else form.cleaned_data.get("agreement")
        if agreement is not None:
            assign_role(
                agreement=agreement, user=obj, role=form.cleaned_data["role"], by=request.user
            )
