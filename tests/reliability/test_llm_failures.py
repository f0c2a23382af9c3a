"""The LLM failing (500, timing out, answering something that is not JSON):
the customer still gets an answer, or a person, and staff can see which."""

from django_tenants.utils import tenant_context

from agents.models import AIInteraction
from tests.conftest import wait_until
from tests.fakes import Reply
from tests.reliability.conftest import customer_message, customer_number, post_webhook, replies_by_customer
from whatsapp.models import Conversation

# What each customer says, and how the model fails them.
FAILURES = {
    "Qual o horário de vocês?": Reply.json(500, {"error": {"message": "upstream failed", "type": "server_error"}}),
    "Quero marcar um banho": Reply.json(200, {}, wait=5),  # longer than the client's timeout
    "Vocês vendem ração?": Reply(200, b"<html>Bad gateway</html>"),
}


def failing(body: dict) -> Reply:
    said = next(message["content"] for message in reversed(body["messages"]) if message["role"] == "user")
    return next(reply for text, reply in FAILURES.items() if text in said)


def test_given_the_llm_failing_when_customers_write_then_each_gets_an_answer_or_a_person(
    committed_alpha, committed_channel, evolution_server, llm_server, stack
):
    # given a model that fails every call, each customer's in another way
    for _call in range(20):  # every call the attendant could make, retries too
        llm_server.script(failing)
    stack.web()
    stack.worker()

    # when three customers write
    for customer, text in enumerate(FAILURES, start=1):
        body = customer_message(customer=customer, text=text, message_id=f"LLM{customer}")
        assert post_webhook(stack.base_url, committed_channel, body) == 200

    # then each gets exactly one answer at the provider
    everyone = {customer_number(customer): 1 for customer in range(1, len(FAILURES) + 1)}
    assert wait_until(lambda: replies_by_customer(evolution_server) == everyone, timeout=40)
    assert {call["messages"][-1]["content"] for call in llm_server.chat_requests} == set(FAILURES)
    with tenant_context(committed_alpha):
        turns = AIInteraction.objects.filter(conversation__channel_id=committed_channel.channel_id)
        # answered by the offline attendant, the model's failure on record
        assert set(turns.values_list("agent", flat=True)) == {AIInteraction.Agent.OFFLINE}
        assert all(turns.values_list("error", flat=True))
        # and a conversation the offline attendant could not handle is a person's, visibly
        for turn in turns.select_related("conversation"):
            conversation = turn.conversation
            if turn.outcome == AIInteraction.Outcome.HANDED_OVER:
                assert conversation.owner == Conversation.Owner.HUMAN
                assert conversation.handover_reason
    assert replies_by_customer(evolution_server) == everyone
