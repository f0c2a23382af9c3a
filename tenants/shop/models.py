"""Per-shop records that live in the shop's own schema: its settings, the
owner's WhatsApp numbers, its secrets and its audit log."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oxy.crypto import EncryptedTextField
from oxy.phones import InvalidPhoneNumber, phone_to_e164

MESSAGE_RETENTION_MONTHS_MAX = 120


class ShopSettings(models.Model):
    """One row per shop: what the attendant says and how it presents itself,
    and how long it keeps what customers sent (LGPD retention)."""

    assistant_name = models.CharField(max_length=60)
    welcome_message = models.TextField()
    language = models.CharField(max_length=8, default="pt-br")
    # Empty: the platform's OXY_INBOX_RETENTION_DAYS; a shop may only shorten it.
    raw_events_retention_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Empty: messages are kept whole forever; else older ones are anonymized.
    message_retention_months = models.PositiveSmallIntegerField(null=True, blank=True)
    # What the retention job did last (shown on the Privacy page), and the
    # cutoff every older message is known to be anonymized before.
    retention_applied_at = models.DateTimeField(null=True, blank=True)
    retention_messages_anonymized = models.PositiveIntegerField(default=0)
    retention_events_deleted = models.PositiveIntegerField(default=0)
    messages_anonymized_before = models.DateTimeField(null=True, blank=True)
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "shop settings"
        constraints = [
            models.CheckConstraint(name="shop_settings_singleton", condition=Q(singleton=True)),
            models.CheckConstraint(
                name="shop_settings_raw_events_retention_positive",
                condition=Q(raw_events_retention_days__isnull=True) | Q(raw_events_retention_days__gte=1),
            ),
            models.CheckConstraint(
                name="shop_settings_message_retention_range",
                condition=Q(message_retention_months__isnull=True)
                | Q(message_retention_months__gte=1, message_retention_months__lte=MESSAGE_RETENTION_MONTHS_MAX),
            ),
        ]

    def __str__(self) -> str:
        return self.assistant_name


class OwnerNumber(models.Model):
    """A WhatsApp number whose messages reach Aurora (the owner's agent).

    The sender's number comes from the provider, never from message text.
    """

    phone = models.CharField(max_length=20, unique=True, help_text=_("E.164, e.g. +5511987654321"))
    label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(name="owner_number_e164", condition=Q(phone__regex=r"^\+[1-9][0-9]{7,14}$"))
        ]

    def __str__(self) -> str:
        return self.phone

    def clean(self) -> None:
        try:
            self.phone = phone_to_e164(self.phone)
        except InvalidPhoneNumber as exc:
            raise ValidationError({"phone": str(exc)}) from exc


class TenantSecret(models.Model):
    class Name(models.TextChoices):
        WEBHOOK_SECRET = "webhook_secret", _("webhook secret")
        API_SIGNING_KEY = "api_signing_key", _("API signing key")

    name = models.CharField(max_length=40, choices=Name.choices, unique=True)
    value = EncryptedTextField()
    rotated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """Append-only record of who changed what in this shop."""

    class ActorType(models.TextChoices):
        STAFF = "staff", _("staff")
        SUPPORT = "support", _("support")
        AI = "ai", _("AI")
        OWNER = "owner", _("owner")
        API = "api", _("API key")
        SYSTEM = "system", _("system")

    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=80)
    target = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class ApiKey(models.Model):
    """A key an integration uses to call the shop's API. Only a hash is
    stored; the key is shown once, when created."""

    class Role(models.TextChoices):
        READ = "read", _("read only")
        ATTENDANT = "attendant", _("book and edit customers")
        MANAGER = "manager", _("also change services, resources and hours")

    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ATTENDANT)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
