"""The customer attendant through the real spine: a customer writes in the
simulator, the reply turn runs, and what the customer gets back is checked;
the LLM is a loopback OpenAI-compatible server driven by the real SDK."""

from datetime import timedelta
from decimal import Decimal

from django_tenants.utils import tenant_context

from agents.attendant import MAX_STEPS
from agents.models import AgentSettings, AIInteraction
from analytics.selectors import month_ai_spend
from bookings.models import Booking, Pet, Service
from tests.agents.conftest import NOW, bot_texts, customer_says, reply_turn
from tests.conftest import wait_until
from tests.fakes import FakeOpenAI
from tests.fixtures.whatsapp import connected_sandbox_channel
from whatsapp.inbox.models import InboundEvent
from whatsapp.models import Conversation, Message
from whatsapp.services.inbound import inbound_event_process
from whatsapp.simulator import simulator_message_send


def test_a_full_booking_conversation_with_the_llm(shop, llm):
    conversation = customer_says(shop, "Oi! Quero marcar um banho pro Thor amanhã")
    Pet.objects.create(customer=conversation.customer, name="Thor", species="dog", size="M")
    pet = conversation.customer.pets.get()
    bath = Service.objects.get(category=Service.Category.BATH).pk
    llm.script_tool_calls([("find_free_slots", {"service_id": bath, "day_from": "2030-03-05", "pet_id": pet.pk})])
    llm.script(lambda request: f"Tenho estes horários: {request['messages'][-1]['content'][:40]}")
    assert reply_turn(conversation) == "replied"
    offers = conversation.messages.filter(sender_kind="bot").get().data["offers"]
    assert offers  # the slots shown are remembered with the message

    conversation = customer_says(shop, "O primeiro, pode ser!", at=NOW + timedelta(minutes=2))
    llm.script_tool_calls([("book_offer", {"offer_id": offers[0], "pet_id": pet.pk})])
    llm.script_reply("Agendado! Banho do Thor amanhã. Até lá!")
    assert reply_turn(conversation, at=NOW + timedelta(minutes=2)) == "replied"

    booking = Booking.objects.get()
    assert (booking.pet, booking.source) == (pet, "ai")
    assert bot_texts(conversation)[-1] == "Agendado! Banho do Thor amanhã. Até lá!"
    turn = AIInteraction.objects.order_by("-id").first()
    assert turn.tool_calls[0]["name"] == "book_offer"
    assert turn.prompt_tokens > 0
    assert turn.cost_usd > 0


def test_a_slot_the_customer_never_saw_is_refused(shop, llm):
    conversation = customer_says(shop, "Marca às 10h amanhã")
    Pet.objects.create(customer=conversation.customer, name="Thor", species="dog", size="M")
    llm.script_tool_calls([("book_offer", {"offer_id": "invented-offer"})])
    llm.script(lambda request: "Desculpe: " + request["messages"][-1]["content"])

    assert reply_turn(conversation) == "replied"
    assert not Booking.objects.exists()
    assert "not shown to the customer" in llm.last_messages()[-1]["content"]


def test_while_a_person_owns_the_conversation_the_bot_stays_silent(shop, llm):
    conversation = customer_says(shop, "Oi")
    Conversation.objects.filter(pk=conversation.pk).update(owner=Conversation.Owner.HUMAN)

    assert reply_turn(conversation) == "a person owns it"
    assert bot_texts(conversation) == []
    assert llm.chat_requests == []


def test_three_quick_messages_get_one_answer(shop, llm):
    for second, text in enumerate(["Oi", "tudo bem?", "quanto custa o banho?"]):
        conversation = customer_says(shop, text, at=NOW + timedelta(seconds=second))
    llm.script_reply("Oi Rita! O banho custa a partir de R$ 50.")

    assert reply_turn(conversation, at=NOW + timedelta(seconds=2)) == "replied"
    assert reply_turn(conversation, at=NOW + timedelta(seconds=2)) in {"nothing due", "already answered"}
    assert len(llm.chat_requests) == 1
    assert bot_texts(conversation) == ["Oi Rita! O banho custa a partir de R$ 50."]


def test_the_llm_failing_falls_back_to_the_offline_attendant_and_the_customer_is_answered(shop, llm):
    conversation = customer_says(shop, "quero falar com um atendente")
    llm.fail_next(status=500, path="/v1/chat/completions")

    assert reply_turn(conversation) == "handed_over"

    turn = AIInteraction.objects.get()
    assert (turn.agent, turn.error[:20]) == ("offline", "InternalServerError:")
    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.HUMAN
    assert bot_texts(conversation)  # told a person will answer


def test_the_llm_failing_after_a_tool_ran_leaves_nothing_of_that_turn_behind(shop, llm):
    conversation = customer_says(shop, "cadastra o Thor, cachorro médio")
    for _step in range(MAX_STEPS):  # it registers, then never stops calling tools: the LLM gave no answer
        llm.script_tool_calls([("register_pet", {"name": "Thor", "species": "dog", "size": "M"})])

    assert reply_turn(conversation) in {"replied", "handed_over"}

    assert not Pet.objects.exists()  # the offline attendant answered; the LLM's half turn is undone
    assert AIInteraction.objects.get().agent == "offline"
    assert bot_texts(conversation)


def test_a_customer_over_the_shops_turns_a_minute_is_answered_without_the_llm(shop, llm):
    AgentSettings.objects.create(customer_turns_per_minute=2)
    for second in (0, 20, 40):
        at = NOW + timedelta(seconds=second)
        llm.script_reply("Oi! Posso ajudar, sim.")
        reply_turn(customer_says(shop, f"oi de novo ({second})", at=at), at=at)

    turns = list(AIInteraction.objects.order_by("id").values_list("agent", "error"))
    assert turns == [("customer", ""), ("customer", ""), ("offline", "too many messages a minute")]
    assert len(llm.chat_requests) == 2

    a_minute_later = NOW + timedelta(seconds=70)
    reply_turn(customer_says(shop, "e agora?", at=a_minute_later), at=a_minute_later)
    assert AIInteraction.objects.order_by("-id").values_list("agent", flat=True).first() == "customer"


def test_without_a_key_the_offline_attendant_lists_prices(shop):
    conversation = customer_says(shop, "quanto custa o banho de um cachorro porte G?")

    assert reply_turn(conversation) == "replied"
    assert bot_texts(conversation)[0].startswith("Nossos preços:\n• Banho (G): R$ ")  # pt-BR, the size asked
    assert AIInteraction.objects.get().agent == "offline"


def test_once_the_months_spend_reaches_the_cap_turns_go_to_the_offline_attendant(shop, llm):
    AgentSettings.objects.create(monthly_cap_usd=Decimal("0.01"))
    llm.script_reply("Olá! Como posso ajudar?", prompt_tokens=100_000)  # $0.015 at gpt-4o-mini's price
    reply_turn(customer_says(shop, "oi"))

    later = NOW + timedelta(minutes=1)
    reply_turn(customer_says(shop, "quanto custa o banho?", at=later), at=later)

    assert len(llm.chat_requests) == 1
    first, second = AIInteraction.objects.order_by("id")
    assert (first.agent, second.agent, second.error) == ("customer", "offline", "monthly LLM spend cap reached")
    assert month_ai_spend(now=NOW) == first.cost_usd > 0


def test_a_shop_cannot_spend_beyond_its_plans_cap_whatever_its_own(alpha, shop, llm):
    alpha.max_monthly_ai_spend_cents = 1  # support's limit for this plan: one cent a month
    alpha.save(update_fields=["max_monthly_ai_spend_cents"])
    AgentSettings.objects.create(monthly_cap_usd=Decimal("10.00"))  # the shop's own, far above it
    llm.script_reply("Olá! Como posso ajudar?", prompt_tokens=100_000)  # $0.015 at gpt-4o-mini's price
    reply_turn(customer_says(shop, "oi"))

    later = NOW + timedelta(minutes=1)
    reply_turn(customer_says(shop, "quanto custa o banho?", at=later), at=later)

    assert len(llm.chat_requests) == 1
    second = AIInteraction.objects.latest("id")
    assert (second.agent, second.error) == ("offline", "monthly LLM spend cap reached")
    assert "R$" in bot_texts(Conversation.objects.get())[-1]  # still answered, by the offline attendant


def test_a_shop_with_its_own_model_url_and_key_is_answered_by_them(shop, llm):
    """The deployment's LLM (`llm`) stays unasked: the shop's own answers, with its model."""
    with FakeOpenAI(api_key="the-shops-own-key") as own:
        AgentSettings.objects.create(model="gpt-4.1-mini", base_url=f"{own.base_url}/v1", api_key="the-shops-own-key")
        own.script_reply("Oi! Aqui é o atendimento da loja.")

        reply_turn(customer_says(shop, "oi"))

        assert [request["model"] for request in own.chat_requests] == ["gpt-4.1-mini"]
    assert llm.chat_requests == []
    assert bot_texts(Conversation.objects.get()) == ["Oi! Aqui é o atendimento da loja."]
    assert AIInteraction.objects.get().model == "gpt-4.1-mini"


def test_a_message_is_answered_once_however_often_the_turn_runs(shop, llm):
    conversation = customer_says(shop, "oi")
    llm.script_reply("Olá!")

    outcomes = [reply_turn(conversation) for _ in range(3)]

    assert outcomes[0] == "replied"
    assert Message.objects.filter(sender_kind="bot").count() == 1


def test_a_plain_answer_takes_the_statements_a_turn_needs_and_no_more(shop, llm, django_assert_max_num_queries):
    conversation = customer_says(shop, "oi")
    llm.script_reply("Olá! Em que posso ajudar?")

    # One turn runs per customer message: the lock, what it reads (the
    # conversation with the customer's pets and bookings, its messages, the
    # shop's agent settings), the reply and the conversation's update, the
    # conversation record (one UPDATE), the turn's own row and its facts (one
    # statement), and COMMIT.
    with django_assert_max_num_queries(11):
        assert reply_turn(conversation) == "replied"

    assert bot_texts(conversation) == ["Olá! Em que posso ajudar?"]
    conversation.refresh_from_db()
    assert conversation.reply_due_at is None


def test_a_customer_is_answered_by_the_real_worker_end_to_end(committed_alpha, celery_worker, settings):
    """As in production: the inbox processes the message in the public
    schema's transaction, and the reply task must still run in the shop's."""
    settings.OXY_REPLY_DEBOUNCE_S = 0.2
    with tenant_context(committed_alpha):
        channel, route = connected_sandbox_channel("E2E")
        simulator_message_send(channel=channel, phone="+5511955550099", text="oi, qual o preço do banho?")
    try:
        for event_id in InboundEvent.objects.filter(route=route, status="pending").values_list("pk", flat=True):
            inbound_event_process(event_id=event_id)

        def answered() -> bool:
            with tenant_context(committed_alpha):
                return Message.objects.filter(channel=channel, sender_kind="bot").exists()

        assert wait_until(answered, timeout=20)
        with tenant_context(committed_alpha):
            assert "R$" in Message.objects.get(channel=channel, sender_kind="bot").text
    finally:
        InboundEvent.objects.filter(route=route).delete()
        with tenant_context(committed_alpha):
            conversation = Conversation.objects.filter(channel=channel).first()
            if conversation:
                customer = conversation.customer
                AIInteraction.objects.filter(conversation=conversation).delete()
                Message.objects.filter(channel=channel).delete()
                conversation.delete()
                customer.delete()
            channel.state_changes.all().delete()
            channel.delete()
            from analytics.models import AnalyticsEvent, ConversationRecord, DailyMetric

            ConversationRecord.objects.all().delete()
            AnalyticsEvent.objects.all().delete()
            DailyMetric.objects.all().delete()
        route.delete()


def test_the_shop_admin_shows_the_ai_turns_and_never_the_key(alpha, alpha_client, shop):
    from tests.conftest import ALPHA, login

    AgentSettings.objects.create(api_key="sk-very-secret", model="gpt-4o-mini")
    conversation = customer_says(shop, "oi")
    reply_turn(conversation)
    login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)

    turns = alpha_client.get("/admin/agents/aiinteraction/")
    settings_page = alpha_client.get(f"/admin/agents/agentsettings/{AgentSettings.objects.get().pk}/change/")

    assert turns.status_code == 200
    assert "atendente offline" in turns.content.decode()
    assert settings_page.status_code == 200
    assert "sk-very-secret" not in settings_page.content.decode()
