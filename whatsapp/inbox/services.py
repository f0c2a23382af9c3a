"""Writes on the inbox: store a delivery's events, hand them to the workers."""

import hashlib
import json
import logging
import time

from django.db import connection, transaction

from ..providers.base import InboundItem
from .models import ChannelRoute, InboundEvent

logger = logging.getLogger(__name__)

_INSERT = f"""
INSERT INTO {InboundEvent._meta.db_table}
    (provider, route_id, schema_name, dedupe_key, event_type, payload, raw_body, status, attempts, error, received_at)
VALUES {{rows}}
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
"""  # noqa: S608 - the table name comes from the model


def inbound_items_store(*, route: ChannelRoute, items: list[InboundItem]) -> list[int]:
    """Insert the delivery's events (duplicates are skipped by their dedupe
    key) and, once committed, queue the new ones. Returns the new ids."""
    if not items:
        return []
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, '', 'pending', 0, '', now())"] * len(items))
    params: list = []
    for item in items:
        params += [route.provider, route.pk, route.organization.schema_name, item.dedupe_key, item.event_type,
                   json.dumps(item.payload)]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INSERT.format(rows=rows), params)
        new_ids = [row[0] for row in cursor.fetchall()]
        transaction.on_commit(lambda: inbound_events_enqueue(new_ids))
    return new_ids


def inbound_malformed_store(*, provider: str, route: ChannelRoute | None, raw_body: bytes, error: str) -> InboundEvent:
    """Keep an authenticated body we could not parse, for someone to look at."""
    return InboundEvent.objects.get_or_create(
        dedupe_key=f"{provider}:malformed:{hashlib.sha256(raw_body).hexdigest()}",
        defaults={
            "provider": provider,
            "route": route,
            "schema_name": route.organization.schema_name if route else "",
            "raw_body": raw_body.decode("utf-8", errors="replace")[:100_000],
            "status": InboundEvent.Status.MALFORMED,
            "error": error[:1000],
        },
    )[0]


# After a failed publish, skip the broker for a few seconds: every webhook
# would otherwise wait for its own connection timeout.
BROKER_BACKOFF_S = 5.0
_broker_down_until = 0.0


def inbound_events_enqueue(event_ids: list[int]) -> int:
    """Queue events for processing; returns how many were queued. If the
    broker is down they stay pending in PostgreSQL, and the sweeper queues
    them once it is back."""
    global _broker_down_until
    from ..tasks import process_inbound_event_task

    if time.monotonic() < _broker_down_until:
        return 0
    for queued, event_id in enumerate(event_ids):
        try:
            process_inbound_event_task.apply_async((event_id,), retry=False)
        except Exception:  # noqa: BLE001 - any broker failure: the sweeper has it
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_S
            logger.warning(
                "%d inbound event(s) not queued (broker unavailable); the sweeper will", len(event_ids) - queued
            )
            return queued
    return len(event_ids)
