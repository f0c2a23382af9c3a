"""A brand-new customer's burst of messages, applied by several workers at
the same moment, each on its own database connection: the optimistic pass of
all but one collides on the new customer, and their careful pass finds it.
One customer, one conversation, every message once."""

import copy
import json
import threading

from django.db import connection
from django_tenants.utils import tenant_context

from analytics.models import AnalyticsEvent, ConversationRecord, DailyMetric
from bookings.models import Customer
from tests.conftest import wait_until
from tests.fixtures.whatsapp import connected_evolution_channel, evolution_fixture
from whatsapp.inbox.models import InboundEvent
from whatsapp.inbox.services import inbound_items_store
from whatsapp.models import Conversation, Message
from whatsapp.providers import evolution
from whatsapp.services.inbound import inbound_event_process

BURST = 6


def test_a_new_customers_burst_applied_at_once_gives_one_customer_and_every_message(committed_alpha, settings):
    settings.OXY_REPLY_DEBOUNCE_S = 3600  # no reply while the test looks: a test worker may be running
    channel, route = connected_evolution_channel(committed_alpha)
    connection.set_schema_to_public()
    event_ids = []
    for n in range(BURST):
        body = copy.deepcopy(evolution_fixture("messages-upsert-text"))
        body["data"]["key"]["id"] = f"BURST-{n}"
        event_ids += inbound_items_store(route=route, items=evolution.webhook_items(body, json.dumps(body).encode()))
    barrier = threading.Barrier(BURST)
    outcomes: list[str] = []

    def worker(event_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes.append(inbound_event_process(event_id=event_id))
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=worker, args=(event_id,)) for event_id in event_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        # None failed ("skipped": a test worker, queued on commit, was applying that one).
        assert len(outcomes) == BURST
        assert set(outcomes) <= {"processed", "skipped"}
        assert wait_until(lambda: InboundEvent.objects.filter(pk__in=event_ids, status="processed").count() == BURST)
        with tenant_context(committed_alpha):
            (customer,) = Customer.objects.filter(phone="+5511978123456")
            (conversation,) = Conversation.objects.filter(customer=customer)
            assert sorted(
                conversation.messages.filter(direction="in").values_list("provider_message_id", flat=True)
            ) == [f"BURST-{n}" for n in range(BURST)]
            assert conversation.unread_count == BURST
            counted = set(AnalyticsEvent.objects.values_list("dedupe_key", flat=True))
            assert f"customer:{customer.pk}" in counted
            assert {f"message:{pk}" for pk in conversation.messages.values_list("pk", flat=True)} <= counted
    finally:
        InboundEvent.objects.filter(route=route).delete()
        with tenant_context(committed_alpha):
            Message.objects.filter(channel=channel).delete()
            ConversationRecord.objects.filter(channel_id=channel.pk).delete()
            Conversation.objects.filter(channel=channel).delete()
            Customer.objects.filter(phone="+5511978123456").delete()
            AnalyticsEvent.objects.all().delete()
            DailyMetric.objects.all().delete()
            channel.delete()
        route.delete()
