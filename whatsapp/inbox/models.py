"""Public schema: webhook routes and the raw event inbox.

A webhook answers 200 only once its events are rows here; everything after
that (normalizing, the shop's conversation, the reply) runs from this table,
so a crash or a Redis outage delays events and never loses them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from oxy.crypto import EncryptedTextField


class Provider(models.TextChoices):
    EVOLUTION = "evolution", "Evolution API"
    CLOUD = "cloud", "WhatsApp Cloud API"
    SANDBOX = "sandbox", _("sandbox (simulator)")


class ChannelRoute(models.Model):
    """Which shop and channel a provider's webhook is for."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    # Evolution instance name, Cloud API phone_number_id, or the sandbox channel's id.
    external_id = models.CharField(max_length=120)
    organization = models.ForeignKey("tenants.Organization", on_delete=models.CASCADE, related_name="routes")
    channel_id = models.PositiveBigIntegerField(help_text=_("the channel's id in the shop's schema"))
    # The secret path segment of the webhook URL.
    token = models.CharField(max_length=64, unique=True)
    # Evolution: the static header value set in the instance's webhook config.
    # Cloud API: the Meta app secret that signs the deliveries.
    webhook_secret = EncryptedTextField(blank=True)
    # Cloud API: the token Meta echoes in the GET verification handshake.
    verify_token = EncryptedTextField(blank=True)
    # Evolution: the instance token, which deliveries echo as `apikey`.
    provider_token = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="channel_route_unique_external_id"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.external_id}"


class InboundEvent(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        PROCESSED = "processed", _("processed")
        IGNORED = "ignored", _("ignored")
        FAILED = "failed", _("failed")
        MALFORMED = "malformed", _("malformed (kept for inspection)")

    provider = models.CharField(max_length=16, choices=Provider.choices)
    route = models.ForeignKey(ChannelRoute, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    schema_name = models.CharField(max_length=63, blank=True)
    # Same delivery twice (provider retries, concurrent posts) = same key.
    dedupe_key = models.CharField(max_length=200, unique=True)
    event_type = models.CharField(max_length=60, blank=True)
    payload = models.JSONField(null=True, blank=True)
    raw_body = models.TextField(blank=True, help_text=_("only kept when the body could not be parsed"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_event_status_received"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} [{self.status}]"
