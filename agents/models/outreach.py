"""Messages the shop sends on its own: follow-ups tied to a booking or a
vaccine (confirmations, reminders, vaccine due, after a visit) and
campaigns. Each follow-up is one row per what it is about (a unique key),
and each campaign recipient one row per customer, so a scheduler that runs
every minute, restarts or runs twice sends each message once."""

from datetime import time

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from bookings.models import Species


def default_reminder_hours() -> list[int]:
    return [24, 2]


class OutreachSettings(models.Model):
    """One row per shop: which automations run, and how much any customer
    may receive unasked."""

    confirmations_enabled = models.BooleanField(
        default=True, help_text=_("confirm bookings made by the team (the attendant confirms its own in the chat)")
    )
    reminder_hours = ArrayField(
        models.PositiveSmallIntegerField(), default=default_reminder_hours, blank=True,
        help_text=_("hours before an appointment to remind the customer; empty: no reminders"),
    )  # fmt: skip
    vaccine_reminders_enabled = models.BooleanField(default=True)
    vaccine_reminder_days = models.PositiveSmallIntegerField(default=7, help_text=_("days before the vaccine is due"))
    post_visit_enabled = models.BooleanField(default=True)
    post_visit_after_hours = models.PositiveSmallIntegerField(default=3)
    per_customer_per_hour = models.PositiveSmallIntegerField(default=2)
    per_customer_per_day = models.PositiveSmallIntegerField(default=4, help_text=_("in any 24 hours"))
    window_start = models.TimeField(default=time(8, 0), help_text=_("shop time"))
    window_end = models.TimeField(default=time(20, 0), help_text=_("shop time"))
    singleton = models.BooleanField(default=True, unique=True, editable=False)

    class Meta:
        verbose_name_plural = "outreach settings"
        constraints = [
            models.CheckConstraint(name="outreach_settings_singleton", condition=Q(singleton=True)),
            models.CheckConstraint(name="outreach_window_order", condition=Q(window_end__gt=F("window_start"))),
        ]

    def __str__(self) -> str:
        return f"{self.window_start:%H:%M}-{self.window_end:%H:%M}"


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("booking confirmation")
        REMINDER = "reminder", _("appointment reminder")
        VACCINE_DUE = "vaccine_due", _("vaccine due")
        POST_VISIT = "post_visit", _("after the visit")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("skipped")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What makes it one: the booking and its start (a moved booking is
    # reminded of its new time), the vaccine and its due day.
    key = models.CharField(max_length=120)
    customer = models.ForeignKey("bookings.Customer", on_delete=models.CASCADE, related_name="follow_ups")
    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, null=True, blank=True)
    vaccination = models.ForeignKey("bookings.Vaccination", on_delete=models.CASCADE, null=True, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=200, blank=True, help_text=_("why it was skipped or failed"))
    message = models.OneToOneField("whatsapp.Message", on_delete=models.SET_NULL, null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="follow_up_once")]
        indexes = [models.Index(fields=["due_at"], condition=Q(status="pending"), name="follow_up_pending")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.status})"


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        RUNNING = "running", _("sending")
        STOPPED = "stopped", _("stopped")
        FINISHED = "finished", _("finished")

    name = models.CharField(max_length=120)
    text = models.TextField(help_text=_("placeholders: {name}, {pet}, {shop}"))
    # The segment: customers matching every condition that is set.
    inactive_days = models.PositiveIntegerField(null=True, blank=True, help_text=_("no contact for this many days"))
    species = models.CharField(max_length=16, choices=Species.choices, blank=True)
    last_service = models.ForeignKey("bookings.Service", on_delete=models.SET_NULL, null=True, blank=True)
    vaccine_due_within_days = models.PositiveIntegerField(null=True, blank=True)
    tag = models.CharField(max_length=40, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True, help_text=_("not before; empty: at launch"))
    daily_cap = models.PositiveIntegerField(default=100)
    min_gap_s = models.PositiveIntegerField(default=20, help_text=_("seconds between two messages, at least"))
    max_gap_s = models.PositiveIntegerField(default=90, help_text=_("… and at most"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    # Bumped by every edit: a launch confirms one revision of the draft.
    revision = models.PositiveIntegerField(default=1)
    next_send_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    launched_by = models.CharField(max_length=200, blank=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="campaign_gap_order", condition=Q(max_gap_s__gte=F("min_gap_s"))),
            models.CheckConstraint(name="campaign_daily_cap_positive", condition=Q(daily_cap__gt=0)),
            models.CheckConstraint(
                name="campaign_launched", condition=Q(status="draft") | Q(launched_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignRecipient(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("skipped")
        FAILED = "failed", _("failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey("bookings.Customer", on_delete=models.CASCADE, related_name="campaign_messages")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    message = models.OneToOneField("whatsapp.Message", on_delete=models.SET_NULL, null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_recipient_once")]
        indexes = [models.Index(fields=["campaign", "status"], name="campaign_recipient_status")]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.customer_id} ({self.status})"
