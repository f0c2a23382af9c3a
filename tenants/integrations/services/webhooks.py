"""Outbound webhooks: endpoints, the delivery of each event to each
subscribed endpoint, retries with backoff, replay.

A delivery row is written in the producer's own transaction (so an event
exists exactly when what it announces does) and tried once it commits; the
sweeper retries due rows, so a lost task or a broker outage delays a
delivery but never loses it. A row is sent under its row lock and only while
pending, so a task that runs twice sends once.

Receivers verify `X-Oxy-Signature: v1=<hex>`, the HMAC-SHA256 of
`f"{X-Oxy-Timestamp}.{raw body}"` under the endpoint's secret (see
`signature`), and should refuse timestamps more than a few minutes old.
"""

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from oxy.schemas import on_commit_in_this_schema
from oxy.ttl_cache import TTLCache
from tenants.shop.services import Actor, audit_record

from ..addresses import private_address_error
from ..models import TEST_EVENT, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, ... failed attempt; after the last, the delivery fails.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
EXCERPT = 300


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Oxy-Signature` header value for a request body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def _new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


# The events some active endpoint of a shop listens to, for a few seconds:
# every inbound message and booking write emits, and most shops have no
# endpoint. Endpoint changes clear it here; in other processes a stale
# answer lasts at most these seconds, like the host and route caches.
_listened: TTLCache[frozenset[str]] = TTLCache(seconds=5)


def _listened_events() -> frozenset[str]:
    def load() -> frozenset[str]:
        subscriptions = WebhookEndpoint.objects.filter(active=True).values_list("events", flat=True)
        return frozenset(event for events in subscriptions for event in events)

    return _listened.get_or_load(connection.schema_name, load)


def _listened_changed() -> None:
    # Now for this transaction's own emits, and after commit for the reads
    # that cached the old endpoints meanwhile.
    _listened.clear()
    transaction.on_commit(_listened.clear)


# -- endpoints ---------------------------------------------------------------


@transaction.atomic
def webhook_endpoint_create(
    *, url: str, events: list[str], actor: Actor, description: str = "", active: bool = True
) -> tuple[WebhookEndpoint, str]:  # fmt: skip
    """A new endpoint and its secret (stored encrypted; shown to the user once)."""
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(url=url, events=sorted(set(events)), description=description,
                                              active=active, secret=secret)  # fmt: skip
    _listened_changed()
    audit_record(actor=actor, action="webhook.created", target=f"webhook:{endpoint.pk}",
                 data={"url": url, "events": endpoint.events})  # fmt: skip
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, events: list[str], description: str, active: bool, actor: Actor
) -> WebhookEndpoint:  # fmt: skip
    endpoint.url, endpoint.events, endpoint.description, endpoint.active = url, sorted(set(events)), description, active
    endpoint.save(update_fields=["url", "events", "description", "active"])
    _listened_changed()
    if not active:  # what was waiting for a retry is not sent after all
        endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.FAILED, next_attempt_at=None, error="endpoint deactivated"
        )
    audit_record(actor=actor, action="webhook.updated", target=f"webhook:{endpoint.pk}",
                 data={"url": url, "events": endpoint.events, "active": active})  # fmt: skip
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: Actor) -> None:
    audit_record(actor=actor, action="webhook.deleted", target=f"webhook:{endpoint.pk}", data={"url": endpoint.url})
    endpoint.delete()
    _listened_changed()


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor: Actor) -> str:
    """A fresh secret, used from the next attempt on; the old one stops at once."""
    secret = _new_secret()
    endpoint.secret = secret
    endpoint.save(update_fields=["secret"])
    audit_record(actor=actor, action="webhook.secret_rotated", target=f"webhook:{endpoint.pk}")
    return secret


# -- events ------------------------------------------------------------------


def webhook_event_emit(
    *, event: str, event_id: str, data: Callable[[], dict], at: datetime | None = None
) -> int:  # fmt: skip
    """Queue `event` for every active endpoint subscribed to it, in the
    caller's transaction; the number of endpoints. `data` is only built when
    someone listens. Emitting the same `event_id` again (a retried producer)
    adds nothing."""
    if event not in _listened_events():
        return 0
    endpoints = list(WebhookEndpoint.objects.filter(active=True, events__contains=[event]).values_list("pk", flat=True))
    if endpoints:
        _deliveries_create(endpoints, event=event, event_id=event_id, payload=_envelope(event, event_id, data(), at))
    return len(endpoints)


@transaction.atomic
def webhook_test_send(*, endpoint: WebhookEndpoint, actor: Actor) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint only (active or not)."""
    event_id = f"{TEST_EVENT}:{uuid.uuid4().hex}"
    payload = _envelope(TEST_EVENT, event_id, {"message": "Oxy test event", "sent_by": actor.label}, None)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_type=TEST_EVENT, event_id=event_id,
                                              payload=payload, next_attempt_at=timezone.now())  # fmt: skip
    _enqueue_on_commit([delivery.pk])
    return delivery


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery (with its own log);
    the payload, and so the event id the receiver sees, is unchanged."""
    original = delivery.replay_of or delivery
    event_id = f"{original.event_id}#replay-{uuid.uuid4().hex[:12]}"
    replay = WebhookDelivery.objects.create(endpoint=original.endpoint, event_type=original.event_type,
                                            event_id=event_id, payload=original.payload, replay_of=original,
                                            next_attempt_at=timezone.now())  # fmt: skip
    audit_record(actor=actor, action="webhook.replayed", target=f"webhook_delivery:{original.pk}",
                 data={"replay": replay.pk})  # fmt: skip
    _enqueue_on_commit([replay.pk])
    return replay


def _envelope(event: str, event_id: str, data: dict, at: datetime | None) -> dict:
    tenant = getattr(connection, "tenant", None)
    return {"id": event_id, "type": event, "created_at": (at or timezone.now()).isoformat(),
            "shop": getattr(tenant, "slug", connection.schema_name), "data": data}  # fmt: skip


def _deliveries_create(endpoint_ids: list[int], *, event: str, event_id: str, payload: dict) -> None:
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint_id=pk, event_type=event, event_id=event_id, payload=payload, next_attempt_at=now)
         for pk in endpoint_ids],
        ignore_conflicts=True,  # a retried producer: the first emission stands
    )  # fmt: skip
    pending = WebhookDelivery.objects.filter(endpoint_id__in=endpoint_ids, event_id=event_id,
                                             status=WebhookDelivery.Status.PENDING)  # fmt: skip
    _enqueue_on_commit(list(pending.values_list("pk", flat=True)))


def _enqueue_on_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        on_commit_in_this_schema(lambda: webhook_deliveries_enqueue(delivery_ids))


def webhook_deliveries_enqueue(delivery_ids: list[int]) -> int:
    from ..tasks import webhook_deliver_task

    for delivery_id in delivery_ids:
        try:
            webhook_deliver_task.delay(delivery_id)
        except Exception:  # noqa: BLE001 - any broker failure: the row waits, the sweeper sends it
            logger.warning("webhook delivery %s not queued (broker unavailable); the sweeper will", delivery_id)
            return 0
    return len(delivery_ids)


def webhook_deliveries_due_enqueue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queue this shop's pending deliveries whose time has come (the sweeper)."""
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now or timezone.now()
    )
    return webhook_deliveries_enqueue(list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit]))


# -- delivery ----------------------------------------------------------------


def webhook_delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send one due, pending delivery (under its row lock) and record the
    outcome: delivered, retry later with backoff, or failed for good."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return "skipped"  # done, not due yet, or being sent by another worker
        delivery.attempts += 1
        response, error = _post(delivery)
        if response is not None and response.is_success:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = delivery.Status.DELIVERED, now, None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = delivery.Status.FAILED, None
        else:
            delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
        delivery.response_status = response.status_code if response is not None else None
        delivery.response_excerpt = response.text[:EXCERPT] if response is not None else ""
        delivery.error = error[:EXCERPT]
        delivery.save(update_fields=["attempts", "status", "delivered_at", "next_attempt_at", "response_status",
                                     "response_excerpt", "error"])  # fmt: skip
        return delivery.status


def _post(delivery: WebhookDelivery) -> tuple[httpx.Response | None, str]:
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Oxy-Webhooks/1",
        "X-Oxy-Event": delivery.event_type,
        "X-Oxy-Delivery": str(delivery.pk),
        "X-Oxy-Timestamp": timestamp,
        "X-Oxy-Signature": signature(secret=delivery.endpoint.secret, timestamp=timestamp, body=body),
    }
    if refused := private_address_error(delivery.endpoint.url):
        return None, refused
    try:
        response = httpx.post(delivery.endpoint.url, content=body, headers=headers,
                              timeout=settings.OXY_WEBHOOK_TIMEOUT_S, follow_redirects=False)  # fmt: skip
    except httpx.TimeoutException:
        return None, "timed out"
    except httpx.HTTPError as exc:
        # The exception's class says what failed; its text may echo the URL (a token in a query string).
        return None, f"connection failed ({type(exc).__name__})"
    return response, "" if response.is_success else f"HTTP {response.status_code}"
