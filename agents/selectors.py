"""Reads for a reply turn: what it answers and what decides who answers,
in as few queries as a turn can afford (one runs per customer message).

The turn's extras are SQL written out inside the ORM's read: Django
compiles subquery expressions anew on every call, which made this read cost
9.3 ms of CPU; written out, it costs 3.2 ms (measured). They name the outer
query's tables as Django does: `whatsapp_conversation` and the
`bookings_customer` that `select_related` joins, `whatsapp_message` in
`recent_messages`."""

from datetime import datetime, timedelta

from django.db.models import BooleanField, CharField, IntegerField, JSONField
from django.db.models.expressions import RawSQL

from analytics.selectors import month_ai_spend_column
from oxy.raw_rows import model_from_columns
from whatsapp.models import Conversation, Message

from .attendant import HISTORY_MESSAGES
from .models import AgentSettings, AIInteraction

# The customer's pets, and their bookings of the last 30 days and upcoming
# (at most 8), as JSON lists.
_PETS = """SELECT coalesce(jsonb_agg(jsonb_build_object('id', pet.id, 'name', pet.name, 'species', pet.species,
                                                     'size', pet.size) ORDER BY pet.name, pet.id), '[]'::jsonb)
           FROM bookings_pet pet WHERE pet.customer_id = whatsapp_conversation.customer_id"""
_BOOKINGS = """SELECT coalesce(jsonb_agg(jsonb_build_object('id', booking.id, 'service', booking.service,
                                                         'start', booking.start, 'status', booking.status)
                                       ORDER BY booking.start), '[]'::jsonb)
               FROM (SELECT booking.id, service.name AS service, booking.start, booking.status
                     FROM bookings_booking booking JOIN bookings_service service ON service.id = booking.service_id
                     WHERE booking.customer_id = whatsapp_conversation.customer_id AND booking.start >= %s
                     ORDER BY booking.start LIMIT 8) booking"""
_TURNS_LAST_MINUTE = """SELECT count(*) FROM agents_aiinteraction turn
                        JOIN whatsapp_conversation turn_conversation ON turn_conversation.id = turn.conversation_id
                        WHERE turn_conversation.customer_id = whatsapp_conversation.customer_id
                          AND turn.agent = %s AND turn.created_at >= %s"""
_FROM_OWNER = "EXISTS (SELECT 1 FROM shop_ownernumber owner WHERE owner.phone = bookings_customer.phone)"
_ASSISTANT_NAME = "SELECT assistant_name FROM shop_shopsettings LIMIT 1"
# What a turn reads of the shop's agent settings (one row at most); the cap
# as text, so it stays a decimal.
_AGENT_SETTINGS = """SELECT jsonb_build_object('id', s.id, 'model', s.model, 'base_url', s.base_url,
                                              'api_key', s.api_key, 'monthly_cap_usd', s.monthly_cap_usd::text,
                                              'customer_turns_per_minute', s.customer_turns_per_minute,
                                              'attendant_paused_at', s.attendant_paused_at)
                     FROM agents_agentsettings s"""
_ANSWERED = "EXISTS (SELECT 1 FROM agents_aiinteraction turn WHERE turn.answers_message_id = whatsapp_message.id)"


def conversation_for_turn(*, conversation_id: int, now: datetime) -> Conversation:
    """The conversation with its customer and channel; what the prompt says
    of the customer: `customer_pets` and `customer_bookings`, as dicts;
    whether the shop's owner writes (`from_owner`: Aurora answers);
    `customer_turns_last_minute` (how many turns the LLM answered them in the
    last minute, for the per-minute cap); the shop's `assistant_name` (None
    until the shop has settings); `month_ai_spend`, this shop-local month's
    model spend so far (US dollars, for the monthly cap); and the shop's
    `agent_settings` (None until it has them), with what a turn reads of
    them: model, URL, key, cap, turns a minute, paused."""
    minute_ago = now - timedelta(minutes=1)
    conversation = (
        Conversation.objects.select_related("customer", "channel")
        .annotate(
            from_owner=RawSQL(_FROM_OWNER, [], output_field=BooleanField()),
            customer_turns_last_minute=RawSQL(
                _TURNS_LAST_MINUTE, [AIInteraction.Agent.CUSTOMER, minute_ago], output_field=IntegerField()
            ),
            assistant_name=RawSQL(_ASSISTANT_NAME, [], output_field=CharField()),
            customer_pets=RawSQL(_PETS, [], output_field=JSONField()),
            customer_bookings=RawSQL(_BOOKINGS, [now - timedelta(days=30)], output_field=JSONField()),
            month_ai_spend=month_ai_spend_column(now=now),
            agent_settings_columns=RawSQL(_AGENT_SETTINGS, [], output_field=JSONField()),
        )
        .get(pk=conversation_id)
    )
    columns = conversation.agent_settings_columns
    conversation.agent_settings = model_from_columns(AgentSettings, columns) if columns else None
    return conversation


def recent_messages(*, conversation: Conversation) -> list[Message]:
    """The conversation's latest messages, newest first: what the turn
    answers, the offers it showed, and the history the model reads. Each
    says whether a turn `answered` it already."""
    return list(
        conversation.messages.exclude(kind="reaction")
        .annotate(answered=RawSQL(_ANSWERED, [], output_field=BooleanField()))
        .order_by("-created_at", "-id")[:HISTORY_MESSAGES]
    )
