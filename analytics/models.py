"""Analytics: append-only facts, one record per conversation, daily rollups.

Every fact is an `AnalyticsEvent`, written in the same transaction as what
it records and folded into `DailyMetric` at once, so a month of figures is a
few hundred rollup rows. `ConversationRecord` follows each conversation
(a customer's messages after 24 h of silence start a new one): who handled
it, how fast, and whether it ended in a booking.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AnalyticsEvent(models.Model):
    class Kind(models.TextChoices):
        CONVERSATION_STARTED = "conversation_started", _("conversation started")
        MESSAGE_IN = "message_in", _("message received")
        MESSAGE_OUT = "message_out", _("message sent")
        FIRST_RESPONSE_BOT = "first_response_bot", _("first answer by the AI")
        FIRST_RESPONSE_HUMAN = "first_response_human", _("first answer by a person")
        HANDOVER = "handover", _("handed over to a person")
        HUMAN_ONLY = "human_only", _("answered by a person only")
        CONVERTED = "converted", _("conversation ended in a booking")
        BOOKING_CREATED = "booking_created", _("booking made")
        BOOKING_COMPLETED = "booking_completed", _("booking completed")
        BOOKING_CANCELLED = "booking_cancelled", _("booking cancelled")
        BOOKING_NO_SHOW = "booking_no_show", _("no-show")
        CUSTOMER_NEW = "customer_new", _("new customer")
        CUSTOMER_MERGED = "customer_merged", _("customer merged into another")
        AI_CALL = "ai_call", _("AI call")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    # Retried writes of the same fact collide here and count once.
    dedupe_key = models.CharField(max_length=120, unique=True)
    occurred_at = models.DateTimeField()
    # The shop-local day the fact counts for (a conversation's answers count
    # on the day it started).
    day = models.DateField()
    # Dimensions: channel, source, service, hour, weekday, sender, tokens.
    dims = models.JSONField(default=dict, blank=True)
    # Milliseconds for response times, reais for money and AI cost.
    value = models.DecimalField(max_digits=20, decimal_places=8, default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="analytics_event_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}"


ROLLUP_SHARDS = 8


class DailyMetric(models.Model):
    """A day's figure, split over a few rows (shards) so that concurrent
    writers of a busy figure (today's messages) rarely wait on each other;
    readers sum the shards."""

    day = models.DateField()
    metric = models.CharField(max_length=40)
    dim = models.CharField(max_length=60, blank=True, default="")
    shard = models.PositiveSmallIntegerField(default=0)
    count = models.BigIntegerField(default=0)
    # Eight places: a model call costs fractions of a cent, and rounding each
    # one would make a month's spend drift.
    total = models.DecimalField(max_digits=22, decimal_places=8, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "metric", "dim", "shard"], name="daily_metric_unique"),
            models.CheckConstraint(name="daily_metric_shard_range", condition=models.Q(shard__lt=ROLLUP_SHARDS)),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric}[{self.dim}] = {self.count}/{self.total}"


class ConversationRecord(models.Model):
    class HandledBy(models.TextChoices):
        AI = "ai", _("AI alone")
        HANDED_OVER = "handed_over", _("handed to a person")
        HUMAN = "human", _("person only")

    conversation = models.ForeignKey("whatsapp.Conversation", on_delete=models.CASCADE, related_name="records")
    channel_id = models.BigIntegerField()
    started_at = models.DateTimeField()
    day = models.DateField()
    last_message_at = models.DateTimeField()
    first_bot_response_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    first_human_response_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.CharField(max_length=12, choices=HandledBy.choices, default=HandledBy.AI)
    messages_in = models.PositiveIntegerField(default=0)
    messages_out = models.PositiveIntegerField(default=0)
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="conversation_records"
    )
    booking_value = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    # Copied from the conversation's customer (kept right by customer merges)
    # so "returning customers" is counted from this table alone.
    customer_id = models.BigIntegerField(null=True, blank=True)
    customer_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="conversation_record_day"),
            models.Index(
                fields=["day", "customer_since"], include=["customer_id"], name="conversation_record_customers"
            ),
            models.Index(fields=["conversation", "-started_at"], name="conversation_record_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                name="conversation_record_human_after_handover",
                condition=Q(first_human_response_at__isnull=True)
                | Q(handed_over_at__isnull=True)
                | Q(first_human_response_at__gte=models.F("handed_over_at")),
            )
        ]

    def __str__(self) -> str:
        return f"conversation {self.conversation_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def first_bot_response_s(self) -> float | None:
        return _seconds(self.started_at, self.first_bot_response_at)

    @property
    def first_human_response_s(self) -> float | None:
        start = self.handed_over_at or self.started_at
        return _seconds(start, self.first_human_response_at)


def _seconds(start, end) -> float | None:
    return None if end is None else round((end - start).total_seconds(), 1)


class ExportJob(models.Model):
    """A CSV export built in the background (periods too long to stream at
    once): its progress while it runs, and the file in the shop's own
    storage folder (MEDIA_ROOT/<schema>/exports/) when it is done."""

    class Kind(models.TextChoices):
        CONVERSATIONS = "conversations", _("conversations")
        BOOKINGS = "bookings", _("bookings")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Shop-local days, both included.
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True, help_text=_("known once the job starts"))
    # An English msgid (translated when shown), e.g. "The export took too long...".
    error = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to="exports/", blank=True)
    requested_by = models.CharField(max_length=200, help_text=_("staff e-mail or API key"))
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(name="export_job_period_order", condition=Q(end__gte=models.F("start")))]

    def __str__(self) -> str:
        return f"{self.kind} {self.start}–{self.end} ({self.status})"

    @property
    def percent(self) -> int:
        """0–100; 100 only once the file is there."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
