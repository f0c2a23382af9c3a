"""The shop's own admin, on the shop's host: owners and managers only."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenants.staff.models import User

from .models import ApiKey, AuditEntry, OwnerNumber, ShopSettings, TenantSecret
from .services import Actor, api_key_create, api_key_revoke


def _can_manage(request: HttpRequest) -> bool:
    # Anonymous visitors (the login page) have no role.
    return getattr(request.user, "can_manage_shop", False)


class ShopAdminSite(admin.AdminSite):
    site_header = _("Shop administration")
    site_title = _("Oxy")

    def has_permission(self, request: HttpRequest) -> bool:
        return connection.schema_name != "public" and request.user.is_active and _can_manage(request)


shop_admin_site = ShopAdminSite(name="shop_admin")


class ShopModelAdmin(admin.ModelAdmin):
    """Owners and managers may see and edit; only owners delete."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _can_manage(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return _can_manage(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return _can_manage(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _can_manage(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return getattr(request.user, "role", None) == User.Role.OWNER


class ReadOnlyShopModelAdmin(ShopModelAdmin):
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(User, site=shop_admin_site)
class StaffUserAdmin(ShopModelAdmin, UserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name"]}),
        (_("Role"), {"fields": ["role", "is_active"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]})]

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        # Admin access follows the role; nobody in a shop is a platform superuser.
        obj.is_staff = obj.can_manage_shop
        obj.is_superuser = obj.role == User.Role.OWNER
        super().save_model(request, obj, form, change)


@admin.register(OwnerNumber, site=shop_admin_site)
class OwnerNumberAdmin(ShopModelAdmin):
    list_display = ["phone", "label", "created_at"]


@admin.register(ShopSettings, site=shop_admin_site)
class ShopSettingsAdmin(ShopModelAdmin):
    list_display = ["assistant_name", "language", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TenantSecret, site=shop_admin_site)
class TenantSecretAdmin(ReadOnlyShopModelAdmin):
    # The value is never shown; rotate with `manage.py rotate_tenant_secrets`.
    list_display = ["name", "rotated_at"]
    fields = ["name", "rotated_at"]


@admin.register(AuditEntry, site=shop_admin_site)
class AuditEntryAdmin(ReadOnlyShopModelAdmin):
    list_display = ["created_at", "actor_type", "actor_label", "action", "target"]
    list_filter = ["actor_type", "action"]
    search_fields = ["actor_label", "action", "target"]


class ApiKeyCreateForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "role"]


@admin.register(ApiKey, site=shop_admin_site)
class ApiKeyAdmin(ShopModelAdmin):
    list_display = ["name", "prefix", "role", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["name", "prefix", "role", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj else []

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # revoke instead: the record stays for the audit trail

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        api_key, key = api_key_create(name=obj.name, role=obj.role, actor=Actor.staff(request.user))
        obj.pk = api_key.pk
        messages.warning(request, _("Copy this API key now; it will not be shown again: %(key)s") % {"key": key})

    @admin.action(description=_("Revoke selected API keys"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key, actor=Actor.staff(request.user))
