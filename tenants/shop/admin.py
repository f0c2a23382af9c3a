"""The shop's own admin, on the shop's host: owners and managers only."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from oxy.login import AdminLoginForm
from tenants.staff.models import User

from .audit_export import audit_export_response
from .models import ApiKey, AuditEntry, OwnerNumber, ShopSettings, TenantSecret
from .services import Actor, api_key_create, api_key_revoke, audit_record


def _can_manage(request: HttpRequest) -> bool:
    # Anonymous visitors (the login page) have no role.
    return getattr(request.user, "can_manage_shop", False)


class ShopAdminSite(admin.AdminSite):
    site_header = _("Shop administration")
    site_title = _("Oxy")
    login_form = AdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        return connection.schema_name != "public" and request.user.is_active and _can_manage(request)


shop_admin_site = ShopAdminSite(name="shop_admin")


def _admin_audit(request: HttpRequest, obj, verb: str, changed: list[str] | None = None) -> None:
    name = obj._meta.model_name
    audit_record(actor=Actor.staff(request.user), action=f"admin.{name}.{verb}", target=f"{name}:{obj.pk}",
                 data={"fields": changed} if changed else None)  # fmt: skip


class ShopModelAdmin(admin.ModelAdmin):
    """Owners and managers may see and edit; only owners delete. What the
    admin changes goes around the services, so it is audited here (field
    names only, never values); `audited = False` where a service already does."""

    audited = True

    def log_addition(self, request: HttpRequest, obj, message):
        if self.audited:
            _admin_audit(request, obj, "created")
        return super().log_addition(request, obj, message)

    def construct_change_message(self, request: HttpRequest, form, formsets, add: bool = False):
        # The message names fields by their (translated) labels; keep the names.
        request.audit_changed_fields = list(form.changed_data)
        return super().construct_change_message(request, form, formsets, add)

    def log_change(self, request: HttpRequest, obj, message):
        if self.audited:
            _admin_audit(request, obj, "changed", getattr(request, "audit_changed_fields", None))
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset):
        if self.audited:
            for obj in queryset:
                _admin_audit(request, obj, "deleted")
        return super().log_deletions(request, queryset)

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
    date_hierarchy = "created_at"
    search_fields = ["actor_label", "action", "target"]
    actions = ["export_csv", "export_jsonl"]

    @admin.action(description=_("Download selected entries (CSV)"))
    def export_csv(self, request: HttpRequest, queryset):
        return self._export(queryset, "csv")

    @admin.action(description=_("Download selected entries (JSON Lines)"))
    def export_jsonl(self, request: HttpRequest, queryset):
        return self._export(queryset, "jsonl")

    def _export(self, queryset, export_format: str):
        entries = queryset.order_by("created_at", "pk")
        return audit_export_response(entries, export_format=export_format, filename=f"audit-{connection.tenant.slug}")


class ApiKeyCreateForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "role"]


@admin.register(ApiKey, site=shop_admin_site)
class ApiKeyAdmin(ShopModelAdmin):
    audited = False  # api_key_create and api_key_revoke record it
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
