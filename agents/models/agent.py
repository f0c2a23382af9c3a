"""The agents' settings per shop, the shop's own questions and answers, and
the log of every AI turn."""

from datetime import time
from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oxy.crypto import EncryptedTextField


class AgentSettings(models.Model):
    """One row per shop. Empty model, URL or key: the deployment's defaults."""

    model = models.CharField(max_length=80, blank=True)
    base_url = models.URLField(blank=True)
    api_key = EncryptedTextField(blank=True, default="")
    monthly_cap_usd = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("LLM spend per month, within the plan's; empty: the plan's"),
    )
    customer_turns_per_minute = models.PositiveSmallIntegerField(default=5)
    handback_idle_minutes = models.PositiveSmallIntegerField(
        default=30, help_text=_("the AI takes a conversation back after a person has been silent this long; 0: never")
    )
    attendant_paused_at = models.DateTimeField(
        null=True, blank=True, help_text=_("set: the attendant hands every customer message to a person")
    )
    daily_summary_enabled = models.BooleanField(default=True, help_text=_("Aurora sends the owner a daily summary"))
    daily_summary_at = models.TimeField(default=time(19, 0), help_text=_("shop time"))
    alerts_enabled = models.BooleanField(
        default=True, help_text=_("Aurora warns the owner when no-shows or cancellations run above normal")
    )
    weekly_report_enabled = models.BooleanField(default=True, help_text=_("Aurora sends last week's report"))
    weekly_report_weekday = models.PositiveSmallIntegerField(default=0, help_text=_("0 = Monday … 6 = Sunday"))
    monthly_booking_goal = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Aurora tells the owner when the month's bookings reach it")
    )
    channel_alerts_enabled = models.BooleanField(
        default=True, help_text=_("Aurora warns the owner when a WhatsApp number disconnects")
    )
    address = models.CharField(max_length=300, blank=True)
    policies = models.TextField(blank=True, help_text=_("cancellation, payment, vaccines: what customers should know"))
    singleton = models.BooleanField(default=True, unique=True, editable=False)

    class Meta:
        verbose_name_plural = "agent settings"
        constraints = [
            models.CheckConstraint(name="agent_settings_singleton", condition=Q(singleton=True)),
            models.CheckConstraint(name="agent_settings_report_weekday", condition=Q(weekly_report_weekday__lte=6)),
        ]

    def __str__(self) -> str:
        return self.model or "default model"


class FaqEntry(models.Model):
    """The shop's own questions and answers, found by Portuguese full-text search."""

    question = models.CharField(max_length=300)
    answer = models.TextField()
    search = models.GeneratedField(
        expression=SearchVector("question", "answer", config="portuguese"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        indexes = [GinIndex(fields=["search"], name="faq_search")]

    def __str__(self) -> str:
        return self.question


class AIInteraction(models.Model):
    """One agent turn: what it cost, how long it took, what it did."""

    class Agent(models.TextChoices):
        CUSTOMER = "customer", _("customer attendant")
        OFFLINE = "offline", _("offline attendant")
        AURORA = "aurora", _("Aurora (the owner's agent)")
        AURORA_OFFLINE = "aurora_offline", _("Aurora, offline")

    class Outcome(models.TextChoices):
        REPLIED = "replied", _("replied")
        HANDED_OVER = "handed_over", _("handed over")
        FAILED = "failed", _("failed")

    conversation = models.ForeignKey("whatsapp.Conversation", on_delete=models.CASCADE, related_name="ai_turns")
    # The newest customer message this turn answers: one turn per message, however often it is retried.
    answers_message = models.OneToOneField("whatsapp.Message", on_delete=models.CASCADE, related_name="ai_turn")
    agent = models.CharField(max_length=16, choices=Agent.choices)
    model = models.CharField(max_length=80, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    cached_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, default=Decimal(0))
    latency_ms = models.PositiveIntegerField(default=0)
    tool_calls = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.agent} {self.outcome} ({self.conversation_id})"


class OwnerNotice(models.Model):
    """Something Aurora told the owner on her own (a daily summary, an
    alert): one per kind and key (the day, the channel event), however often
    the scheduler runs or restarts."""

    class Kind(models.TextChoices):
        DAILY_SUMMARY = "daily_summary", _("daily summary")
        NO_SHOW_ALERT = "no_show_alert", _("no-shows above normal")
        CANCELLATION_ALERT = "cancellation_alert", _("cancellations above normal")
        WEEKLY_REPORT = "weekly_report", _("weekly report")
        BOOKING_GOAL = "booking_goal", _("booking goal reached")
        CHANNEL_ALERT = "channel_alert", _("WhatsApp number disconnected")
        DEAD_LETTERS = "dead_letters", _("failed background jobs piling up")
        AI_SPEND_CAP = "ai_spend_cap", _("monthly AI spend cap reached")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    key = models.CharField(
        max_length=80, help_text=_("what makes it one: the day, the week, the month, the channel event")
    )
    text = models.TextField()
    sent_to = models.PositiveSmallIntegerField(default=0, help_text=_("owner numbers it was sent to"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="owner_notice_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
