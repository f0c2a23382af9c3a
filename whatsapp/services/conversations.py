"""Who answers a conversation: the bot, a person who took it over, or
nobody (paused). Every change is announced to the shop's dashboards."""

import logging

from django.db import transaction
from django.utils import timezone

from analytics.services import conversation_handover_record
from oxy.realtime import dashboard_event_send
from oxy.schemas import on_commit_in_this_schema
from tenants.shop.services import Actor, audit_record

from ..models import Conversation, Message
from .inbound import reply_needed

logger = logging.getLogger(__name__)


@transaction.atomic
def conversation_take_over(*, conversation_id: int, actor: Actor, assignee=None) -> Conversation:
    """A person answers from now on; the bot stays silent until handed back."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    now = timezone.now()
    conversation.owner = Conversation.Owner.HUMAN
    conversation.owner_changed_at = now
    conversation.handover_reason = f"taken over by {actor.label}"[:200]
    conversation.assignee = assignee
    conversation.reply_due_at = None
    conversation.save(update_fields=["owner", "owner_changed_at", "handover_reason", "assignee", "reply_due_at"])
    conversation_handover_record(conversation_id=conversation.pk, at=now)
    _changed(conversation, actor=actor, action="conversation.take_over")
    return conversation


@transaction.atomic
def conversation_pause(*, conversation_id: int, actor: Actor) -> Conversation:
    """Nobody answers automatically (a person will, when they can)."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    conversation.owner = Conversation.Owner.PAUSED
    conversation.owner_changed_at = timezone.now()
    conversation.handover_reason = f"paused by {actor.label}"[:200]
    conversation.reply_due_at = None
    conversation.save(update_fields=["owner", "owner_changed_at", "handover_reason", "reply_due_at"])
    _changed(conversation, actor=actor, action="conversation.pause")
    return conversation


@transaction.atomic
def conversation_hand_back(*, conversation_id: int, actor: Actor) -> Conversation:
    """The bot answers again, starting with whatever the customer wrote
    that nobody answered."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.owner == Conversation.Owner.BOT:
        return conversation
    conversation.owner = Conversation.Owner.BOT
    conversation.owner_changed_at = timezone.now()
    conversation.handover_reason = f"handed back by {actor.label}"[:200]
    conversation.assignee = None
    conversation.save(update_fields=["owner", "owner_changed_at", "handover_reason", "assignee"])
    last = conversation.messages.exclude(kind="reaction").order_by("-created_at", "-id").first()
    if last is not None and last.direction == Message.Direction.INBOUND:
        reply_needed(conversation=conversation, message=last)
    _changed(conversation, actor=actor, action="conversation.hand_back")
    return conversation


def _changed(conversation: Conversation, *, actor: Actor, action: str) -> None:
    audit_record(actor=actor, action=action, target=f"conversation:{conversation.pk}")
    data = {"conversation": conversation.pk, "owner": conversation.owner, "reason": conversation.handover_reason,
            "assignee": conversation.assignee_id}  # fmt: skip

    def send() -> None:
        try:
            dashboard_event_send(event="conversation.updated", data=data)
        except Exception:  # noqa: BLE001 - saved; a dashboard reload shows it
            logger.warning("dashboard owner event for conversation %s not sent", conversation.pk)

    on_commit_in_this_schema(send)
