"""Telling the shop's open dashboards that a message arrived, was queued or
changed status. A dashboard that misses one reloads what it shows, so a
failure to announce is logged, never raised: the message itself is saved."""

import logging

from oxy.realtime import dashboard_event_send

from ..models import Message

logger = logging.getLogger(__name__)


def message_announce(message: Message, *, event: str) -> None:
    data = {"conversation": message.conversation_id, "message": message.pk, "direction": message.direction,
            "sender": message.sender_kind, "status": message.status}  # fmt: skip
    if event == "message.received":
        data |= {"kind": message.kind, "text": message.text[:500]}
    elif event == "message.status":
        data |= {"error": message.error}
    try:
        dashboard_event_send(event=event, data=data)
    except Exception:  # noqa: BLE001
        logger.warning("dashboard event %s for message %s not sent", event, message.pk)
