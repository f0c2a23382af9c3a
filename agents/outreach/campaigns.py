"""Campaigns: a segment, a message with placeholders, and sending that keeps
the shop's number safe.

A draft is launched only as the revision that was shown (every edit bumps
it). Launching freezes the recipients (one row per customer); sending then
goes one message at a time, a random gap apart, inside the sending window
and the shop's business hours, under the campaign's daily cap and every
customer's caps, re-checking opt-outs at each send. The channel's own
per-minute throttle applies on top, as for every message.
"""

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.availability import shop_timezone
from bookings.calendar import local_to_utc
from bookings.selectors import shop_next_opening
from tenants.shop.services import Actor, audit_record

from ..models import Campaign, CampaignRecipient, OutreachSettings
from .delivery import Capped, NotNow, Undeliverable, outreach_settings, proactive_send, window_next_open
from .selectors import campaign_text_for, segment_customers, unknown_placeholders

NO_CHANNEL_RETRY = timedelta(minutes=5)
SEGMENT_FIELDS = ("inactive_days", "species", "last_service", "vaccine_due_within_days", "tag")
EDITABLE = ("name", "text", *SEGMENT_FIELDS, "starts_at", "daily_cap", "min_gap_s", "max_gap_s")


class CampaignError(Exception):
    """Said to whoever asked (the owner, staff), as it is."""


def campaign_draft_create(*, name: str, text: str, actor: Actor, **fields) -> Campaign:
    campaign = Campaign(name=name.strip()[:120], text=text.strip(), created_by=actor.label[:200], **fields)
    _validate(campaign)
    campaign.save()
    audit_record(actor=actor, action="campaign.draft", target=f"campaign:{campaign.pk}")
    return campaign


@transaction.atomic
def campaign_draft_update(*, campaign_id: int, actor: Actor, **changes) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignError(_("Only a draft can be edited."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise CampaignError(f"not editable: {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(campaign, field, value)
    _validate(campaign)
    campaign.revision += 1
    campaign.save()
    audit_record(
        actor=actor, action="campaign.edit", target=f"campaign:{campaign.pk}", data={"revision": campaign.revision}
    )
    return campaign


def campaign_problems(campaign: Campaign) -> dict[str, str]:
    """What keeps a draft from being saved, by field (empty: nothing)."""
    problems: dict[str, str] = {}
    if not campaign.name:
        problems["name"] = _("Give the campaign a name.")
    if not campaign.text:
        problems["text"] = _("The message is empty.")
    elif unknown := unknown_placeholders(campaign.text):
        problems["text"] = _("Unknown placeholder %(names)s: use {name}, {pet} or {shop}.") % {
            "names": ", ".join(f"{{{name}}}" for name in unknown)}  # fmt: skip
    if campaign.daily_cap < 1:
        problems["daily_cap"] = _("The daily cap must be at least 1.")
    if campaign.min_gap_s > campaign.max_gap_s:
        problems["max_gap_s"] = _("The shortest gap between messages is longer than the longest.")
    return problems


def _validate(campaign: Campaign) -> None:
    problems = campaign_problems(campaign)
    if problems:
        raise CampaignError(next(iter(problems.values())))


@transaction.atomic
def campaign_launch(*, campaign_id: int, revision: int, actor: Actor, now: datetime | None = None) -> Campaign:
    """Start sending the draft as it was at `revision`; its recipients are
    the segment's customers at this moment."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignError(_("This campaign was launched already."))
    if campaign.revision != revision:
        raise CampaignError(_("The draft changed after it was shown: confirm the new version."))
    customer_ids = list(segment_customers(campaign=campaign, now=now).values_list("pk", flat=True))
    if not customer_ids:
        raise CampaignError(_("No customer matches this campaign's segment."))
    CampaignRecipient.objects.bulk_create(
        [CampaignRecipient(campaign=campaign, customer_id=customer_id) for customer_id in customer_ids],
        batch_size=1000, ignore_conflicts=True,
    )  # fmt: skip
    campaign.status, campaign.launched_at, campaign.launched_by = Campaign.Status.RUNNING, now, actor.label[:200]
    campaign.next_send_at = max(now, campaign.starts_at or now)
    campaign.save(update_fields=["status", "launched_at", "launched_by", "next_send_at"])
    audit_record(actor=actor, action="campaign.launch", target=f"campaign:{campaign.pk}",
                 data={"revision": revision, "recipients": len(customer_ids)})  # fmt: skip
    return campaign


@transaction.atomic
def campaign_stop(*, campaign_id: int, actor: Actor) -> Campaign:
    """Nothing more is sent until it is resumed (a message already queued still goes)."""
    return _status_change(campaign_id, Campaign.Status.RUNNING, Campaign.Status.STOPPED, actor=actor,
                          error=_("Only a campaign that is sending can be stopped."))  # fmt: skip


@transaction.atomic
def campaign_resume(*, campaign_id: int, actor: Actor, now: datetime | None = None) -> Campaign:
    campaign = _status_change(campaign_id, Campaign.Status.STOPPED, Campaign.Status.RUNNING, actor=actor,
                              error=_("Only a stopped campaign can be resumed."))  # fmt: skip
    campaign.next_send_at = now or timezone.now()
    campaign.save(update_fields=["next_send_at"])
    return campaign


def _status_change(campaign_id: int, from_status: str, to_status: str, *, actor: Actor, error: str) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status == to_status:
        return campaign  # asked twice
    if campaign.status != from_status:
        raise CampaignError(error)
    campaign.status = to_status
    campaign.save(update_fields=["status"])
    audit_record(actor=actor, action=f"campaign.{to_status}", target=f"campaign:{campaign.pk}")
    return campaign


def campaigns_send_due(*, now: datetime | None = None) -> int:
    """Send the next message of each running campaign whose gap is over; the number sent."""
    now = now or timezone.now()
    rules = outreach_settings()
    due = Campaign.objects.filter(status=Campaign.Status.RUNNING, next_send_at__lte=now).values_list("pk", flat=True)
    sent = 0
    for campaign_id in list(due):
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update(skip_locked=True).filter(
                pk=campaign_id, status=Campaign.Status.RUNNING, next_send_at__lte=now
            ).first()  # fmt: skip
            if campaign is not None:
                sent += _campaign_step(campaign, now=now, rules=rules)
    return sent


def _campaign_step(campaign: Campaign, *, now: datetime, rules: OutreachSettings) -> int:
    wait_until = _closed_until(campaign, now=now, rules=rules)
    if wait_until:
        return _wait(campaign, wait_until)
    # The campaign's row is locked: nobody else sends to its recipients meanwhile.
    recipient = campaign.recipients.filter(status=CampaignRecipient.Status.PENDING).select_related("customer").first()
    if recipient is None:
        campaign.status, campaign.finished_at = Campaign.Status.FINISHED, now
        campaign.save(update_fields=["status", "finished_at"])
        return 0
    try:
        recipient.message = proactive_send(
            customer_id=recipient.customer_id, text=campaign_text_for(campaign=campaign, customer=recipient.customer),
            purpose="campaign", now=now, rules=rules, marketing=True, data={"campaign": campaign.pk},
        )  # fmt: skip
        recipient.status, recipient.sent_at = CampaignRecipient.Status.SENT, now
    except Capped as exc:
        recipient.status, recipient.reason = CampaignRecipient.Status.SKIPPED, exc.reason
    except NotNow as exc:  # no number connected: the campaign waits, the customer keeps their place
        return _wait(campaign, exc.retry_at or now + NO_CHANNEL_RETRY)
    except Undeliverable as exc:
        recipient.status, recipient.reason = CampaignRecipient.Status.SKIPPED, str(exc)[:200]
    recipient.save(update_fields=["status", "reason", "message", "sent_at"])
    gap = random.uniform(campaign.min_gap_s, campaign.max_gap_s)  # noqa: S311 - spacing, not secrecy
    return _wait(campaign, now + timedelta(seconds=gap), sent=recipient.status == CampaignRecipient.Status.SENT)


def _wait(campaign: Campaign, until: datetime, *, sent: bool = False) -> int:
    campaign.next_send_at = until
    campaign.save(update_fields=["next_send_at"])
    return int(sent)


def _closed_until(campaign: Campaign, *, now: datetime, rules: OutreachSettings) -> datetime | None:
    """When sending may go on, if not now: before the schedule, outside the
    sending window or the business hours, or over today's cap."""
    if campaign.starts_at and campaign.starts_at > now:
        return campaign.starts_at
    opens = window_next_open(now=now, rules=rules) or shop_next_opening(now=now)
    if opens:
        return opens
    tz = shop_timezone()
    today = timezone.localtime(now, tz).date()
    day_start = local_to_utc(today, datetime.min.time(), tz) or now.replace(hour=0)
    sent_today = campaign.recipients.filter(status=CampaignRecipient.Status.SENT, sent_at__gte=day_start).count()
    if sent_today >= campaign.daily_cap:
        tomorrow = today + timedelta(days=1)
        return local_to_utc(tomorrow, rules.window_start, tz) or day_start + timedelta(days=1)
    return None
