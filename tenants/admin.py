"""Two admin sites: the support console on the public host, and each shop's
own admin on its host. Each only lets in the users of its own schema."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db import connection
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oxy.login import AdminLoginForm

from .models import BackupRecord, DeadLetter, DeploymentEnvironment, Domain, Organization
from .services import organization_change_record, organization_reactivate, organization_suspend
from .shop.services import Actor
from .staff.models import User


class SupportAdminSite(admin.AdminSite):
    site_header = _("Oxy support")
    site_title = _("Oxy support")
    login_form = AdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        return connection.schema_name == "public" and super().has_permission(request)


support_admin_site = SupportAdminSite(name="support_admin")


def _support_actor(request: HttpRequest) -> Actor:
    return Actor.support(name=request.user.get_full_name() or request.user.email, email=request.user.email)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Organization, site=support_admin_site)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "plan", "primary_domain", "created_by_name", "created_at"]
    list_filter = ["status", "vertical", "plan"]
    search_fields = ["name", "slug", "created_by_email"]
    readonly_fields = ["schema_name", "slug", "created_by_name", "created_by_email", "created_at", "suspended_at"]
    fields = [
        "name", "slug", "schema_name", "status", "vertical", "timezone",
        "plan", "max_channels", "max_staff_users", "max_monthly_ai_spend_cents",
        "created_by_name", "created_by_email", "created_at", "suspended_at", "suspension_reason",
    ]  # fmt: skip
    inlines = [DomainInline]
    actions = ["suspend", "activate"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).exclude(schema_name="public").prefetch_related("domains")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # shops are provisioned with `manage.py provision_tenant`

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Organization, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changes = {field: (form.initial.get(field), form.cleaned_data.get(field)) for field in form.changed_data}
        organization_change_record(organization=obj, changes=changes, actor=_support_actor(request))

    @admin.display(description=_("domain"))
    def primary_domain(self, obj: Organization) -> str:
        return next((d.domain for d in obj.domains.all() if d.is_primary), "")

    @admin.action(description=_("Suspend selected shops"))
    def suspend(self, request: HttpRequest, queryset) -> None:
        for organization in queryset:
            organization_suspend(
                organization=organization, reason="suspended from the admin", actor=_support_actor(request)
            )
        self.message_user(request, _("%(count)d shop(s) suspended.") % {"count": queryset.count()}, messages.SUCCESS)

    @admin.action(description=_("Activate selected shops"))
    def activate(self, request: HttpRequest, queryset) -> None:
        for organization in queryset:
            organization_reactivate(organization=organization, actor=_support_actor(request))
        self.message_user(request, _("%(count)d shop(s) activated.") % {"count": queryset.count()}, messages.SUCCESS)


@admin.register(DeadLetter, site=support_admin_site)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ["task_name", "schema_name", "failed_at", "exception", "replayed_at"]
    list_filter = ["task_name", "schema_name", ("replayed_at", admin.EmptyFieldListFilter)]
    readonly_fields = [f.name for f in DeadLetter._meta.fields]
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Replay selected tasks"))
    def replay(self, request: HttpRequest, queryset) -> None:
        from oxy.celery import app

        replayed = 0
        for letter in queryset.filter(replayed_at__isnull=True):
            result = app.send_task(
                letter.task_name, args=letter.args, kwargs=letter.kwargs, headers={"_schema_name": letter.schema_name}
            )
            letter.replayed_at, letter.replayed_task_id = timezone.now(), result.id
            letter.save(update_fields=["replayed_at", "replayed_task_id"])
            replayed += 1
        self.message_user(request, _("%(count)d task(s) replayed.") % {"count": replayed}, messages.SUCCESS)


@admin.register(BackupRecord, site=support_admin_site)
class BackupRecordAdmin(admin.ModelAdmin):
    """The daily shop backups (tenants.backups), read only: restore with
    `manage.py restore_tenant <path> --slug <new-slug>`."""

    list_display = ["organization_slug", "day", "status", "started_at", "finished_at", "size", "sha256", "path"]
    list_filter = ["status", "day"]
    search_fields = ["organization_slug", "sha256"]

    @admin.display(description=_("size"), ordering="size_bytes")
    def size(self, obj: BackupRecord) -> str:
        return filesizeformat(obj.size_bytes) if obj.size_bytes is not None else ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # pruned with their archives after OXY_BACKUP_RETENTION_DAYS


@admin.register(DeploymentEnvironment, site=support_admin_site)
class DeploymentEnvironmentAdmin(admin.ModelAdmin):
    list_display = ["name", "recorded_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(User, site=support_admin_site)
class SupportUserAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_superuser", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
