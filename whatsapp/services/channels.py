"""Writes on channels: creating them, pairing, and every state change
(recorded, pushed to the dashboard, and reconnects scheduled)."""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oxy.realtime import dashboard_event_send
from oxy.schemas import on_commit_in_this_schema
from tenants.models import Organization
from tenants.shop.services import Actor, audit_record

from ..inbox.models import ChannelRoute, Provider
from ..lifecycle import can_move, reconnect_delay
from ..models import Channel, ChannelStateChange
from ..providers import provider_for
from ..providers.evolution import EvolutionProvider

logger = logging.getLogger(__name__)

EVENT_FOR_STATE = {
    Channel.State.CONNECTED: "channel.connected",
    Channel.State.RECONNECTING: "channel.disconnected",
    Channel.State.LOGGED_OUT: "channel.disconnected",
    Channel.State.FAILED: "channel.disconnected",
}


class ChannelError(Exception):
    pass


def webhook_url(route: ChannelRoute) -> str:
    return f"{settings.OXY_PUBLIC_URL.rstrip('/')}/webhooks/{route.provider}/{route.token}/"


def evolution_instance_token() -> str:
    """Our own token for an Evolution instance (Evolution checks it on every call)."""
    return secrets.token_hex(16).upper()


def channel_route_create(*, channel: Channel, organization: Organization, app_secret: str = "") -> ChannelRoute:
    """The public webhook route of `channel`, with fresh secrets (Cloud API
    channels sign with their app secret)."""
    return ChannelRoute.objects.create(
        provider=channel.provider, external_id=channel.external_id, organization=organization,
        channel_id=channel.pk, token=secrets.token_urlsafe(24),
        webhook_secret=app_secret or secrets.token_urlsafe(32), verify_token=secrets.token_urlsafe(16),
        provider_token=channel.credentials if channel.provider == Provider.EVOLUTION else "",
    )  # fmt: skip


@transaction.atomic
def channel_create(
    *, name: str, provider: str, external_id: str = "", credentials: str = "", app_secret: str = "",
    actor: Actor | None = None,
) -> tuple[Channel, ChannelRoute]:  # fmt: skip
    """A new channel of the current shop and its public webhook route."""
    if provider not in Provider.values:
        raise ChannelError(f"unknown provider '{provider}': choose {', '.join(Provider.values)}")
    external_id = external_id.strip() or f"{connection.schema_name.removeprefix('shop_')}-{secrets.token_hex(4)}"
    if provider == Provider.CLOUD and not (credentials and external_id.isdigit()):
        raise ChannelError("a Cloud API channel needs its phone_number_id and access token")
    if ChannelRoute.objects.filter(provider=provider, external_id=external_id).exists():
        raise ChannelError(f"{provider} channel '{external_id}' already exists")
    if provider == Provider.EVOLUTION and not credentials:
        credentials = evolution_instance_token()
    channel = Channel.objects.create(
        name=name.strip(), provider=provider, external_id=external_id, credentials=credentials
    )
    route = channel_route_create(channel=channel, organization=connection.tenant, app_secret=app_secret)
    if provider == Provider.EVOLUTION:
        client = provider_for(channel)
        assert isinstance(client, EvolutionProvider)
        client.create_instance(
            webhook_url=webhook_url(route), webhook_secret=route.webhook_secret, instance_token=credentials
        )
    if provider == Provider.CLOUD:
        channel_state_set(channel=channel, state=Channel.State.CONNECTED, reason=_("Cloud API number"))
    audit_record(actor=actor or Actor.system(), action="channel.created", target=f"channel:{channel.pk}",
                 data={"name": channel.name, "provider": provider, "external_id": external_id})  # fmt: skip
    return channel, route


@transaction.atomic
def channel_state_set(
    *, channel: Channel, state: str, reason: str = "", pairing_code: str = "", qr_code: str = "", phone: str = ""
) -> Channel:
    """Move a channel to a state (ignoring moves the state machine forbids),
    record it, tell the dashboard and schedule a reconnect when one is due."""
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    previous = channel.state
    if not can_move(previous, state):
        return channel
    now = timezone.now()
    fields = {"state": state, "state_reason": reason[:200], "state_changed_at": now}
    if state == Channel.State.PAIRING:
        fields |= {"pairing_code": pairing_code or channel.pairing_code, "qr_code": qr_code or channel.qr_code}
    else:
        fields |= {"pairing_code": "", "qr_code": ""}
    if state == Channel.State.CONNECTED:
        fields |= {
            "reconnect_attempts": 0,
            "next_reconnect_at": None,
            "phone": f"+{phone.lstrip('+')}" if phone else channel.phone,
        }
    if state == Channel.State.RECONNECTING:
        delay = reconnect_delay(channel.reconnect_attempts)
        if delay is None:
            fields |= {
                "state": Channel.State.FAILED,
                "state_reason": _("gave up after %(n)d reconnect attempts") % {"n": channel.reconnect_attempts},
                "next_reconnect_at": None,
            }
        else:
            fields["next_reconnect_at"] = now + timedelta(seconds=delay)
    for name, value in fields.items():
        setattr(channel, name, value)
    channel.save(update_fields=list(fields))
    if channel.state != previous or state == Channel.State.PAIRING:
        ChannelStateChange.objects.create(
            channel=channel, from_state=previous, to_state=channel.state, reason=channel.state_reason
        )
        _announce(channel)
    if channel.state == Channel.State.RECONNECTING:
        from ..tasks import channel_reconnect_task

        countdown = (channel.next_reconnect_at - now).total_seconds()
        on_commit_in_this_schema(lambda: channel_reconnect_task.apply_async((channel.pk,), countdown=countdown))
    return channel


def _announce(channel: Channel) -> None:
    data = {"channel": channel.pk, "state": channel.state, "reason": channel.state_reason}
    if channel.state == Channel.State.PAIRING:
        events = []
        if channel.pairing_code:
            events.append(("channel.pairing_code", {**data, "pairing_code": channel.pairing_code}))
        if channel.qr_code:
            events.append(("channel.qr", {**data, "qr": channel.qr_code}))
    else:
        events = [(EVENT_FOR_STATE[channel.state], data)] if channel.state in EVENT_FOR_STATE else []
    for event, payload in events:
        on_commit_in_this_schema(lambda e=event, p=payload: _send_quietly(e, p))


def _send_quietly(event: str, data: dict) -> None:
    # A dashboard that misses an event reloads the state; the change itself is saved.
    try:
        dashboard_event_send(event=event, data=data)
    except Exception:  # noqa: BLE001
        logger.warning("dashboard event %s not sent", event)


@transaction.atomic
def channel_pairing_start(*, channel: Channel, phone: str = "", actor: Actor | None = None) -> Channel:
    """Ask the provider for a pairing code (or QR) and show it."""
    start = provider_for(channel).connect(phone=phone.lstrip("+"))
    audit_record(actor=actor or Actor.system(), action="channel.pairing_started", target=f"channel:{channel.pk}")
    if start.already_connected:
        return channel_state_set(channel=channel, state=Channel.State.CONNECTED, reason=_("already connected"))
    return channel_state_set(
        channel=channel, state=Channel.State.PAIRING, pairing_code=start.pairing_code, qr_code=start.qr_code,
        reason=_("waiting for the code to be entered on the phone"),
    )  # fmt: skip


@transaction.atomic
def channel_logout(*, channel: Channel, actor: Actor | None = None) -> Channel:
    provider_for(channel).logout()
    audit_record(actor=actor or Actor.system(), action="channel.logged_out", target=f"channel:{channel.pk}")
    return channel_state_set(channel=channel, state=Channel.State.LOGGED_OUT, reason=_("logged out from Oxy"))
