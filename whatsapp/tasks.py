"""WhatsApp tasks: thin, by id, each calling one service.

Inbox tasks run in the public schema (the event says which shop); the rest
run in the shop's schema they were queued from.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from oxy.celery import app
from tenants.services import in_each_active_shop

from .inbox.models import InboundEvent
from .inbox.selectors import inbound_events_purgeable
from .providers.base import ProviderError

logger = logging.getLogger(__name__)


@app.task(
    name="whatsapp.process_inbound_event", queue="inbound", public_schema=True,
    time_limit=60, soft_time_limit=50, autoretry_for=(Exception,), max_retries=5,
    retry_backoff=2, retry_backoff_max=120, retry_jitter=True, acks_late=True,
)  # fmt: skip
def process_inbound_event_task(event_id: int) -> str:
    from .services.inbound import inbound_event_process

    return inbound_event_process(event_id=event_id)


@app.task(
    name="whatsapp.process_inbound_events", queue="inbound", public_schema=True, time_limit=300, soft_time_limit=280,
    max_retries=0, acks_late=True,
)  # fmt: skip
def process_inbound_events_task(event_ids: list[int]) -> dict[str, int]:
    """A burst of events, in arrival order; one that fails is retried alone."""
    from .services.inbound import inbound_event_process

    outcomes: dict[str, int] = {}
    for event_id in event_ids:
        try:
            outcome = inbound_event_process(event_id=event_id)
        except Exception:
            logger.exception("inbound event %s failed; retrying it on its own", event_id)
            process_inbound_event_task.apply_async((event_id,), countdown=2)
            outcome = "retrying"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@app.task(name="whatsapp.sweep_inbox", queue="scheduled", public_schema=True, time_limit=120, max_retries=0)
def sweep_inbox_task(older_than_s: int = 15) -> int:
    """Queue pending events the webhook could not queue (broker down) or
    whose worker died; the event's row lock keeps each processed once."""
    from .inbox.services import inbound_events_enqueue

    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    pending = list(
        InboundEvent.objects.filter(
            status=InboundEvent.Status.PENDING, received_at__lt=cutoff, route__organization__status="active"
        )
        .order_by("received_at")
        .values_list("id", flat=True)[:5000]
    )
    return inbound_events_enqueue(pending)


@app.task(name="whatsapp.purge_inbox", queue="scheduled", public_schema=True, time_limit=600, max_retries=0)
def purge_inbox_task() -> int:
    cutoff = timezone.now() - timedelta(days=settings.OXY_INBOX_RETENTION_DAYS)
    deleted, _ = inbound_events_purgeable(before=cutoff).delete()
    return deleted


@app.task(
    bind=True, name="whatsapp.send_message", queue="outbound", time_limit=90, soft_time_limit=80,
    max_retries=settings.OXY_SEND_MAX_RETRIES, acks_late=True,
)  # fmt: skip
def send_message_task(self, message_id: int) -> str:
    from .services.outbound import message_fail, message_send

    try:
        outcome = message_send(message_id=message_id)
    except ProviderError as exc:
        if self.request.retries >= self.max_retries:
            message_fail(message_id=message_id, reason=f"gave up: {exc}")
            raise
        # Exponential backoff with jitter: 2, 4, 8 ... s (capped at 5 min).
        backoff = min(settings.OXY_SEND_RETRY_BASE_S * 2 ** (self.request.retries + 1), 300)
        raise self.retry(exc=exc, countdown=backoff * random.uniform(1, 1.25)) from exc  # noqa: S311 - jitter
    if outcome.startswith("throttled:"):
        raise self.retry(countdown=float(outcome.split(":")[1]), max_retries=None)
    return outcome


@app.task(
    name="whatsapp.sweep_outbound_all_tenants", queue="scheduled", public_schema=True, time_limit=120, max_retries=0
)
def sweep_outbound_all_tenants_task() -> dict[str, int]:
    from .services.outbound import stale_sends_requeue

    return {slug: count for slug, count in in_each_active_shop(stale_sends_requeue).items() if count}


@app.task(name="whatsapp.download_media", queue="inbound", time_limit=120, autoretry_for=(ProviderError,),
          max_retries=5, retry_backoff=5)  # fmt: skip
def media_download_task(message_id: int) -> str:
    from .services.media import message_media_download

    return message_media_download(message_id=message_id)


@app.task(name="whatsapp.reconnect_channel", queue="scheduled", time_limit=60, max_retries=0)
def channel_reconnect_task(channel_id: int) -> str:
    from .services.health import channel_reconnect

    return channel_reconnect(channel_id=channel_id)


@app.task(
    name="whatsapp.health_check_all_tenants", queue="scheduled", public_schema=True, time_limit=300, max_retries=0
)
def channel_health_check_all_tenants_task() -> dict:
    from .services.health import channel_health_check, health_result_store

    results = in_each_active_shop(channel_health_check)
    health_result_store(results)
    return results
