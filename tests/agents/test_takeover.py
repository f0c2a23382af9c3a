"""A person takes a conversation over, the bot goes quiet, and it comes back
when handed back (the button) or when the person has been idle too long."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from agents.models import AgentSettings
from agents.services import idle_conversations_hand_back
from tenants.shop.models import AuditEntry
from tests.agents.conftest import NOW, bot_texts, customer_says, reply_turn
from tests.conftest import ALPHA, login
from whatsapp.models import Conversation
from whatsapp.services.outbound import message_outbound_create


@pytest.fixture
def attendant_client(alpha, alpha_client):
    get_user_model().objects.create_user(email="ana@alpha.test", password="ana-attendant-1", role="attendant")
    return login(alpha_client, alpha, email="ana@alpha.test", password="ana-attendant-1")


def post(client, conversation: Conversation, action: str):
    return client.post(f"/api/v1/conversations/{conversation.pk}/{action}/", content_type="application/json")


def test_an_attendant_takes_over_replies_and_hands_back_to_the_bot(shop, attendant_client):
    conversation = customer_says(shop, "oi, quanto custa o banho?")

    taken = post(attendant_client, conversation, "take-over")

    assert taken.status_code == 200
    assert taken.json()["owner"] == "human"
    assert reply_turn(conversation) == "a person owns it"
    assert bot_texts(conversation) == []

    # the customer writes again while the person owns it: still silence from the bot
    conversation = customer_says(shop, "alô?", at=NOW + timedelta(minutes=1))
    conversation.refresh_from_db()
    assert conversation.reply_due_at is None

    handed_back = post(attendant_client, conversation, "hand-back")
    assert handed_back.json()["owner"] == "bot"
    # what the customer wrote meanwhile gets answered by the bot now
    assert reply_turn(conversation, at=NOW + timedelta(minutes=2)) == "replied"
    assert "R$" in bot_texts(conversation)[0]
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"conversation.take_over", "conversation.hand_back"} <= actions


def test_a_paused_conversation_gets_no_bot_reply(shop, attendant_client):
    conversation = customer_says(shop, "oi")

    assert post(attendant_client, conversation, "pause").json()["owner"] == "paused"
    assert reply_turn(conversation) == "a person owns it"
    assert bot_texts(conversation) == []


def test_another_shop_can_neither_take_over_nor_hand_back(shop, alpha, beta, beta_client):
    conversation = customer_says(shop, "oi")
    with tenant_context(beta):
        get_user_model().objects.create_user(email="manager@beta.test", password="beta-manager-1", role="manager")
    login(beta_client, beta, email="manager@beta.test", password="beta-manager-1")

    assert post(beta_client, conversation, "take-over").status_code == 404
    assert post(beta_client, conversation, "pause").status_code == 404
    with tenant_context(alpha):
        conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.BOT


def test_without_a_login_nobody_takes_over(shop, alpha_client):
    conversation = customer_says(shop, "oi")

    assert post(alpha_client, conversation, "take-over").status_code in {401, 403}


def test_the_bot_takes_back_a_conversation_the_person_left_idle(shop, alpha):
    AgentSettings.objects.create(handback_idle_minutes=30)
    idle = customer_says(shop, "oi")
    Conversation.objects.filter(pk=idle.pk).update(
        owner=Conversation.Owner.HUMAN, owner_changed_at=NOW - timedelta(minutes=45)
    )
    # another customer, whose person answered ten minutes ago, keeps their person
    other = customer_says(shop, "bom dia", phone="+5511955550003")
    Conversation.objects.filter(pk=other.pk).update(
        owner=Conversation.Owner.HUMAN, owner_changed_at=NOW - timedelta(minutes=45)
    )
    with time_machine.travel(NOW - timedelta(minutes=10), tick=False):
        message_outbound_create(conversation=other, text="Já vejo para você!", sender_kind="staff", sent_by="ana")

    with time_machine.travel(NOW, tick=False):
        assert idle_conversations_hand_back(now=NOW) == 1

    idle.refresh_from_db()
    other.refresh_from_db()
    assert idle.owner == Conversation.Owner.BOT
    assert "30 min" in idle.handover_reason
    assert other.owner == Conversation.Owner.HUMAN


def test_an_idle_time_of_zero_never_hands_back(shop):
    AgentSettings.objects.create(handback_idle_minutes=0)
    conversation = customer_says(shop, "oi")
    Conversation.objects.filter(pk=conversation.pk).update(
        owner=Conversation.Owner.HUMAN, owner_changed_at=NOW - timedelta(days=3)
    )

    assert idle_conversations_hand_back(now=NOW) == 0


def test_the_idle_sweep_runs_in_every_shop_and_only_touches_its_own(shop, alpha, beta):
    from agents.tasks import idle_conversations_hand_back_all_tenants_task

    conversation = customer_says(shop, "oi")
    Conversation.objects.filter(pk=conversation.pk).update(
        owner=Conversation.Owner.HUMAN, owner_changed_at=NOW - timedelta(hours=2)
    )
    with time_machine.travel(NOW, tick=False):
        assert idle_conversations_hand_back_all_tenants_task.apply().get() == {ALPHA.slug: 1}
