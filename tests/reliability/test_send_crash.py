"""Sending survives a worker killed mid-send: real worker and beat processes,
a real Evolution-speaking server, SIGKILL between the provider accepting a
message and the worker saving that it did."""

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from bookings.models import Customer
from tests.conftest import wait_until
from tests.fixtures.processes import oxy_process, private_redis, stop
from tests.fixtures.whatsapp import EVOLUTION_INSTANCE, EVOLUTION_TOKEN
from tests.reliability.conftest import GLOBAL_KEY
from whatsapp.models import Channel, Conversation, Message
from whatsapp.services.outbound import message_send
from whatsapp.tasks import send_message_task


@pytest.fixture
def committed_conversation(committed_alpha):
    with tenant_context(committed_alpha):
        channel = Channel.objects.create(name="Crash", provider="evolution", external_id=EVOLUTION_INSTANCE,
                                         credentials=EVOLUTION_TOKEN, state="connected")  # fmt: skip
        customer = Customer.objects.create(phone="+5511978120000", name="Rita")
        conversation = Conversation.objects.create(customer=customer, channel=channel, address="5511978120000")
    yield conversation
    with tenant_context(committed_alpha):
        Message.objects.filter(channel=channel).delete()
        conversation.delete()
        customer.delete()
        channel.delete()


def queued(conversation: Conversation, text: str) -> Message:
    return Message.objects.create(
        conversation=conversation, channel=conversation.channel, direction=Message.Direction.OUTBOUND,
        sender_kind="bot", kind="text", text=text, status="queued", status_rank=Message.STATUS_RANK["queued"],
    )  # fmt: skip


def test_a_worker_killed_after_the_provider_accepted_a_send_leaves_it_sent_exactly_once(
    committed_alpha, committed_conversation, evolution_server
):
    with private_redis() as redis_server:
        environment = {
            "CELERY_BROKER_URL": redis_server.url, "CELERY_RESULT_BACKEND": redis_server.url,
            "EVOLUTION_API_URL": evolution_server.base_url, "EVOLUTION_API_KEY": GLOBAL_KEY,
            "WORKER_QUEUES": "outbound,scheduled", "OXY_OUTBOUND_STALE_S": "2", "OXY_OUTBOUND_SWEEP_S": "1",
        }  # fmt: skip
        # given a worker whose send the provider accepts but answers only much later
        evolution_server.hold_reply_next(60, path="/message/sendText")
        first_worker = oxy_process("worker", **environment)
        with tenant_context(committed_alpha):
            message = queued(committed_conversation, "Banho confirmado para amanhã às 10h")
            with send_message_task.app.connection_for_write(redis_server.url) as broker:
                send_message_task.apply_async((message.pk,), connection=broker)
        assert wait_until(lambda: len(evolution_server.sent_messages(EVOLUTION_INSTANCE)) == 1, timeout=30)

        # when the worker is killed before it hears back, and the service comes back up
        first_worker.kill()
        first_worker.wait(timeout=10)
        with tenant_context(committed_alpha):
            message.refresh_from_db()
        assert message.status == "sending"
        second_worker = oxy_process("worker", **environment)
        beat = oxy_process("beat", **environment)
        try:
            # then the sweeper finds the stale send and the provider's record of it
            def sent() -> bool:
                with tenant_context(committed_alpha):
                    message.refresh_from_db()
                return message.status == "sent"

            assert wait_until(sent, timeout=45), stop(beat) + stop(second_worker)
        finally:
            stop(beat)
            stop(second_worker)

    (delivered,) = evolution_server.sent_messages(EVOLUTION_INSTANCE)
    assert message.provider_message_id == delivered["key"]["id"]
    assert message.send_attempts == 2


def test_a_send_still_in_another_workers_hands_is_left_alone(committed_alpha, committed_conversation, evolution_server):
    with tenant_context(committed_alpha):
        message = queued(committed_conversation, "Olá!")
        Message.objects.filter(pk=message.pk).update(status="sending", sending_started_at=timezone.now())

        assert message_send(message_id=message.pk) == "in progress"

    assert evolution_server.sent_messages(EVOLUTION_INSTANCE) == []
