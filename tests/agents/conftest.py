"""The agents' tests share a connected sandbox channel of alpha, a loopback
OpenAI-compatible server, and a customer who writes and gets answered."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_tenants.utils import tenant_context

from agents.services import conversation_reply
from tests.fakes import FakeOpenAI
from tests.fixtures.whatsapp import connected_sandbox_channel
from whatsapp.inbox.models import InboundEvent
from whatsapp.models import Channel, Conversation
from whatsapp.services.inbound import inbound_event_process
from whatsapp.simulator import simulator_message_send

# Monday 2030-03-04 10:00 in São Paulo.
NOW = datetime(2030, 3, 4, 13, 0, tzinfo=UTC)
PHONE = "+5511955550001"


@pytest.fixture
def shop(alpha):
    with tenant_context(alpha):
        channel, _route = connected_sandbox_channel("Balcão")
        yield channel


@pytest.fixture
def llm(settings):
    with FakeOpenAI(api_key="shop-key") as fake:
        settings.OXY_LLM_API_KEY, settings.OXY_LLM_BASE_URL = "shop-key", f"{fake.base_url}/v1"
        settings.OXY_LLM_MAX_RETRIES = 0
        yield fake


def customer_says(channel: Channel, text: str, at: datetime = NOW, phone: str = PHONE) -> Conversation:
    with time_machine.travel(at, tick=False):
        simulator_message_send(channel=channel, phone=phone, text=text, name="Rita")
        for event_id in InboundEvent.objects.filter(status="pending").values_list("pk", flat=True):
            inbound_event_process(event_id=event_id)
    return Conversation.objects.get(channel=channel, customer__phone=phone)


def reply_turn(conversation: Conversation, at: datetime = NOW) -> str:
    """What the reply task does once the pause after the last message is over."""
    later = at + timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        return conversation_reply(conversation_id=conversation.pk, now=later)


def bot_texts(conversation: Conversation) -> list[str]:
    return list(
        conversation.messages.filter(sender_kind="bot").order_by("created_at", "id").values_list("text", flat=True)
    )
