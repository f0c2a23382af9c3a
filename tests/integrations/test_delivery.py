"""Delivering an event to a shop's endpoint: signed so the receiver can
verify it, retried with backoff, failed and visible at the end, sent once
however often its producer or its task runs, and replayable."""

import hashlib
import hmac
from datetime import timedelta

from django.utils import timezone

from tenants.integrations.models import WebhookDelivery
from tenants.integrations.services.webhooks import (
    BACKOFF,
    webhook_deliveries_due_enqueue,
    webhook_delivery_attempt,
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_event_emit,
    webhook_secret_rotate,
)
from tests.fixtures.bookings import STAFF


def _endpoint(receiver, events=("booking.created",)):
    return webhook_endpoint_create(url=receiver.url(), events=list(events), actor=STAFF)


def _emit(event_id="booking.created:1", event="booking.created"):
    return webhook_event_emit(event=event, event_id=event_id, data=lambda: {"booking": {"id": 1}})


def _delivery(event_id="booking.created:1") -> WebhookDelivery:
    return WebhookDelivery.objects.get(event_id=event_id)


def test_a_receiver_verifies_the_signature_with_the_secret_it_was_shown(agenda, receiver):
    _endpoint_row, secret = _endpoint(receiver)
    _emit()

    assert webhook_delivery_attempt(delivery_id=_delivery().pk) == "delivered"

    (request,) = receiver.requests
    timestamp = request.headers["x-oxy-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-oxy-signature"], f"v1={expected}")
    assert abs(int(timestamp) - timezone.now().timestamp()) < 60
    assert request.headers["x-oxy-event"] == "booking.created"
    assert request.headers["x-oxy-delivery"] == str(_delivery().pk)
    assert request.json == {"id": "booking.created:1", "type": "booking.created", "shop": "alpha",
                            "created_at": request.json["created_at"], "data": {"booking": {"id": 1}}}  # fmt: skip
    assert secret not in request.body.decode()


def test_a_rotated_secret_signs_from_then_on(agenda, receiver):
    endpoint, old = _endpoint(receiver)
    new = webhook_secret_rotate(endpoint=endpoint, actor=STAFF)
    _emit()
    webhook_delivery_attempt(delivery_id=_delivery().pk)

    request = receiver.requests[0]
    signed = f"{request.headers['x-oxy-timestamp']}.".encode() + request.body
    assert new != old
    assert request.headers["x-oxy-signature"] == "v1=" + hmac.new(new.encode(), signed, hashlib.sha256).hexdigest()


def test_the_secret_is_encrypted_at_rest(agenda, receiver):
    endpoint, secret = _endpoint(receiver)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM integrations_webhookendpoint WHERE id = %s", [endpoint.pk])
        stored = cursor.fetchone()[0]
    assert secret not in stored


def test_failures_are_retried_with_backoff_then_the_delivery_fails_visibly(agenda, receiver, settings):
    settings.OXY_WEBHOOK_TIMEOUT_S = 0.3
    _endpoint(receiver)
    _emit()
    delivery = _delivery()
    receiver.fail_next(status=503, times=4)
    now = timezone.now()

    outcomes = []
    for attempt, wait in enumerate((timedelta(0), *BACKOFF), start=1):
        now += wait
        if attempt == 5:
            receiver.delay_next(1.0, times=2)  # the last two attempts time out
        # Not due a second before its time: nothing is sent.
        assert webhook_delivery_attempt(delivery_id=delivery.pk, now=now - timedelta(seconds=1)) == "skipped"
        outcomes.append(webhook_delivery_attempt(delivery_id=delivery.pk, now=now))
        delivery.refresh_from_db()
        if delivery.status == "pending":
            assert delivery.next_attempt_at == now + BACKOFF[delivery.attempts - 1]

    assert outcomes == ["pending"] * 5 + ["failed"]
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 6, None)
    assert delivery.error == "timed out"
    assert len(receiver.requests) == 6
    assert webhook_delivery_attempt(delivery_id=delivery.pk, now=now + timedelta(days=1)) == "skipped"


def test_a_5xx_is_recorded_with_an_excerpt_and_the_next_try_succeeds(agenda, receiver):
    _endpoint(receiver)
    _emit()
    receiver.fail_next(status=500, body={"error": "database down"})
    now = timezone.now()

    webhook_delivery_attempt(delivery_id=_delivery().pk, now=now)
    delivery = _delivery()
    assert (delivery.status, delivery.response_status, delivery.error) == ("pending", 500, "HTTP 500")
    assert "database down" in delivery.response_excerpt

    assert webhook_delivery_attempt(delivery_id=delivery.pk, now=now + BACKOFF[0]) == "delivered"
    assert _delivery().delivered_at is not None


def test_a_retried_producer_or_task_delivers_once(agenda, receiver):
    _endpoint(receiver)

    _emit()
    _emit()  # the producer ran again (a retried task, a redelivered webhook)
    delivery = _delivery()
    results = [webhook_delivery_attempt(delivery_id=delivery.pk) for _ in range(2)]  # the task ran twice

    assert WebhookDelivery.objects.count() == 1
    assert results == ["delivered", "skipped"]
    assert len(receiver.requests) == 1


def test_only_active_subscribed_endpoints_get_an_event(agenda, receiver):
    _endpoint(receiver, events=["message.received"])
    inactive, _secret = _endpoint(receiver)
    inactive.active = False
    inactive.save()

    assert _emit() == 0
    assert not WebhookDelivery.objects.exists()


def test_the_sweeper_queues_due_deliveries_only(agenda, receiver, monkeypatch):
    from tenants.integrations import tasks

    queued = []
    monkeypatch.setattr(tasks.webhook_deliver_task, "delay", queued.append)
    _endpoint(receiver)
    _emit("booking.created:1")
    _emit("booking.created:2")
    WebhookDelivery.objects.filter(event_id="booking.created:2").update(next_attempt_at=timezone.now() + BACKOFF[0])

    assert webhook_deliveries_due_enqueue() == 1
    assert queued == [_delivery("booking.created:1").pk]


def test_a_replay_sends_the_same_event_again_as_a_new_delivery(agenda, receiver):
    _endpoint(receiver)
    _emit()
    original = _delivery()
    webhook_delivery_attempt(delivery_id=original.pk)

    replay = webhook_delivery_replay(delivery=original, actor=STAFF)
    assert webhook_delivery_attempt(delivery_id=replay.pk) == "delivered"

    first, second = receiver.requests
    assert first.json == second.json  # same event id for the receiver
    assert first.headers["x-oxy-delivery"] != second.headers["x-oxy-delivery"]
    assert replay.replay_of == original
    assert _delivery().status == "delivered"


def test_in_production_an_endpoint_on_a_private_address_is_never_called(agenda, receiver, settings):
    _endpoint(receiver)  # on loopback: allowed outside production
    _emit()
    settings.OXY_OUTBOUND_ALLOW_PRIVATE = False

    outcome = webhook_delivery_attempt(delivery_id=_delivery().pk)

    assert outcome == "pending"  # refused this time, retried later (the name may resolve elsewhere)
    assert "endereço privado ou local" in _delivery().error
    assert receiver.requests == []


def test_deactivating_an_endpoint_drops_its_pending_retries(agenda, receiver):
    endpoint, _secret = _endpoint(receiver)
    _emit()

    webhook_endpoint_update(endpoint=endpoint, url=endpoint.url, events=endpoint.events, description="",
                            active=False, actor=STAFF)  # fmt: skip

    assert webhook_delivery_attempt(delivery_id=_delivery().pk) == "skipped"
    assert (_delivery().status, _delivery().error) == ("failed", "endpoint deactivated")
    assert receiver.requests == []
