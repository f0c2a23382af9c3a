"""From a stored inbox event to the shop's conversation: normalize, find
the customer, record the message (once), move statuses forward, and ask for
a reply when one is due."""

import base64
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import tenant_context

from analytics.services import facts_together, message_fact_record
from oxy.logging import log_context
from oxy.raw_rows import columns_sql, model_from_columns
from oxy.schemas import on_commit_in_this_schema
from tenants.integrations.services.events import message_received_emit
from tenants.models import Organization

from ..identity import customer_for_sender
from ..inbox.models import ChannelRoute, InboundEvent
from ..models import Channel, Conversation, Message
from ..providers import normalize
from ..providers.base import (
    ConnectionUpdate,
    Ignored,
    InboundItem,
    InboundMessage,
    MessageEdited,
    MessageRevoked,
    StatusUpdate,
)
from .announce import message_announce
from .channels import channel_state_set

logger = logging.getLogger(__name__)


def inbound_event_process(*, event_id: int) -> str:
    """Apply one inbox event in its shop's schema; safe to call twice (the
    row lock and its status make the second call a no-op).

    Optimistic first: no savepoints around the writes a concurrent delivery
    could also make (a new customer, the same message). When one did, a
    unique constraint says so; the event is undone and applied again
    carefully, each of those writes under its own savepoint."""
    try:
        return _event_apply(event_id, careful=False)
    except IntegrityError:
        return _event_apply(event_id, careful=True)


# The claim is the UPDATE (under the row's lock, skipped when another
# worker holds it), made `processed` at once: when applying the event fails,
# the transaction takes the claim back with everything else. It returns the
# event with its route and shop, so claiming and reading are one statement.
# A held shop's events are not claimed: they wait, pending, for it.
_EVENT_CLAIM = f"""
UPDATE {InboundEvent._meta.db_table} AS event
SET status = %(processed)s, attempts = event.attempts + 1, processed_at = %(now)s
FROM {ChannelRoute._meta.db_table} AS route
JOIN {Organization._meta.db_table} AS organization ON organization.id = route.organization_id
WHERE event.id = (SELECT id FROM {InboundEvent._meta.db_table} WHERE id = %(id)s AND status = %(pending)s
                  FOR UPDATE SKIP LOCKED)
  AND route.id = event.route_id AND organization.status = %(active)s
RETURNING event.id, event.provider, event.dedupe_key, event.event_type, event.payload, event.status, event.route_id,
          route.id AS "route__id", route.provider AS "route__provider", route.external_id AS "route__external_id",
          route.organization_id AS "route__organization_id", route.channel_id AS "route__channel_id",
          {columns_sql(Organization, table="organization", prefix="organization__")}
"""  # noqa: S608 - table and column names come from the models


def _event_claim(event_id: int) -> InboundEvent | None:
    params = {"id": event_id, "now": timezone.now(), "pending": InboundEvent.Status.PENDING,
              "processed": InboundEvent.Status.PROCESSED, "active": Organization.Status.ACTIVE}  # fmt: skip
    event = next(iter(InboundEvent.objects.raw(_EVENT_CLAIM, params)), None)
    if event is not None:
        event.route = model_from_columns(ChannelRoute, event.__dict__, prefix="route__")
        event.route.organization = model_from_columns(Organization, event.__dict__, prefix="organization__")
    return event


def _event_apply(event_id: int, *, careful: bool) -> str:
    with transaction.atomic():
        event = _event_claim(event_id)
        if event is None:
            held = InboundEvent.objects.filter(pk=event_id, status=InboundEvent.Status.PENDING, route__isnull=False)
            held = held.exclude(route__organization__status=Organization.Status.ACTIVE)
            return "held" if held.exists() else "skipped"  # held: processed once the shop is active again
        item = InboundItem(event.route.external_id, event.dedupe_key, event.event_type, event.payload)
        with tenant_context(event.route.organization):
            with facts_together():
                outcomes = [
                    _apply(normalized, event.route.channel_id, careful=careful)
                    for normalized in normalize(event.provider, item)
                ]
            if all(outcome == "ignored" for outcome in outcomes):
                # Still in the shop's schema: the inbox table is found through
                # the search path's public part, without switching back first.
                InboundEvent.objects.filter(pk=event.pk).update(status=InboundEvent.Status.IGNORED)
                return InboundEvent.Status.IGNORED
        return InboundEvent.Status.PROCESSED


def _apply(event, channel_id: int, *, careful: bool) -> str:
    match event:
        case InboundMessage():
            return message_inbound_record(channel_id=channel_id, message=event, careful=careful)
        case StatusUpdate():
            return message_status_apply(channel_id=channel_id, update=event)
        case MessageEdited():
            Message.objects.filter(channel_id=channel_id, provider_message_id=event.provider_message_id).update(
                text=event.text, edited_at=event.timestamp
            )
            return "edited"
        case MessageRevoked():
            Message.objects.filter(channel_id=channel_id, provider_message_id=event.provider_message_id).update(
                revoked_at=timezone.now()
            )
            return "revoked"
        case ConnectionUpdate():
            channel = Channel.objects.get(pk=channel_id)
            channel_state_set(channel=channel, state=event.state, reason=event.reason, pairing_code=event.pairing_code,
                              qr_code=event.qr_code, phone=event.phone)  # fmt: skip
            return "connection"
        case Ignored():
            return "ignored"
    return "ignored"


def _address(message: InboundMessage) -> str:
    sender = message.sender
    if sender.phone:
        return sender.phone
    return sender.lid or sender.wa_id or sender.bsuid or ""


def message_inbound_record(*, channel_id: int, message: InboundMessage, careful: bool = True) -> str:
    """Record a message once (the provider id is unique per channel). A
    message the business phone itself sent is a person on the shop's side:
    the conversation becomes human-owned and the bot goes quiet.

    `careful=False` takes no savepoints: a concurrent delivery's customer or
    message raises IntegrityError, and the caller undoes and retries."""
    now = timezone.now()
    customer, created = customer_for_sender(message.sender, now=now, careful=careful)
    if created:
        # Nobody else can see this customer before we commit: their first
        # conversation and message are ours alone, written without checks.
        conversation = Conversation(customer=customer, channel_id=channel_id, address=_address(message))
    else:
        conversation = _conversation_locked(customer, channel_id, address=_address(message))
    recorded = _message_build(conversation=conversation, channel_id=channel_id, message=message)
    if created:
        pass  # saved below, once its new conversation has an id
    elif not careful:
        recorded.save()  # the same message from another delivery raises: the caller retries carefully
    else:
        try:
            with transaction.atomic():
                recorded.save()
        except IntegrityError:
            return "duplicate"  # the same message, recorded by another delivery
    reply_due = not message.from_me and message.kind != "reaction" and conversation.owner == Conversation.Owner.BOT
    _conversation_advance(conversation, message, now=now, reply_due=reply_due)
    conversation.save()
    if created:
        recorded.conversation = conversation  # saved now: the message takes its id
        recorded.save()
    else:
        customer.last_interaction_at = now
        customer.save(update_fields=["last_interaction_at"])
    with log_context(conversation=conversation.pk):
        message_fact_record(message=recorded, new_conversation=created)
        message_received_emit(message=recorded)
        if message.media_id:
            from ..tasks import media_download_task

            on_commit_in_this_schema(lambda: media_download_task.delay(recorded.pk))
        if reply_due:  # queued before the dashboards hear of it: the customer waits on the reply, not on them
            _reply_handlers_run(conversation, recorded)
        on_commit_in_this_schema(lambda: message_announce(recorded, event="message.received"))
    return "recorded"


def _message_build(*, conversation: Conversation, channel_id: int, message: InboundMessage) -> Message:
    recorded = Message(
        conversation=conversation,
        channel_id=channel_id,
        direction=Message.Direction.OUTBOUND if message.from_me else Message.Direction.INBOUND,
        sender_kind=Message.SenderKind.STAFF if message.from_me else Message.SenderKind.CUSTOMER,
        sent_by="WhatsApp (phone)" if message.from_me else "",
        kind=message.kind,
        text=message.text,
        data=message.data
        | ({"mime": message.media_mime} if message.media_mime else {})
        | ({"media_id": message.media_id} if message.media_id else {}),
        provider_message_id=message.provider_message_id,
        reply_to_provider_id=message.reply_to,
        status=Message.Status.SENT if message.from_me else Message.Status.RECEIVED,
        status_rank=Message.STATUS_RANK["sent" if message.from_me else "received"],
        provider_timestamp=message.timestamp,
    )
    if message.media_base64:
        extension = (message.media_mime.split("/")[-1].split(";")[0] or "bin")[:8]
        recorded.media.save(
            f"{message.provider_message_id}.{extension}",
            ContentFile(base64.b64decode(message.media_base64)),
            save=False,
        )
    return recorded


def _conversation_advance(
    conversation: Conversation, message: InboundMessage, *, now: datetime, reply_due: bool
) -> None:
    conversation.last_message_at = max(filter(None, [conversation.last_message_at, message.timestamp]))
    if sender_is_address_upgrade(conversation, message):
        conversation.address = _address(message)
    if message.from_me:
        conversation.owner = Conversation.Owner.HUMAN
        conversation.owner_changed_at = now
        conversation.handover_reason = "staff replied from the phone"
        conversation.reply_due_at = None
    else:
        conversation.last_inbound_at = message.timestamp
        conversation.unread_count = 1 if conversation.pk is None else F("unread_count") + 1
    if reply_due:  # written with the conversation's own update: `reply_needed` without its query
        conversation.reply_due_at = _reply_due_at(now)


def _conversation_locked(customer, channel_id: int, *, address: str) -> Conversation:
    conversation = Conversation.objects.select_for_update().filter(customer=customer, channel_id=channel_id).first()
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(customer=customer, channel_id=channel_id, address=address)
    except IntegrityError:  # a concurrent delivery created it first
        return Conversation.objects.select_for_update().get(customer=customer, channel_id=channel_id)


def sender_is_address_upgrade(conversation: Conversation, message: InboundMessage) -> bool:
    # Prefer sending to the phone once we learn it (a LID-only chat gets its phone).
    return bool(message.sender.phone) and conversation.address != message.sender.phone


def message_status_apply(*, channel_id: int, update: StatusUpdate) -> str:
    """Move a sent message's status forward; an older status arriving late
    changes nothing (one UPDATE whose condition is the order)."""
    rank = Message.STATUS_RANK[update.status]
    changed = Message.objects.filter(
        channel_id=channel_id, provider_message_id=update.provider_message_id, status_rank__lt=rank
    ).update(status=update.status, status_rank=rank, error=update.error[:300])
    if changed:
        message = Message.objects.filter(channel_id=channel_id, provider_message_id=update.provider_message_id).first()
        on_commit_in_this_schema(lambda: message_announce(message, event="message.status"))
    return "status" if changed else "stale status"


# The agents fill this in; until then a due reply is only recorded.
REPLY_NEEDED_HANDLERS: list = []


def reply_needed(*, conversation: Conversation, message: Message) -> None:
    """A customer wrote: a reply is due (after a short pause, so a burst of
    messages gets one answer) unless a person owns the conversation."""
    if conversation.owner != Conversation.Owner.BOT:
        return
    Conversation.objects.filter(pk=conversation.pk).update(reply_due_at=_reply_due_at(timezone.now()))
    _reply_handlers_run(conversation, message)


def _reply_due_at(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.OXY_REPLY_DEBOUNCE_S)


def _reply_handlers_run(conversation: Conversation, message: Message) -> None:
    for handler in REPLY_NEEDED_HANDLERS:
        handler(conversation=conversation, message=message)
