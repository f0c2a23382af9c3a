"""Real producers fire webhook events: a booking made, moved and cancelled,
a conversation handed over to a person, a customer's message."""

import json
from datetime import datetime, time

from django_tenants.utils import tenant_context

from bookings.availability import shop_timezone
from bookings.services import booking_cancel, booking_create, booking_reschedule
from tenants.integrations.models import WebhookDelivery
from tenants.integrations.services.webhooks import webhook_delivery_attempt, webhook_endpoint_create
from tests.fixtures.bookings import MONDAY, NOW, STAFF
from tests.fixtures.whatsapp import evolution_fixture
from tests.whatsapp.test_inbound import deliver_evolution
from whatsapp.models import Message
from whatsapp.services.conversations import conversation_hand_over

ALL = ["booking.created", "booking.changed", "booking.cancelled", "conversation.handed_over", "message.received"]


def _types() -> list[str]:
    return list(WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))


def test_a_booking_made_moved_and_cancelled_fires_three_events(agenda, bath, groomer, customer, dog, receiver):
    webhook_endpoint_create(url=receiver.url(), events=ALL, actor=STAFF)
    start = datetime.combine(MONDAY, time(10), tzinfo=shop_timezone())

    booking = booking_create(service=bath, resource=groomer, start=start, customer=customer, pet=dog, actor=STAFF,
                             now=NOW)  # fmt: skip
    booking_reschedule(booking=booking, start=start.replace(hour=14), actor=STAFF, now=NOW)
    booking_cancel(booking=booking, reason="sick", actor=STAFF, now=NOW)
    booking_cancel(booking=booking, reason="sick", actor=STAFF, now=NOW)  # retried: already done

    assert _types() == ["booking.created", "booking.changed", "booking.cancelled"]
    created = WebhookDelivery.objects.get(event_type="booking.created")
    assert webhook_delivery_attempt(delivery_id=created.pk) == "delivered"
    sent = receiver.requests[0].json["data"]["booking"]
    assert (sent["id"], sent["pet"]["name"], sent["customer"]["phone"]) == (booking.pk, "Thor", "+5511987654321")


def test_an_inbound_message_and_a_hand_over_fire_events_once(evolution_channel, alpha, receiver):
    _channel, route = evolution_channel
    with tenant_context(alpha):
        webhook_endpoint_create(url=receiver.url(), events=ALL, actor=STAFF)
    body = evolution_fixture("messages-upsert-text")

    deliver_evolution(route, body)
    deliver_evolution(route, json.loads(json.dumps(body)))  # the provider delivered it twice

    with tenant_context(alpha):
        message = Message.objects.get()
        conversation_hand_over(conversation_id=message.conversation_id, actor=STAFF, reason="asked for a person")
        assert _types() == ["message.received", "conversation.handed_over"]
        received, handed = WebhookDelivery.objects.order_by("pk")
        assert received.payload["data"]["message"]["id"] == message.pk
        assert handed.payload["data"]["conversation"]["reason"] == "asked for a person"


def test_the_shops_own_phone_is_not_a_received_message(evolution_channel, alpha, receiver):
    _channel, route = evolution_channel
    with tenant_context(alpha):
        webhook_endpoint_create(url=receiver.url(), events=["message.received"], actor=STAFF)
    body = evolution_fixture("messages-upsert-text")
    body["data"]["key"]["fromMe"] = True

    deliver_evolution(route, body)

    with tenant_context(alpha):
        assert Message.objects.get().direction == "out"
        assert not WebhookDelivery.objects.exists()


def test_another_shops_events_reach_only_its_endpoints(evolution_channel, alpha, beta, receiver):
    _channel, route = evolution_channel
    with tenant_context(beta):
        webhook_endpoint_create(url=receiver.url("beta"), events=ALL, actor=STAFF)

    deliver_evolution(route, evolution_fixture("messages-upsert-text"))  # alpha's number

    with tenant_context(beta):
        assert not WebhookDelivery.objects.exists()
