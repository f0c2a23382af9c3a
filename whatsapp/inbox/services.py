"""Writes on the inbox: store a delivery's events, hand them to the workers."""

import hashlib
import json
import logging
import os
import queue
import threading
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
    # One statement: atomic on its own, no transaction round trips needed.
    with connection.cursor() as cursor:
        cursor.execute(_INSERT.format(rows=rows), params)
        new_ids = [row[0] for row in cursor.fetchall()]
    transaction.on_commit(lambda: _enqueuer.submit(new_ids))
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
# Events per task message: one publish carries a burst.
BATCH_MAX = 20
_broker_down_until = 0.0


def inbound_events_enqueue(event_ids: list[int]) -> int:
    """Queue events for processing, in batches; returns how many were queued.
    If the broker is down they stay pending in PostgreSQL, and the sweeper
    queues them once it is back."""
    global _broker_down_until
    from ..tasks import process_inbound_events_task

    if time.monotonic() < _broker_down_until:
        return 0
    for start in range(0, len(event_ids), BATCH_MAX):
        try:
            process_inbound_events_task.apply_async((event_ids[start : start + BATCH_MAX],), retry=False)
        except Exception:  # noqa: BLE001 - any broker failure: the sweeper has it
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_S
            logger.warning(
                "%d inbound event(s) not queued (broker unavailable); the sweeper will", len(event_ids) - start
            )
            return start
    return len(event_ids)


class _BackgroundEnqueuer:
    """Hands new events to the broker from a thread of the web process, so a
    webhook answers as soon as its events are committed, and a burst of
    webhooks shares task messages (what piled up while one was published goes
    in the next). Events of a process that dies first are found by the sweeper."""

    def __init__(self) -> None:
        self._pending: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread_pid: int | None = None

    def submit(self, event_ids: list[int]) -> None:
        for event_id in event_ids:
            self._pending.put(event_id)
        if self._thread_pid != os.getpid():
            with self._lock:
                if self._thread_pid != os.getpid():
                    threading.Thread(target=self._run, name="inbox-enqueuer", daemon=True).start()
                    self._thread_pid = os.getpid()

    def _run(self) -> None:
        while True:
            batch = [self._pending.get()]
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(self._pending.get_nowait())
                except queue.Empty:
                    break
            inbound_events_enqueue(batch)


_enqueuer = _BackgroundEnqueuer()
