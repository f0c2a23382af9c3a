"""Is each channel really connected? Evolution 2.3.x reconnects silently and
can report "connected" while dead, so a periodic check asks the gateway and
corrects the state (and reconnects) when the two disagree."""

import json

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oxy.redis_client import redis_client

from ..models import Channel
from ..providers import provider_for
from ..providers.base import ProviderError
from .channels import channel_state_set


def channel_health_check() -> list[dict]:
    """Check every channel of the current shop that we believe connected."""
    results = []
    for channel in Channel.objects.filter(state=Channel.State.CONNECTED, provider="evolution"):
        try:
            gateway_state = provider_for(channel).connection_state()
        except ProviderError as exc:
            gateway_state = f"unreachable ({exc})"
        ok = gateway_state == "connected"
        Channel.objects.filter(pk=channel.pk).update(last_health_check_at=timezone.now(), last_health_ok=ok)
        if not ok:
            with transaction.atomic():
                channel_state_set(
                    channel=channel, state=Channel.State.RECONNECTING,
                    reason=_("the gateway says the number is %(state)s") % {"state": gateway_state},
                )  # fmt: skip
        results.append({"channel": channel.pk, "name": channel.name, "gateway": gateway_state, "ok": ok})
    return results


def channel_reconnect(*, channel_id: int) -> str:
    with transaction.atomic():
        channel = Channel.objects.select_for_update().filter(pk=channel_id, state=Channel.State.RECONNECTING).first()
        if channel is None:
            return "not reconnecting"
        if channel.next_reconnect_at and channel.next_reconnect_at > timezone.now():
            return "not due"
        channel.reconnect_attempts += 1
        channel.save(update_fields=["reconnect_attempts"])
    client = provider_for(channel)
    try:
        client.restart() if hasattr(client, "restart") else None
        state = client.connection_state()
    except ProviderError as exc:
        state = f"unreachable ({exc})"
    with transaction.atomic():
        if state == "connected":
            channel_state_set(channel=channel, state=Channel.State.CONNECTED, reason=_("reconnected"))
            return "reconnected"
        channel_state_set(
            channel=channel,
            state=Channel.State.RECONNECTING,
            reason=_("reconnect attempt %(n)d failed") % {"n": channel.reconnect_attempts},
        )
    return "retry scheduled"


def health_result_store(results: dict) -> None:
    payload = {"checked_at": timezone.now().isoformat(), "shops": results}
    redis_client().set(_health_key(), json.dumps(payload))


def health_result_last() -> dict | None:
    raw = redis_client().get(_health_key())
    return json.loads(raw) if raw else None


def _health_key() -> str:
    return f"{settings.OXY_REDIS_PREFIX}:whatsapp:health"
