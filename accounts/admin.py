from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.admin import AuditedAdminMixin
from negotiations.admin import RoleAssignmentInline
from workinggroups.admin import MembershipInline


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Preferences"), {"fields": ("time_zone", "language")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "time_zone", "is_staff")
    list_filter = ("is_staff", "is_active", "language", "roles__role")
    inlines = [RoleAssignmentInline, MembershipInline]
