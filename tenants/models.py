"""Public-schema models: the organizations (tenants), their host names, the
platform's own records (deployment environment, dead-lettered tasks)."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from oxy.crypto import EncryptedTextField

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
SHOP_SCHEMA_PREFIX = "shop_"


def validate_slug(value: str) -> None:
    if not SLUG_PATTERN.match(value) or "--" in value:
        raise ValidationError(
            _("invalid slug '%(slug)s': use 3-40 lowercase letters, digits and single hyphens, starting with a letter"),
            params={"slug": value},
        )


def schema_name_for_slug(slug: str) -> str:
    # Slugs never contain "_", so the mapping is one-to-one.
    return SHOP_SCHEMA_PREFIX + slug.replace("-", "_")


class Organization(TenantMixin):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")

    class Vertical(models.TextChoices):
        PET_SHOP = "petshop", _("pet shop")
        VET_CLINIC = "vetclinic", _("vet clinic")

    # Schemas are made by tenants.services.organization_provision (cloned
    # from the template schema), never implicitly by save().
    auto_create_schema = False
    auto_drop_schema = False

    slug = models.SlugField(max_length=40, unique=True, validators=[validate_slug])
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    vertical = models.CharField(max_length=16, choices=Vertical.choices, default=Vertical.PET_SHOP)
    timezone = models.CharField(max_length=64, default="America/Sao_Paulo")

    plan = models.CharField(max_length=32, default="starter")
    max_channels = models.PositiveSmallIntegerField(default=2)
    max_staff_users = models.PositiveSmallIntegerField(default=10)
    max_monthly_ai_spend_cents = models.PositiveIntegerField(default=5000)

    created_by_name = models.CharField(max_length=120)
    created_by_email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="organization_suspension_consistent",
                condition=Q(status="suspended", suspended_at__isnull=False) | ~Q(status="suspended"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain


class DeploymentEnvironment(models.Model):
    """The environment this database belongs to (development, staging,
    production). `/health/deep` refuses when it differs from APP_ENV, so a
    staging deploy pointed at the production database is caught at once."""

    name = models.CharField(max_length=32)
    # A known value encrypted with OXY_ENCRYPTION_KEYS: starting with keys
    # that cannot read it fails at once, not on the first stored secret.
    key_check = EncryptedTextField(null=True, editable=False)
    recorded_at = models.DateTimeField(auto_now_add=True)
    singleton = models.BooleanField(default=True, unique=True, editable=False)

    class Meta:
        constraints = [models.CheckConstraint(name="deployment_environment_singleton", condition=Q(singleton=True))]

    def __str__(self) -> str:
        return self.name


class DeadLetter(models.Model):
    """A task that failed after its last retry, kept for support to inspect
    and replay from the admin."""

    task_id = models.CharField(max_length=64, unique=True)
    task_name = models.CharField(max_length=200)
    schema_name = models.CharField(max_length=63)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    exception = models.TextField()
    traceback = models.TextField(blank=True)
    failed_at = models.DateTimeField(auto_now_add=True)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replayed_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["replayed_at", "failed_at"])]

    def __str__(self) -> str:
        return f"{self.task_name} [{self.schema_name}] {self.task_id}"


class BackupRecord(models.Model):
    """One scheduled backup of one shop (tenants.backups): when it ran, where
    the archive is, its size and checksum. One per shop per day."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    # The slug outlives the shop, so a deleted shop's backups stay findable.
    organization = models.ForeignKey(Organization, on_delete=models.SET_NULL, null=True, related_name="backups")
    organization_slug = models.CharField(max_length=40)
    day = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization_slug", "day"], name="backup_record_one_per_shop_per_day"),
            models.CheckConstraint(
                name="backup_record_succeeded_complete",
                condition=~Q(status="succeeded")
                | Q(finished_at__isnull=False, size_bytes__isnull=False, sha256__regex=r"^[0-9a-f]{64}$"),
            ),
        ]
        indexes = [models.Index(fields=["started_at"], name="backup_record_started")]

    def __str__(self) -> str:
        return f"{self.organization_slug} {self.day} [{self.status}]"
