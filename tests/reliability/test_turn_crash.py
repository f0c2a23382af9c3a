"""A worker SIGKILLed while the model is thinking about a customer's
message: after another worker starts, every message is answered once."""

from django_tenants.utils import tenant_context

from agents.models import AIInteraction
from tests.conftest import wait_until
from tests.reliability.conftest import customer_message, customer_number, post_webhook, replies_by_customer
from whatsapp.models import Conversation, Message


def test_given_a_worker_killed_mid_turn_when_another_worker_starts_then_each_message_is_answered_once(
    committed_alpha, committed_channel, evolution_server, llm_server, stack
):
    # given a web server and a worker whose first model call never returns
    stack.web()
    first_worker = stack.worker()
    llm_server.delay_next(60, path="/chat/completions")
    for customer in (1, 2):
        body = customer_message(customer=customer, text="Oi! Vocês abrem no sábado?", message_id=f"TURN{customer}")
        assert post_webhook(stack.base_url, committed_channel, body) == 200
    # (one turn hangs on the model; the other customer is answered meanwhile)
    assert wait_until(
        lambda: len(llm_server.chat_requests) == 2 and sum(replies_by_customer(evolution_server).values()) == 1,
        timeout=60,
    ), stack.output(first_worker)

    # when the worker dies mid-turn and another one (with beat) takes over
    stack.kill(first_worker)
    stack.worker()
    stack.start("beat")

    # then both customers have exactly one answer, each message one turn
    everyone = {customer_number(1): 1, customer_number(2): 1}
    assert wait_until(lambda: replies_by_customer(evolution_server) == everyone, timeout=60)
    with tenant_context(committed_alpha):
        assert wait_until(lambda: not Conversation.objects.filter(reply_due_at__isnull=False).exists())
        outbound = Message.objects.filter(channel_id=committed_channel.channel_id, direction="out")
        assert wait_until(lambda: set(outbound.values_list("status", flat=True)) == {"sent"})
        assert AIInteraction.objects.filter(conversation__channel_id=committed_channel.channel_id).count() == 2
    assert replies_by_customer(evolution_server) == everyone
