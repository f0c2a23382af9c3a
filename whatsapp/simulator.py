"""The phone simulator for sandbox channels: the dashboard plays a customer
(or types the pairing code) through these services; what it sends enters
the same inbox as a real provider's webhook."""

from django.db import transaction
from django.utils.translation import gettext as _

from .inbox.models import ChannelRoute
from .inbox.services import inbound_items_store
from .models import Channel, Conversation, Message
from .providers import sandbox
from .providers.base import StatusUpdate
from .services.channels import ChannelError


def _sandbox_route(channel: Channel) -> ChannelRoute:
    if channel.provider != "sandbox":
        raise ChannelError(_("Only sandbox channels have a phone simulator."))
    return ChannelRoute.objects.select_related("organization").get(provider="sandbox", external_id=channel.external_id)


def simulator_message_send(*, channel: Channel, phone: str, text: str, name: str = "") -> None:
    """The simulated customer writes to the shop."""
    if channel.state != Channel.State.CONNECTED:
        raise ChannelError(_("Connect the channel first: enter its pairing code in the simulator."))
    if not text.strip():
        raise ChannelError(_("The message is empty."))
    route = _sandbox_route(channel)
    item = sandbox.simulator_message_item(channel_external_id=channel.external_id, phone=phone, name=name, text=text)
    inbound_items_store(route=route, items=[item])


@transaction.atomic
def simulator_pairing_code_enter(*, channel: Channel, code: str, phone: str) -> None:
    """The simulated phone types the pairing code shown in the dashboard."""
    if channel.state != Channel.State.PAIRING or not channel.pairing_code:
        raise ChannelError(_("This channel is not waiting for a pairing code."))
    if code.replace("-", "").strip().upper() != channel.pairing_code:
        raise ChannelError(_("That code does not match the one shown in the dashboard."))
    item = sandbox.simulator_paired_item(channel_external_id=channel.external_id, phone=phone)
    inbound_items_store(route=_sandbox_route(channel), items=[item])


def simulator_thread(*, channel: Channel, phone: str) -> list[Message]:
    """What the simulated phone shows: the conversation with this number."""
    conversation = Conversation.objects.filter(channel=channel, customer__phone=phone).first()
    return list(conversation.messages.order_by("created_at", "id")) if conversation else []


def simulator_thread_seen(*, channel: Channel, thread: list[Message]) -> None:
    """The simulated phone shows the shop's messages: they are read (blue
    ticks), as a real phone's receipts would say."""
    from .services.inbound import message_status_apply

    for message in thread:
        if message.direction == Message.Direction.OUTBOUND and message.status in {"sent", "delivered"}:
            with transaction.atomic():
                message_status_apply(channel_id=channel.pk, update=StatusUpdate(message.provider_message_id, "read"))
