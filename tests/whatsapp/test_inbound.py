"""From the inbox to the shop's conversation: once, in order, to the right
customer."""

import base64
import json

from django_tenants.utils import tenant_context

from bookings.models import Customer, CustomerIdentity
from tests.fixtures.whatsapp import cloud_fixture, evolution_fixture
from whatsapp.inbox.models import InboundEvent
from whatsapp.inbox.services import inbound_items_store
from whatsapp.models import Channel, Conversation, Message
from whatsapp.providers import cloud, evolution
from whatsapp.services.inbound import inbound_event_process


def deliver_evolution(route, body: dict) -> list[str]:
    """Store a delivery as the webhook does, then process it as the worker does."""
    ids = inbound_items_store(route=route, items=evolution.webhook_items(body, json.dumps(body).encode()))
    return [inbound_event_process(event_id=event_id) for event_id in ids]


def deliver_cloud(route, name: str) -> list[str]:
    raw, _signature = cloud_fixture(name)
    ids = inbound_items_store(route=route, items=cloud.webhook_items(json.loads(raw)))
    return [inbound_event_process(event_id=event_id) for event_id in ids]


def test_a_customer_message_opens_a_conversation_and_asks_for_a_reply(evolution_channel, alpha):
    _channel, route = evolution_channel

    assert deliver_evolution(route, evolution_fixture("messages-upsert-text")) == ["processed"]

    with tenant_context(alpha):
        message = Message.objects.get()
        assert message.direction == "in"
        assert message.sender_kind == "customer"
        assert message.status == "received"
        conversation = message.conversation
        assert conversation.customer.phone == "+5511978123456"
        assert conversation.customer.name == "Mariana Costa"
        assert conversation.unread_count == 1
        assert conversation.owner == Conversation.Owner.BOT
        assert conversation.reply_due_at is not None


def test_processing_an_event_twice_records_one_message(evolution_channel, alpha):
    _channel, route = evolution_channel
    body = evolution_fixture("messages-upsert-text")
    (event_id,) = inbound_items_store(route=route, items=evolution.webhook_items(body, b"x"))

    outcomes = [inbound_event_process(event_id=event_id) for _ in range(2)]

    assert outcomes == ["processed", "skipped"]
    with tenant_context(alpha):
        assert Message.objects.count() == 1


def test_a_new_customers_first_message_takes_no_lookups_it_does_not_need(
    evolution_channel, alpha, django_assert_max_num_queries
):
    _channel, route = evolution_channel
    (event_id,) = inbound_items_store(
        route=route, items=evolution.webhook_items(evolution_fixture("messages-upsert-text"), b"x")
    )

    # The customer, their identity, conversation, message, conversation
    # record and facts are all new: written, never looked for, without
    # savepoints, the facts in one statement (was 27 in bench/pipeline.py's
    # count, 13 now; this test's also reads the shop's webhook subscriptions,
    # which a running worker has cached).
    with django_assert_max_num_queries(15):
        assert inbound_event_process(event_id=event_id) == "processed"

    with tenant_context(alpha):
        (conversation,) = Conversation.objects.all()
        assert (conversation.messages.count(), conversation.unread_count) == (1, 1)
        assert conversation.reply_due_at is not None
        assert conversation.customer.last_interaction_at is not None


def test_a_known_customer_writing_again_is_found_in_one_query(evolution_channel, alpha, django_assert_max_num_queries):
    _channel, route = evolution_channel
    deliver_evolution(route, evolution_fixture("messages-upsert-text"))
    with tenant_context(alpha):
        identities = set(CustomerIdentity.objects.values_list("customer", "kind", "value"))
    again = evolution_fixture("messages-upsert-text")
    again["data"]["key"]["id"] = "AGAIN-1"
    (event_id,) = inbound_items_store(route=route, items=evolution.webhook_items(again, b"x"))

    # The whole event: its row, the shop, the customer, the conversation, the
    # message, the conversation record (one UPDATE), the rollups. Most
    # messages take this path; keep it short.
    with django_assert_max_num_queries(13):
        assert inbound_event_process(event_id=event_id) == "processed"

    with tenant_context(alpha):
        (conversation,) = Conversation.objects.all()
        assert conversation.messages.count() == 2
        assert conversation.unread_count == 2
        assert set(CustomerIdentity.objects.values_list("customer", "kind", "value")) == identities


def test_the_same_message_in_two_deliveries_is_recorded_once(cloud_channel, alpha):
    _channel, route = cloud_channel
    raw, _sig = cloud_fixture("text")
    item = cloud.webhook_items(json.loads(raw))[0]
    # a re-batched delivery: same message, another event row
    first = inbound_items_store(route=route, items=[item])
    second = inbound_items_store(route=route, items=[item.__class__(item.route_external_id, item.dedupe_key + ":again",
                                                                     item.event_type, item.payload)])  # fmt: skip

    inbound_event_process(event_id=first[0])
    inbound_event_process(event_id=second[0])

    with tenant_context(alpha):
        assert Message.objects.count() == 1


def test_statuses_only_move_forward_whatever_order_they_arrive_in(cloud_channel, alpha):
    channel, route = cloud_channel
    with tenant_context(alpha):
        customer = Customer.objects.create(phone="+5521984417730")
        conversation = Conversation.objects.create(customer=customer, channel=channel, address="5521984417730")
        raw, _ = cloud_fixture("status-sent")
        wamid = json.loads(raw)["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
        message = Message.objects.create(
            conversation=conversation, channel=channel, direction="out", sender_kind="bot",
            text="oi", provider_message_id=wamid, status="sending", status_rank=1,
        )  # fmt: skip

    deliver_cloud(route, "status-read")
    deliver_cloud(route, "status-delivered")
    deliver_cloud(route, "status-sent")

    with tenant_context(alpha):
        message.refresh_from_db()
        assert message.status == "read"


def test_a_closed_window_failure_is_visible_on_the_message(cloud_channel, alpha):
    channel, route = cloud_channel
    raw, _ = cloud_fixture("status-failed-131047")
    wamid = json.loads(raw)["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    with tenant_context(alpha):
        customer = Customer.objects.create(phone="+5521986601234")
        conversation = Conversation.objects.create(customer=customer, channel=channel, address="5521986601234")
        message = Message.objects.create(
            conversation=conversation, channel=channel, direction="out", sender_kind="bot",
            text="lembrete", provider_message_id=wamid, status="sent", status_rank=2,
        )  # fmt: skip

    deliver_cloud(route, "status-failed-131047")

    with tenant_context(alpha):
        message.refresh_from_db()
        assert message.status == "failed"
        assert message.error.startswith("131047")


def test_a_lid_only_customer_is_merged_when_their_phone_appears(evolution_channel, alpha):
    _channel, route = evolution_channel
    lid_only = evolution_fixture("messages-upsert-lid-sender")
    lid_only["data"]["key"].pop("remoteJidAlt")
    lid_only["data"]["key"]["id"] = "LID-ONLY-1"
    deliver_evolution(route, lid_only)
    with tenant_context(alpha):
        first = Customer.objects.get()
        assert first.phone is None
        # and the same person is already known by phone from a booking
        known = Customer.objects.create(phone="+5521982345670", name="Juliana F.")

    deliver_evolution(route, evolution_fixture("messages-upsert-lid-sender"))

    with tenant_context(alpha):
        (customer,) = Customer.objects.all()
        assert customer.pk == known.pk
        assert {i.kind for i in customer.identities.all()} == {
            CustomerIdentity.Kind.LID,
            CustomerIdentity.Kind.PHONE_JID,
        }
        (conversation,) = Conversation.objects.all()
        assert conversation.customer_id == known.pk
        assert conversation.messages.count() == 2
        assert conversation.address == "5521982345670"  # reply to the phone from now on


def test_a_brazilian_number_without_its_ninth_digit_is_the_same_customer(evolution_channel, alpha):
    _channel, route = evolution_channel
    old_style = evolution_fixture("messages-upsert-text")
    old_style["data"]["key"]["remoteJid"] = "551178123456@s.whatsapp.net"  # +55 11 7812-3456, 8 digits
    old_style["data"]["key"]["remoteJidAlt"] = ""
    old_style["data"]["key"]["id"] = "OLD-STYLE-1"

    deliver_evolution(route, evolution_fixture("messages-upsert-text"))
    deliver_evolution(route, old_style)

    with tenant_context(alpha):
        assert Customer.objects.count() == 1
        assert Message.objects.count() == 2


def test_cloud_ids_and_bsuid_resolve_to_one_customer(cloud_channel, alpha):
    _channel, route = cloud_channel

    deliver_cloud(route, "text")
    deliver_cloud(route, "interactive-button-reply")

    with tenant_context(alpha):
        customer = Customer.objects.get(phone="+5521984417730")
        assert customer.identities.filter(kind="bsuid", value="BR.1183920475561832").exists()
        assert customer.conversations.get().messages.count() == 2


def test_groups_and_broadcasts_are_ignored(evolution_channel, alpha):
    _channel, route = evolution_channel

    outcomes = deliver_evolution(route, evolution_fixture("messages-upsert-group"))
    outcomes += deliver_evolution(route, evolution_fixture("messages-upsert-status-broadcast"))

    assert outcomes == ["ignored", "ignored"]
    assert list(InboundEvent.objects.values_list("status", flat=True)) == ["ignored", "ignored"]
    with tenant_context(alpha):
        assert not Customer.objects.exists()


def test_staff_replying_from_the_phone_takes_the_conversation_over(evolution_channel, alpha):
    _channel, route = evolution_channel
    deliver_evolution(route, evolution_fixture("messages-upsert-image-caption"))  # Rafael writes

    deliver_evolution(route, evolution_fixture("messages-upsert-from-me"))  # the shop answers on the phone

    with tenant_context(alpha):
        reply = Message.objects.get(direction="out")
        assert reply.sender_kind == "staff"
        conversation = reply.conversation
        assert conversation.owner == Conversation.Owner.HUMAN
        assert conversation.reply_due_at is None


def test_inline_media_is_stored_in_the_shops_own_storage(evolution_channel, alpha, settings):
    _channel, route = evolution_channel
    body = evolution_fixture("messages-upsert-image-caption")

    deliver_evolution(route, body)

    with tenant_context(alpha):
        message = Message.objects.get()
        assert message.kind == "image"
        stored = message.media.path
        assert stored.startswith(f"{settings.MEDIA_ROOT}/shop_alpha/")
        with open(stored, "rb") as saved:
            assert saved.read() == base64.b64decode(body["data"]["message"]["base64"])


def test_connection_updates_move_the_channel(evolution_channel, alpha):
    channel, route = evolution_channel

    deliver_evolution(route, evolution_fixture("connection-update-close-401"))

    with tenant_context(alpha):
        channel.refresh_from_db()
        assert channel.state == Channel.State.LOGGED_OUT
        assert channel.next_reconnect_at is None  # logged out: a person must pair again
        assert channel.state_changes.filter(to_state="logged_out").exists()


def test_a_suspended_shops_events_wait_in_the_inbox(evolution_channel, alpha):
    _channel, route = evolution_channel
    alpha.status, alpha.suspended_at = "suspended", alpha.created_at
    alpha.save()

    assert deliver_evolution(route, evolution_fixture("messages-upsert-text")) == ["held"]
    assert InboundEvent.objects.values_list("status", "attempts").get() == ("pending", 0)

    # once the shop is active again, the event is applied: the message reaches its conversation
    alpha.status, alpha.suspended_at = "active", None
    alpha.save()
    assert inbound_event_process(event_id=InboundEvent.objects.get().pk) == "processed"
    assert InboundEvent.objects.values_list("status", "attempts").get() == ("processed", 1)
    with tenant_context(alpha):
        assert Message.objects.filter(direction="in").count() == 1


def test_a_burst_is_processed_together_and_an_event_that_fails_is_retried_alone(evolution_channel, alpha, monkeypatch):
    from whatsapp.services import inbound
    from whatsapp.tasks import process_inbound_events_task

    _channel, route = evolution_channel
    text = evolution_fixture("messages-upsert-text")
    broken = {**text, "data": {**text["data"], "key": {**text["data"]["key"], "id": "BROKEN"}}}
    ids = inbound_items_store(route=route, items=evolution.webhook_items(text, b"x"))
    ids += inbound_items_store(route=route, items=evolution.webhook_items(broken, b"y"))
    # a fault in the worker while it applies one of them
    apply = inbound._apply

    def apply_or_crash(event, channel_id, **kwargs):
        if getattr(event, "provider_message_id", "") == "BROKEN":
            raise RuntimeError("worker fault")
        return apply(event, channel_id, **kwargs)

    monkeypatch.setattr(inbound, "_apply", apply_or_crash)

    outcomes = process_inbound_events_task(ids)

    assert outcomes == {"processed": 1, "retrying": 1}
    assert InboundEvent.objects.get(pk=ids[1]).status == "pending"  # kept for its retry and the sweeper
    with tenant_context(alpha):
        assert Message.objects.count() == 1
