"""The provider answering 5xx and timing out: sends are retried, a send that
never goes through is a visible failure, and one that goes through late is
not sent twice."""

from django_tenants.utils import tenant_context

from tenants.models import DeadLetter
from tests.conftest import ALPHA, login, wait_until
from tests.reliability.conftest import customer_message, customer_number, post_webhook, replies_by_customer
from whatsapp.models import Message

SEND = "/message/sendText"


def send_attempts(evolution_server) -> list[int | None]:
    return [request.response_status for request in evolution_server.requests_to(SEND, method="POST")]


def test_given_the_provider_keeps_failing_when_a_reply_is_sent_then_it_is_retried_and_shown_failed_to_staff(
    committed_alpha, committed_channel, evolution_server, stack, alpha_client
):
    # given a provider that answers every send with 503
    evolution_server.fail_next(503, times=100, path=SEND)
    stack.web()
    stack.worker(OXY_SEND_MAX_RETRIES="3")

    # when a customer writes and the bot answers
    body = customer_message(customer=1, text="Oi, tudo bem?", message_id="DOWN1")
    assert post_webhook(stack.base_url, committed_channel, body) == 200

    # then the send is tried once and retried three times, then given up
    with tenant_context(committed_alpha):
        replies = Message.objects.filter(channel_id=committed_channel.channel_id, direction="out")
        assert wait_until(lambda: replies.filter(status="failed").exists(), timeout=30)
        (reply,) = replies
    assert send_attempts(evolution_server) == [503] * 4
    assert evolution_server.sent_messages(committed_channel.external_id) == []
    assert "503" in reply.error
    assert wait_until(lambda: DeadLetter.objects.filter(task_name="whatsapp.send_message", args=[reply.pk]).exists())
    # and staff see it failed, with why, in the conversation
    login(alpha_client, committed_alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)
    page = alpha_client.get(f"/inbox/{reply.conversation_id}/").content.decode()
    assert 'class="ticks failed"' in page
    assert "Evolution API answered 503" in page
    DeadLetter.objects.filter(args=[reply.pk]).delete()


def test_given_the_provider_fails_then_times_out_when_it_recovers_then_each_reply_is_sent_once(
    committed_alpha, committed_channel, evolution_server, stack
):
    stack.web()
    stack.worker()

    # given a provider that answers the first customer's reply twice with 503
    evolution_server.fail_next(503, times=2, path=SEND)
    first = customer_message(customer=1, text="Oi, tudo bem?", message_id="FLAKY1")
    assert post_webhook(stack.base_url, committed_channel, first) == 200
    # then it is retried until it goes through, once
    assert wait_until(lambda: replies_by_customer(evolution_server) == {customer_number(1): 1}, timeout=30)
    assert send_attempts(evolution_server) == [503, 503, 201]

    # given a provider that takes the second customer's reply but answers too late
    evolution_server.hold_reply_next(3, path=SEND)
    second = customer_message(customer=2, text="Bom dia!", message_id="FLAKY2")
    assert post_webhook(stack.base_url, committed_channel, second) == 200

    # then the retry finds it was sent and does not send it again
    with tenant_context(committed_alpha):
        replies = Message.objects.filter(channel_id=committed_channel.channel_id, direction="out")
        assert wait_until(lambda: list(replies.values_list("status", flat=True)) == ["sent", "sent"], timeout=30)
        late = replies.order_by("-pk").first()
    assert replies_by_customer(evolution_server) == {customer_number(1): 1, customer_number(2): 1}
    assert late.send_attempts == 2
    assert late.provider_message_id == evolution_server.sent_messages(committed_channel.external_id)[-1]["key"]["id"]
