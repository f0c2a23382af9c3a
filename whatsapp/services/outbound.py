"""Sending: a message row first (status queued), then the `outbound` queue
sends it, at most once, however workers crash or retry."""

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.services import message_fact_record
from oxy.raw_rows import columns_sql, model_from_columns
from oxy.redis_client import redis_client
from oxy.schemas import on_commit_in_this_schema

from ..models import Channel, Conversation, Message
from ..providers import provider_for
from ..providers.base import ProviderError
from .announce import message_announce

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)


class SendRefused(Exception):
    """The message cannot be sent (and will not be retried)."""


def message_outbound_create(
    *,
    conversation: Conversation,
    text: str,
    sender_kind: str,
    sent_by: str = "",
    kind: str = "text",
    data: dict | None = None,
    conversation_changes: dict | None = None,
) -> Message:
    """Queue a message to the customer; it is sent after the transaction
    commits. `conversation_changes`: more of the conversation's fields to
    write in the same UPDATE as its `last_message_at`."""
    if not text.strip() and kind == "text":
        raise SendRefused(_("The message is empty."))
    if conversation.channel.provider == "cloud" and not _window_open(conversation):
        raise SendRefused(
            _("More than 24 hours since the customer last wrote: WhatsApp only allows an approved template now.")
        )
    message = Message.objects.create(
        conversation=conversation, channel=conversation.channel, direction=Message.Direction.OUTBOUND,
        sender_kind=sender_kind, sent_by=sent_by, kind=kind, text=text, data=data or {},
        status=Message.Status.QUEUED, status_rank=Message.STATUS_RANK["queued"], queued_at=timezone.now(),
    )  # fmt: skip
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=message.created_at, **(conversation_changes or {})
    )
    message_fact_record(message=message)
    on_commit_in_this_schema(lambda: _send_enqueue(message.pk))
    on_commit_in_this_schema(lambda: message_announce(message, event="message.created"))
    return message


def _send_enqueue(message_id: int) -> None:
    from ..tasks import send_message_task

    try:
        send_message_task.delay(message_id)
    except Exception:  # noqa: BLE001 - any broker failure: the message is saved, the sweeper sends it
        logger.warning("message %s not queued (broker unavailable); the outbound sweeper will", message_id)


def _window_open(conversation: Conversation) -> bool:
    return conversation.last_inbound_at is not None and timezone.now() - conversation.last_inbound_at < WINDOW


def _throttle_wait(channel: Channel) -> float:
    """Seconds to wait before this channel may send again (a fixed window per
    minute, shared by every worker through Redis); 0 when it may send now."""
    client = redis_client()
    window = int(timezone.now().timestamp() // 60)
    key = f"{settings.OXY_REDIS_PREFIX}:throttle:{connection.schema_name}:{channel.pk}:{window}"
    count, _ = client.pipeline().incr(key).expire(key, 120).execute()
    if count <= channel.sends_per_minute:
        return 0.0
    client.decr(key)
    return 60 - timezone.now().timestamp() % 60 + random.uniform(0, 2)  # noqa: S311 - jitter


def message_send(*, message_id: int) -> str:
    """Send one queued message. Returns what happened; raises ProviderError
    when a retry may help, after recording the attempt.

    The message is marked `sending` (committed) before the provider call. A
    message found `sending` is either in another worker's hands (left alone)
    or, once stale, was left by a worker that died mid-send. After any earlier
    attempt (died, timed out, refused) the provider may have sent it already:
    ask it first, so nothing is sent twice.
    """
    message = _send_claim(message_id)
    if message is None:
        status = Message.objects.filter(pk=message_id).values_list("status", flat=True).first()
        return "in progress" if status == Message.Status.SENDING else "already sent"
    wait = _throttle_wait(message.channel)
    if wait:  # not this minute: back in the queue, as if never claimed
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=Message.Status.QUEUED, queued_at=timezone.now(), send_attempts=F("send_attempts") - 1
        )
        return f"throttled:{wait:.1f}"
    tried_before = message.send_attempts > 1

    client = provider_for(message.channel)
    to = message.to_address
    if tried_before:
        already = client.find_sent(to=to, text=message.text, since=message.created_at - timedelta(seconds=5))
        taken = set(
            Message.objects.filter(channel=message.channel, provider_message_id__in=already).values_list(
                "provider_message_id", flat=True
            )
        )
        unclaimed = [provider_id for provider_id in already if provider_id not in taken]
        if unclaimed:
            _mark_sent(message, unclaimed[0])
            return "sent (recovered)"
    try:
        if message.kind == "text":
            result = client.send_text(to=to, text=message.text, reply_to=message.reply_to_provider_id)
        else:
            result = client.send_media(to=to, kind=message.kind, url=message.data.get("url", ""), caption=message.text,
                                       filename=message.data.get("filename", ""))  # fmt: skip
    except ProviderError as exc:
        if not exc.retryable:
            message_fail(message_id=message.pk, reason=str(exc))
            return "failed"
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=Message.Status.QUEUED, queued_at=timezone.now(), error=str(exc)[:300]
        )
        raise
    _mark_sent(message, result.provider_message_id)
    return "sent"


def _stale_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.OXY_OUTBOUND_STALE_S)


# The claim is the UPDATE's condition: of two workers holding the same
# message, one moves it to `sending` (committed at once); the other finds
# nothing left to claim. It returns what the send needs (the message, its
# channel, the address), so claiming and reading are one statement.
_SEND_CLAIM = f"""
WITH claimed AS (
    UPDATE {Message._meta.db_table}
    SET status = %(sending)s, sending_started_at = %(now)s, send_attempts = send_attempts + 1
    WHERE id = %(id)s AND (status = %(queued)s OR (status = %(sending)s AND (sending_started_at IS NULL
                                                                          OR sending_started_at < %(stale)s)))
    RETURNING *
)
SELECT claimed.*, conversation.address AS to_address, {columns_sql(Channel, table="channel", prefix="channel__")}
FROM claimed
JOIN {Conversation._meta.db_table} conversation ON conversation.id = claimed.conversation_id
JOIN {Channel._meta.db_table} channel ON channel.id = claimed.channel_id
"""  # noqa: S608 - table and column names come from the models


def _send_claim(message_id: int) -> Message | None:
    """The message, now `sending`, with its `channel` and `to_address`; None
    when it is sent already or in another worker's hands."""
    params = {"id": message_id, "now": timezone.now(), "stale": _stale_before(),
              "queued": Message.Status.QUEUED, "sending": Message.Status.SENDING}  # fmt: skip
    message = next(iter(Message.objects.raw(_SEND_CLAIM, params)), None)
    if message is not None:
        message.channel = model_from_columns(Channel, message.__dict__, prefix="channel__")
    return message


def _stale_sends() -> QuerySet[Message]:
    return Message.objects.filter(status=Message.Status.SENDING, sending_started_at__lt=_stale_before())


# Longer than any retry's countdown (5 min) and the throttle's (1 min): a
# queued message untouched for this long has no task waiting for it.
LOST_AFTER = timedelta(minutes=10)


def stale_sends_requeue() -> int:
    """Queue again, in this shop, the sends a dead worker left `sending` and
    the queued messages whose task was lost (the broker was down at commit)."""
    from ..tasks import send_message_task

    lost = Message.objects.filter(status=Message.Status.QUEUED, queued_at__lt=timezone.now() - LOST_AFTER)
    stale = list(_stale_sends().values_list("pk", flat=True)[:1000]) + list(lost.values_list("pk", flat=True)[:1000])
    Message.objects.filter(pk__in=stale).update(queued_at=timezone.now())
    for message_id in stale:
        send_message_task.delay(message_id)
    return len(stale)


def _mark_sent(message: Message, provider_message_id: str) -> None:
    rank = Message.STATUS_RANK["sent"]
    moved = Message.objects.filter(pk=message.pk, status_rank__lt=rank).update(
        status=Message.Status.SENT, status_rank=rank, provider_message_id=provider_message_id, error=""
    )
    if moved:  # the row now says what this object is told (no re-read on the sending path)
        message.status, message.status_rank, message.error = Message.Status.SENT, rank, ""
        on_commit_in_this_schema(lambda: message_announce(message, event="message.status"))
    else:  # a status webhook raced ahead of us: keep the later status, still record the id
        Message.objects.filter(pk=message.pk, provider_message_id__isnull=True).update(
            provider_message_id=provider_message_id
        )


def message_fail(*, message_id: int, reason: str) -> None:
    rank = Message.STATUS_RANK["failed"]
    moved = Message.objects.filter(pk=message_id, status_rank__lt=rank).update(
        status=Message.Status.FAILED, status_rank=rank, error=reason[:300]
    )
    message = Message.objects.filter(pk=message_id).first() if moved else None
    if message is not None:
        on_commit_in_this_schema(lambda: message_announce(message, event="message.status"))
