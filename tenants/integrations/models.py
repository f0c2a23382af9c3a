"""A shop's integrations: outbound webhooks to its own systems (endpoints
and the log of every delivery), and where its operational alerts go."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oxy.crypto import EncryptedTextField


class WebhookEvent(models.TextChoices):
    BOOKING_CREATED = "booking.created", _("booking created")
    BOOKING_CHANGED = "booking.changed", _("booking changed")
    BOOKING_CANCELLED = "booking.cancelled", _("booking cancelled")
    CONVERSATION_HANDED_OVER = "conversation.handed_over", _("conversation handed over to a person")
    MESSAGE_RECEIVED = "message.received", _("message received")


# Sent only by "send a test event"; nobody subscribes to it.
TEST_EVENT = "webhook.test"


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=40, choices=WebhookEvent.choices))
    secret = EncryptedTextField(help_text=_("signs every request; shown once"))
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="webhook_endpoint_known_events",
                condition=Q(events__contained_by=WebhookEvent.values) & ~Q(events=[]),
            ),
            models.CheckConstraint(name="webhook_endpoint_http_url", condition=Q(url__regex=r"^https?://")),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: delivered once, however often its
    producer or the delivery task runs (unique endpoint and event id)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    event_id = models.CharField(max_length=120)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=300, blank=True)
    error = models.CharField(max_length=300, blank=True)
    replay_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replays")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once"),
            models.CheckConstraint(
                name="webhook_delivery_pending_is_scheduled",
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"),
            models.Index(fields=["-created_at"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"


class AlertSettings(models.Model):
    """One row per shop: where alerts go besides the owner's WhatsApp."""

    emails = ArrayField(models.EmailField(), default=list, blank=True)
    slack_webhook_url = EncryptedTextField(blank=True, default="", help_text=_("a Slack-compatible incoming webhook"))
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "alert settings"
        constraints = [models.CheckConstraint(name="alert_settings_singleton", condition=Q(singleton=True))]

    def __str__(self) -> str:
        return ", ".join(self.emails) or "alerts"


class Alert(models.Model):
    """Something went wrong in the shop: recorded once per kind and key (the
    incident, or the cooldown period), and sent once to each destination."""

    class Kind(models.TextChoices):
        CHANNEL_DOWN = "channel_down", _("WhatsApp number disconnected")
        DEAD_LETTERS = "dead_letters", _("failed background jobs piling up")
        AI_SPEND_CAP = "ai_spend_cap", _("monthly AI spend cap reached")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    key = models.CharField(max_length=80, help_text=_("the incident or the cooldown period"))
    text = models.TextField()
    emailed_to = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    slack_sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text=_("when every destination had it"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="alert_once")]
        indexes = [models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="alert_unsent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
