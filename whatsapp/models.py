"""A shop's WhatsApp: its numbers (channels) and their connection history,
conversations with customers, and every message in and out."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oxy.crypto import EncryptedTextField

from .inbox.models import Provider


class Channel(models.Model):
    class State(models.TextChoices):
        NEW = "new", _("new")
        PAIRING = "pairing", _("pairing")
        CONNECTED = "connected", _("connected")
        RECONNECTING = "reconnecting", _("reconnecting")
        LOGGED_OUT = "logged_out", _("logged out")
        FAILED = "failed", _("failed")

    name = models.CharField(max_length=80)
    provider = models.CharField(max_length=16, choices=Provider.choices)
    external_id = models.CharField(max_length=120, unique=True, help_text=_("Evolution instance or phone_number_id"))
    phone = models.CharField(max_length=20, blank=True, help_text=_("the connected number, E.164"))
    # Provider credentials: Evolution instance token, Cloud API access token.
    credentials = EncryptedTextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.NEW)
    state_reason = models.CharField(max_length=200, blank=True)
    state_changed_at = models.DateTimeField(auto_now_add=True)
    pairing_code = models.CharField(max_length=16, blank=True)
    qr_code = models.TextField(blank=True)
    reconnect_attempts = models.PositiveSmallIntegerField(default=0)
    next_reconnect_at = models.DateTimeField(null=True, blank=True)
    last_health_check_at = models.DateTimeField(null=True, blank=True)
    last_health_ok = models.BooleanField(null=True)
    sends_per_minute = models.PositiveSmallIntegerField(default=30)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider})"


class ChannelStateChange(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="state_changes")
    from_state = models.CharField(max_length=16, choices=Channel.State.choices)
    to_state = models.CharField(max_length=16, choices=Channel.State.choices)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class Conversation(models.Model):
    class Owner(models.TextChoices):
        BOT = "bot", _("bot")
        HUMAN = "human", _("human")
        PAUSED = "paused", _("paused")

    customer = models.ForeignKey("bookings.Customer", on_delete=models.CASCADE, related_name="conversations")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="conversations")
    # The id to send to: phone JID when known, else the @lid / wa_id.
    address = models.CharField(max_length=120)
    owner = models.CharField(max_length=8, choices=Owner.choices, default=Owner.BOT)
    owner_changed_at = models.DateTimeField(null=True, blank=True)
    handover_reason = models.CharField(max_length=200, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    unread_count = models.PositiveIntegerField(default=0)
    # Set when a customer message awaits an answer; the agents pick it up.
    reply_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_message_at"]
        constraints = [models.UniqueConstraint(fields=["customer", "channel"], name="conversation_one_per_channel")]
        indexes = [models.Index(fields=["-last_message_at"], name="conversation_recent")]

    def __str__(self) -> str:
        return f"{self.customer} via {self.channel}"


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", _("received")
        OUTBOUND = "out", _("sent")

    class SenderKind(models.TextChoices):
        CUSTOMER = "customer", _("customer")
        BOT = "bot", _("bot")
        STAFF = "staff", _("staff")
        OWNER = "owner", _("owner")
        SYSTEM = "system", _("system")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        READ = "read", _("read")
        FAILED = "failed", _("failed")

    # Statuses only move forward, whatever order the provider reports them in.
    STATUS_RANK = {"received": 0, "queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4, "failed": 5}

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    sender_kind = models.CharField(max_length=8, choices=SenderKind.choices)
    sent_by = models.CharField(max_length=200, blank=True, help_text=_("staff e-mail when a person sent it"))
    kind = models.CharField(max_length=20, default="text")
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True, help_text=_("location, contact, reply ids, media details"))
    media = models.FileField(upload_to="whatsapp/%Y/%m/", blank=True)
    provider_message_id = models.CharField(max_length=200, null=True, blank=True)
    reply_to_provider_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    status_rank = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    # When a send task was last queued (or re-queued by a retry) for it.
    queued_at = models.DateTimeField(null=True, blank=True)
    provider_timestamp = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="message_unique_provider_id",
            ),
        ]
        indexes = [models.Index(fields=["conversation", "created_at"], name="message_conversation_time")]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind}: {self.text[:40]}"

    is_note = False  # see ConversationNote

    @property
    def words(self) -> str:
        """What the message says: its text or caption, or a voice note's transcript."""
        return self.text or self.data.get("transcript", "")


class ConversationNote(models.Model):
    """A note the team leaves on a conversation; the customer never sees it."""

    is_note = True  # told apart from messages in a conversation's timeline

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class CannedReply(models.Model):
    """A ready answer staff insert into a reply."""

    title = models.CharField(max_length=60, unique=True)
    text = models.TextField()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title
