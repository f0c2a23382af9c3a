"""Who answers a conversation: the bot, a person who took it over, or
nobody (paused). Every change is announced to the shop's dashboards."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from analytics.services import conversation_handover_record
from oxy.realtime import dashboard_event_send
from oxy.schemas import on_commit_in_this_schema
from tenants.integrations.services.events import handover_event_emit
from tenants.shop.services import Actor, audit_record

from ..models import Conversation, Message
from .inbound import reply_needed

logger = logging.getLogger(__name__)


@transaction.atomic
def conversation_hand_over(
    *, conversation_id: int, actor: Actor, reason: str, assignee=None, at: datetime | None = None
) -> Conversation:  # fmt: skip
    """A person answers from now on (the AI asked for one, or staff took it
    over); the bot stays silent until handed back."""
    conversation = _owner_change(_locked(conversation_id), owner=Conversation.Owner.HUMAN, reason=reason,
                                 actor=actor, action="conversation.hand_over", assignee=assignee, at=at)  # fmt: skip
    handover_event_emit(conversation=conversation)
    return conversation


@transaction.atomic
def conversation_take_over(*, conversation_id: int, actor: Actor, assignee=None) -> Conversation:
    reason = f"taken over by {actor.label}"
    return _owner_change(_locked(conversation_id), owner=Conversation.Owner.HUMAN, reason=reason, actor=actor,
                         action="conversation.take_over", assignee=assignee)  # fmt: skip


@transaction.atomic
def conversation_pause(*, conversation_id: int, actor: Actor) -> Conversation:
    """Nobody answers automatically (a person will, when they can)."""
    return _owner_change(_locked(conversation_id), owner=Conversation.Owner.PAUSED, reason=f"paused by {actor.label}",
                         actor=actor, action="conversation.pause")  # fmt: skip


@transaction.atomic
def conversation_hand_back(*, conversation_id: int, actor: Actor) -> Conversation:
    """The bot answers again, starting with whatever the customer wrote
    that nobody answered."""
    conversation = _locked(conversation_id)
    if conversation.owner == Conversation.Owner.BOT:
        return conversation
    _owner_change(conversation, owner=Conversation.Owner.BOT, reason=f"handed back by {actor.label}", actor=actor,
                  action="conversation.hand_back")  # fmt: skip
    last = conversation.messages.exclude(kind="reaction").order_by("-created_at", "-id").first()
    if last is not None and last.direction == Message.Direction.INBOUND:
        reply_needed(conversation=conversation, message=last)
    return conversation


def _locked(conversation_id: int) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation_id)


def _owner_change(
    conversation: Conversation, *, owner: str, reason: str, actor: Actor, action: str, assignee=None,
    at: datetime | None = None,
) -> Conversation:  # fmt: skip
    at = at or timezone.now()
    conversation.owner, conversation.owner_changed_at = owner, at
    conversation.handover_reason, conversation.assignee = reason[:200], assignee
    if owner != Conversation.Owner.BOT:
        conversation.reply_due_at = None
    conversation.save(update_fields=["owner", "owner_changed_at", "handover_reason", "assignee", "reply_due_at"])
    if owner == Conversation.Owner.HUMAN:
        conversation_handover_record(conversation_id=conversation.pk, at=at)
    audit_record(actor=actor, action=action, target=f"conversation:{conversation.pk}")
    data = {"conversation": conversation.pk, "owner": owner, "reason": conversation.handover_reason,
            "assignee": conversation.assignee_id}  # fmt: skip
    on_commit_in_this_schema(lambda: announce_conversation(data))
    return conversation


def announce_conversation(data: dict) -> None:
    try:
        dashboard_event_send(event="conversation.updated", data=data)
    except Exception:  # noqa: BLE001 - saved; a dashboard reload shows it
        logger.warning("dashboard event for conversation %s not sent", data["conversation"])
