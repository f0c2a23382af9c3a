"""Reads for a reply turn: what it answers and what decides who answers,
in as few queries as a turn can afford (one runs per customer message).

Both reads are SQL written out, run through `raw()`: Django compiles a
queryset anew on every call, and compiling these two (their joins, their
subqueries, 43 columns) cost more CPU than PostgreSQL spends running them.
Written out, the turn's read went from 3.9 ms of CPU (the same SQL as
annotations on the ORM's read) to 2.3, and the messages' from 5.0 to 2.9
(measured on one machine, 100 calls each). The extras
name the outer tables as the reads do: `whatsapp_conversation`,
`bookings_customer`, `whatsapp_message`."""

import json
from datetime import datetime, timedelta

from analytics.selectors import MONTH_AI_SPEND, month_ai_spend_params
from bookings.models import Customer
from oxy.raw_rows import columns_sql, model_from_columns
from whatsapp.models import Channel, Conversation, Message

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


# The turn's read: the conversation, its customer and channel, and the extras.
_TURN_READ = f"""
SELECT whatsapp_conversation.*, {columns_sql(Customer, table="bookings_customer", prefix="customer__")},
       {columns_sql(Channel, table="whatsapp_channel", prefix="channel__")},
       {_FROM_OWNER} AS from_owner, ({_TURNS_LAST_MINUTE}) AS customer_turns_last_minute,
       ({_ASSISTANT_NAME}) AS assistant_name, ({_PETS}) AS customer_pets, ({_BOOKINGS}) AS customer_bookings,
       ({MONTH_AI_SPEND}) AS month_ai_spend, ({_AGENT_SETTINGS}) AS agent_settings
FROM whatsapp_conversation
JOIN bookings_customer ON bookings_customer.id = whatsapp_conversation.customer_id
JOIN whatsapp_channel ON whatsapp_channel.id = whatsapp_conversation.channel_id
WHERE whatsapp_conversation.id = %s
"""  # noqa: S608 - table and column names come from the models


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
    params = [AIInteraction.Agent.CUSTOMER, now - timedelta(minutes=1), now - timedelta(days=30),
              *month_ai_spend_params(now=now), conversation_id]  # fmt: skip
    conversation = next(iter(Conversation.objects.raw(_TURN_READ, params)), None)
    if conversation is None:
        raise Conversation.DoesNotExist(f"conversation {conversation_id}")
    columns = conversation.__dict__
    conversation.customer = model_from_columns(Customer, columns, prefix="customer__")
    conversation.channel = model_from_columns(Channel, columns, prefix="channel__")
    # JSON columns outside a model field arrive as text.
    conversation.customer_pets = json.loads(conversation.customer_pets)
    conversation.customer_bookings = json.loads(conversation.customer_bookings)
    settings = conversation.agent_settings
    conversation.agent_settings = model_from_columns(AgentSettings, json.loads(settings)) if settings else None
    return conversation


# A turn's messages, newest first, each saying whether a turn answered it.
_RECENT_MESSAGES = f"""
SELECT whatsapp_message.*, {_ANSWERED} AS answered
FROM whatsapp_message
WHERE whatsapp_message.conversation_id = %s AND whatsapp_message.kind <> 'reaction'
ORDER BY whatsapp_message.created_at DESC, whatsapp_message.id DESC
LIMIT {HISTORY_MESSAGES}
"""  # noqa: S608


def recent_messages(*, conversation: Conversation) -> list[Message]:
    """The conversation's latest messages, newest first: what the turn
    answers, the offers it showed, and the history the model reads. Each
    says whether a turn `answered` it already."""
    return list(Message.objects.raw(_RECENT_MESSAGES, [conversation.pk]))
