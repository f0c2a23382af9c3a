"""Reads for a reply turn: what it answers and what decides who answers,
in as few queries as a turn can afford (one runs per customer message)."""

from datetime import datetime, timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, JSONObject

from bookings.models import Booking, Pet
from tenants.shop.models import OwnerNumber, ShopSettings
from whatsapp.models import Conversation, Message

from .attendant import HISTORY_MESSAGES
from .models import AIInteraction


def conversation_for_turn(*, conversation_id: int, now: datetime) -> Conversation:
    """The conversation with its customer and channel; what the prompt says
    of the customer: `customer_pets` and `customer_bookings` (of the last 30
    days and upcoming, at most 8), as dicts; whether the shop's owner writes
    (`from_owner`: Aurora answers); `customer_turns_last_minute` (how many
    turns the LLM answered them in the last minute, for the per-minute cap);
    and the shop's `assistant_name` (None until the shop has settings)."""
    pets = Pet.objects.filter(customer=OuterRef("customer")).order_by("name", "pk")
    month_ago = now - timedelta(days=30)
    bookings = Booking.objects.filter(customer=OuterRef("customer"), start__gte=month_ago).order_by("start")
    turns = (
        AIInteraction.objects.filter(
            conversation__customer=OuterRef("customer"),
            agent=AIInteraction.Agent.CUSTOMER,
            created_at__gte=now - timedelta(minutes=1),
        )
        .order_by()
        .values("agent")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Conversation.objects.select_related("customer", "channel")
        .annotate(
            from_owner=Exists(OwnerNumber.objects.filter(phone=OuterRef("customer__phone"))),
            customer_turns_last_minute=Coalesce(Subquery(turns, output_field=IntegerField()), Value(0)),
            assistant_name=Subquery(ShopSettings.objects.values("assistant_name")[:1]),
            customer_pets=ArraySubquery(
                pets.values(json=JSONObject(id="pk", name="name", species="species", size="size"))
            ),
            customer_bookings=ArraySubquery(
                bookings.values(json=JSONObject(id="pk", service="service__name", start="start", status="status"))[:8]
            ),
        )
        .get(pk=conversation_id)
    )


def recent_messages(*, conversation: Conversation) -> list[Message]:
    """The conversation's latest messages, newest first: what the turn
    answers, the offers it showed, and the history the model reads. Each
    says whether a turn `answered` it already."""
    return list(
        conversation.messages.exclude(kind="reaction")
        .annotate(answered=Exists(AIInteraction.objects.filter(answers_message=OuterRef("pk"))))
        .order_by("-created_at", "-id")[:HISTORY_MESSAGES]
    )
