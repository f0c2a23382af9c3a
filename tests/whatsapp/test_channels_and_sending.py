"""Channels against loopback Evolution and Cloud API servers (the real
httpx client, the documented contracts): pairing, connection changes, and
sending that is never lost and never doubled."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import tenant_context

from bookings.models import Customer
from tests.fakes import FakeCloudApi, FakeEvolution, django_client_transport
from tests.fixtures.whatsapp import CLOUD_PHONE_NUMBER_ID
from whatsapp.inbox.models import ChannelRoute, InboundEvent
from whatsapp.models import Channel, Conversation, Message
from whatsapp.providers import provider_for
from whatsapp.providers.base import ProviderError
from whatsapp.services.channels import channel_create, channel_pairing_start
from whatsapp.services.health import channel_health_check
from whatsapp.services.inbound import inbound_event_process
from whatsapp.services.outbound import SendRefused, message_outbound_create, message_send, stale_sends_requeue


@pytest.fixture
def evolution(settings, public_client):
    with FakeEvolution(global_api_key="global-key", webhook_transport=django_client_transport(public_client)) as fake:
        settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY = fake.base_url, "global-key"
        settings.OXY_PUBLIC_URL = "http://oxy.test"
        yield fake


@pytest.fixture
def cloud(settings):
    with FakeCloudApi(access_token="cloud-access-token") as fake:
        settings.WHATSAPP_CLOUD_API_URL = fake.base_url
        yield fake


def process_pending() -> list[str]:
    return [
        inbound_event_process(event_id=pk)
        for pk in InboundEvent.objects.filter(status="pending").values_list("pk", flat=True)
    ]


@pytest.fixture
def connected(evolution, alpha) -> Channel:
    """Alpha's Evolution number, created, paired and connected."""
    with tenant_context(alpha):
        channel, _route = channel_create(name="Centro", provider="evolution")
    evolution.pair(channel.external_id, number="5511974021188")  # a webhook: leaves the shop's schema
    process_pending()
    with tenant_context(alpha):
        channel.refresh_from_db()
    assert channel.state == Channel.State.CONNECTED
    return channel


def conversation_with(channel: Channel, phone: str = "+5511978123456") -> Conversation:
    customer, _ = Customer.objects.get_or_create(phone=phone)
    return Conversation.objects.create(customer=customer, channel=channel, address=phone.lstrip("+"))


def test_an_evolution_number_is_created_paired_and_connected(evolution, alpha):
    with tenant_context(alpha):
        # given a new channel: the instance exists with our webhook and secret header
        channel, route = channel_create(name="Centro", provider="evolution")
        webhook = evolution.webhook_config(channel.external_id)
        assert webhook["url"] == f"http://oxy.test/webhooks/evolution/{route.token}/"
        assert webhook["headers"]["X-Oxy-Webhook-Secret"] == route.webhook_secret

        # when pairing starts with the owner's number, the 8-character code is shown
        channel = channel_pairing_start(channel=channel, phone="+5511974021188")
        assert channel.state == Channel.State.PAIRING
        assert len(channel.pairing_code) == 8
        assert channel.pairing_code == evolution.pairing_code(channel.external_id)

    # and the owner types it: Evolution posts connection.update open to our webhook
    evolution.pair(channel.external_id, number="5511974021188")
    process_pending()
    with tenant_context(alpha):
        channel.refresh_from_db()
        assert channel.state == Channel.State.CONNECTED
        assert channel.phone == "+5511974021188"
        assert channel.pairing_code == ""
        assert [c.to_state for c in channel.state_changes.order_by("created_at")] == ["pairing", "connected"]


def test_a_rotated_qr_brings_the_latest_pairing_code(evolution, alpha):
    with tenant_context(alpha):
        channel, _route = channel_create(name="Centro", provider="evolution")
        channel_pairing_start(channel=channel, phone="+5511974021188")

    evolution.rotate_qr(channel.external_id)
    process_pending()

    with tenant_context(alpha):
        channel.refresh_from_db()
        assert channel.pairing_code == evolution.pairing_code(channel.external_id)


def test_logged_out_on_the_phone_is_never_reconnected(evolution, alpha, connected):
    channel = connected

    evolution.drop(channel.external_id, status_reason=401)
    process_pending()

    with tenant_context(alpha):
        channel.refresh_from_db()
        assert channel.state == Channel.State.LOGGED_OUT
        assert channel.next_reconnect_at is None


def test_the_health_check_finds_a_channel_the_gateway_lost_silently(evolution, alpha, connected):
    channel = connected
    # 2.3.x drops transient closes without a webhook: we still think it is connected
    evolution.drop(channel.external_id, status_reason=428)

    with tenant_context(alpha):
        results = channel_health_check()
        channel.refresh_from_db()

    assert results == [{"channel": channel.pk, "name": "Centro", "gateway": "disconnected", "ok": False}]
    assert channel.state == Channel.State.RECONNECTING
    assert channel.next_reconnect_at is not None
    assert channel.last_health_ok is False


def test_a_message_is_sent_once_and_gets_the_providers_id(evolution, alpha, connected):
    channel = connected
    with tenant_context(alpha):
        conversation = conversation_with(channel)
        message = message_outbound_create(conversation=conversation, text="Oi, Mariana!", sender_kind="bot")

        assert message_send(message_id=message.pk) == "sent"
        assert message_send(message_id=message.pk) == "already sent"  # a redelivered task

        message.refresh_from_db()
        (sent,) = evolution.sent_messages(channel.external_id)
        assert message.status == "sent"
        assert message.provider_message_id == sent["key"]["id"]


def test_a_number_over_its_sends_a_minute_waits_for_the_next_minute(evolution, alpha, connected):
    channel = connected
    with tenant_context(alpha):
        Channel.objects.filter(pk=channel.pk).update(sends_per_minute=1)
    with tenant_context(alpha), time_machine.travel(timezone.now().replace(second=10, microsecond=0), tick=False):
        conversation = conversation_with(channel)
        first, second = (message_outbound_create(conversation=conversation, text=text, sender_kind="bot")
                         for text in ("Oi!", "Tudo bem?"))  # fmt: skip
        assert message_send(message_id=first.pk) == "sent"

        # when the second comes in the same minute, it waits for the next one, still queued and never tried
        outcome = message_send(message_id=second.pk)
        assert outcome.startswith("throttled:")
        assert 50 <= float(outcome.split(":")[1]) <= 52
        second.refresh_from_db()
        assert (second.status, second.send_attempts) == ("queued", 0)
        assert len(evolution.sent_messages(channel.external_id)) == 1

    with tenant_context(alpha), time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        # then in the next minute it is sent, once
        assert message_send(message_id=second.pk) == "sent"
        assert [m["message"]["conversation"] for m in evolution.sent_messages(channel.external_id)] == [
            "Oi!",
            "Tudo bem?",
        ]


def test_a_provider_outage_is_retried_without_sending_twice(evolution, alpha, connected):
    channel = connected
    with tenant_context(alpha):
        message = message_outbound_create(conversation=conversation_with(channel), text="Lembrete", sender_kind="bot")
        evolution.fail_next(status=503, path="/message/sendText")

        with pytest.raises(ProviderError) as error:
            message_send(message_id=message.pk)
        assert error.value.retryable
        assert message_send(message_id=message.pk) == "sent"  # the retry

        assert len(evolution.sent_messages(channel.external_id)) == 1


def test_a_send_interrupted_after_the_provider_accepted_it_is_not_repeated(evolution, alpha, connected):
    """A worker dies between the provider's answer and our save: the retry
    finds the message among what the number already sent."""
    channel = connected
    with tenant_context(alpha):
        message = message_outbound_create(
            conversation=conversation_with(channel), text="Até amanhã!", sender_kind="bot"
        )
        # the first attempt marked it sending and the provider sent it, then the worker died a while ago
        Message.objects.filter(pk=message.pk).update(
            status="sending", status_rank=1, send_attempts=1, sending_started_at=timezone.now() - timedelta(minutes=10)
        )
        provider_for(channel).send_text(to="5511978123456", text="Até amanhã!")

        assert message_send(message_id=message.pk) == "sent (recovered)"

        message.refresh_from_db()
        (sent,) = evolution.sent_messages(channel.external_id)
        assert message.provider_message_id == sent["key"]["id"]


def test_a_number_not_on_whatsapp_fails_visibly_without_retrying(evolution, alpha, connected):
    channel = connected
    with tenant_context(alpha):
        evolution.not_on_whatsapp.add("5511900000001")
        message = message_outbound_create(
            conversation=conversation_with(channel, phone="+5511900000001"), text="Oi", sender_kind="bot"
        )

        assert message_send(message_id=message.pk) == "failed"

        message.refresh_from_db()
        assert message.status == "failed"
        assert "400" in message.error


def test_cloud_outside_the_24_hour_window_says_so_instead_of_sending(cloud, alpha):
    with tenant_context(alpha):
        channel, _route = channel_create(name="Clínica", provider="cloud", external_id=CLOUD_PHONE_NUMBER_ID,
                                         credentials="cloud-access-token")  # fmt: skip
        conversation = conversation_with(channel)  # the customer never wrote

        with pytest.raises(SendRefused, match="Mais de 24 horas"):
            message_outbound_create(conversation=conversation, text="Oi", sender_kind="bot")
    assert cloud.sent_messages() == []


def test_cloud_sends_inside_the_window_and_classifies_errors(cloud, alpha):
    with tenant_context(alpha):
        channel, _route = channel_create(name="Clínica", provider="cloud", external_id=CLOUD_PHONE_NUMBER_ID,
                                         credentials="cloud-access-token")  # fmt: skip
        conversation = conversation_with(channel)
        Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now())
        conversation.refresh_from_db()
        first = message_outbound_create(conversation=conversation, text="Olá!", sender_kind="bot")
        assert message_send(message_id=first.pk) == "sent"
        assert cloud.sent_messages()[0]["to"] == "+5511978123456"

        cloud.fail_next_send(code=130429)  # throughput: retry later
        second = message_outbound_create(conversation=conversation, text="Mais uma", sender_kind="bot")
        with pytest.raises(ProviderError) as error:
            message_send(message_id=second.pk)
        assert error.value.retryable

        cloud.fail_next_send(code=131026)  # undeliverable: final
        third = message_outbound_create(conversation=conversation, text="E outra", sender_kind="bot")
        assert message_send(message_id=third.pk) == "failed"


def test_routes_are_public_and_channels_are_the_shops(alpha, beta, evolution):
    with tenant_context(alpha):
        channel, route = channel_create(name="Centro", provider="evolution")
    with tenant_context(beta):
        assert not Channel.objects.filter(pk=channel.pk, external_id=channel.external_id).exists()
    assert ChannelRoute.objects.get(pk=route.pk).organization == alpha


def test_a_message_whose_task_was_lost_is_sent_by_the_sweeper(evolution, alpha, connected, monkeypatch):
    from oxy.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)  # the sweeper's sends run here, in this transaction
    with tenant_context(alpha):
        conversation = conversation_with(connected)
        # given one message whose task never reached the broker, and one still waiting for its throttled turn
        lost = message_outbound_create(conversation=conversation, text="Seu pet está pronto!", sender_kind="bot")
        waiting = message_outbound_create(conversation=conversation, text="Chegou a vacina", sender_kind="bot")
        Message.objects.filter(pk=lost.pk).update(queued_at=timezone.now() - timedelta(minutes=11))

        # when the sweeper runs
        assert stale_sends_requeue() == 1

        # then the lost one is sent, once, and the waiting one is left to its own task
        lost.refresh_from_db()
        waiting.refresh_from_db()
        assert (lost.status, waiting.status) == ("sent", "queued")
        assert [m["message"]["conversation"] for m in evolution.sent_messages(connected.external_id)] == [
            "Seu pet está pronto!"
        ]
        assert stale_sends_requeue() == 0
