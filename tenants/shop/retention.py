"""LGPD retention: how long a shop keeps what its customers sent.

Two settings per shop (ShopSettings): raw webhook events (the public inbox;
a shop may only shorten the platform's OXY_INBOX_RETENTION_DAYS) and
messages. Old messages are anonymized, not deleted: their text, transcript,
details and files go, and what the attendant's tools were given and answered
while it replied to them; the rows stay, so counts and reports stay true.
A beat job applies both in every shop (tasks.retention_all_tenants_task).
"""

import calendar
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from agents.models import AIInteraction
from bookings.services.privacy import ai_tool_calls_strip, message_files_delete
from oxy.schemas import on_commit_in_this_schema
from whatsapp.inbox.models import InboundEvent
from whatsapp.inbox.selectors import inbound_events_purgeable
from whatsapp.models import Message

from .models import MESSAGE_RETENTION_MONTHS_MAX, ShopSettings
from .services import Actor, audit_record

BATCH = 500
# Per shop and run, so that one shop's backlog cannot hold up the others;
# what is left is done by the next run.
BATCHES_PER_RUN = 40
ANONYMIZED = "anonymized"
# Labels, not personal data: what an automatic message was for.
_KEPT_DATA = ("proactive", "campaign")


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (31 March - 1: 28/29 February)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@transaction.atomic
def retention_settings_update(
    *, raw_events_retention_days: int | None, message_retention_months: int | None, actor: Actor
) -> ShopSettings:  # fmt: skip
    """None: the platform's limit for raw events; keep messages forever."""
    days, months = raw_events_retention_days, message_retention_months
    if days is not None and not 1 <= days <= settings.OXY_INBOX_RETENTION_DAYS:
        raise ValueError(f"raw events are kept 1 to {settings.OXY_INBOX_RETENTION_DAYS} days, not {days}")
    if months is not None and not 1 <= months <= MESSAGE_RETENTION_MONTHS_MAX:
        raise ValueError(f"messages are kept 1 to {MESSAGE_RETENTION_MONTHS_MAX} months, not {months}")
    shop = ShopSettings.objects.select_for_update().get(singleton=True)
    before = {"raw_events_retention_days": shop.raw_events_retention_days,
              "message_retention_months": shop.message_retention_months}  # fmt: skip
    shop.raw_events_retention_days, shop.message_retention_months = days, months
    shop.save(update_fields=["raw_events_retention_days", "message_retention_months", "updated_at"])
    after = {"raw_events_retention_days": days, "message_retention_months": months}
    audit_record(actor=actor, action="shop.retention_updated", data={"from": before, "to": after})
    return shop


def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """Apply the current shop's settings: delete its old raw events, anonymize
    its old messages. Idempotent, in batches of their own transaction; the
    run and what it touched are recorded on the shop's settings."""
    now = now or timezone.now()
    shop = ShopSettings.objects.first()
    if shop is None:
        return {}
    events = _raw_events_purge(days=shop.raw_events_retention_days, now=now)
    messages, done_before = _messages_anonymize(
        months=shop.message_retention_months, done_before=shop.messages_anonymized_before, now=now
    )
    ShopSettings.objects.filter(pk=shop.pk).update(
        retention_applied_at=now, retention_messages_anonymized=messages, retention_events_deleted=events,
        messages_anonymized_before=done_before,
    )  # fmt: skip
    done = {"messages_anonymized": messages, "events_deleted": events}
    if messages or events:
        audit_record(actor=Actor.system("retention"), action="retention.applied", data=done)
    return done


def _raw_events_purge(*, days: int | None, now: datetime) -> int:
    if not days:
        return 0  # the platform's own purge (whatsapp.purge_inbox) applies
    old = inbound_events_purgeable(before=now - timedelta(days=days)).filter(schema_name=connection.schema_name)
    deleted = 0
    for _ in range(BATCHES_PER_RUN):
        ids = list(old.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        deleted += InboundEvent.objects.filter(pk__in=ids).delete()[0]
    return deleted


def _messages_anonymize(
    *, months: int | None, done_before: datetime | None, now: datetime
) -> tuple[int, datetime | None]:  # fmt: skip
    """(messages anonymized, the cutoff every older message now is past).
    Scanning starts at the last run's cutoff, not at the shop's first message."""
    if not months:
        return 0, done_before
    cutoff = months_before(now, months)
    if done_before and done_before >= cutoff:
        return 0, done_before  # the setting got longer: older messages stay as they are
    old = Message.objects.filter(created_at__lt=cutoff).exclude(data__has_key=ANONYMIZED)
    old = old.exclude(data__has_key="erased")  # emptied by an erasure already
    if done_before:
        old = old.filter(created_at__gte=done_before)
    anonymized = 0
    for _ in range(BATCHES_PER_RUN):
        count = _messages_batch_anonymize(old)
        anonymized += count
        if count < BATCH:
            return anonymized, cutoff
    return anonymized, done_before


@transaction.atomic
def _messages_batch_anonymize(old: QuerySet[Message]) -> int:
    batch = list(old.select_for_update().order_by("created_at", "pk").only("pk", "text", "data", "media")[:BATCH])
    files = [message.media.name for message in batch if message.media]
    for message in batch:
        kept = {key: message.data[key] for key in _KEPT_DATA if key in message.data}
        message.text, message.media, message.data = "", "", kept | {ANONYMIZED: True}
    Message.objects.bulk_update(batch, ["text", "data", "media"])
    ai_tool_calls_strip(AIInteraction.objects.filter(answers_message__in=batch))
    on_commit_in_this_schema(lambda: message_files_delete(files))
    return len(batch)
