"""Sending a message the customer did not ask for.

It goes through the customer's conversation on a connected number, only
inside the shop's sending window, and never above the per-customer caps:
the customer's row is locked while the caps are counted, so two senders (a
reminder and a campaign) cannot both take the last place.

Why a message was not sent is stored as written here, untranslated: the
pages show it in their reader's language.
"""

from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from bookings.availability import shop_timezone
from bookings.calendar import local_to_utc
from bookings.models import Customer
from whatsapp.models import Channel, Conversation, Message
from whatsapp.services.outbound import SendRefused, message_outbound_create

from ..models import OutreachSettings


class NotNow(Exception):
    """Not now; try again at `retry_at` (None: at the next run)."""

    def __init__(self, reason: str, retry_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_at = reason, retry_at


class Capped(NotNow):
    """The customer already got as many unasked messages as the shop allows."""


class Undeliverable(Exception):
    """Never to this customer (opted out, no number, the provider refuses)."""


def outreach_settings() -> OutreachSettings:
    return OutreachSettings.objects.first() or OutreachSettings()


def window_next_open(*, now: datetime, rules: OutreachSettings) -> datetime | None:
    """When the sending window next opens, or None while it is open."""
    tz = shop_timezone()
    local = timezone.localtime(now, tz)
    if rules.window_start <= local.time() < rules.window_end:
        return None
    day = local.date() if local.time() < rules.window_start else local.date() + timedelta(days=1)
    return local_to_utc(day, rules.window_start, tz) or datetime.combine(day, rules.window_start, tz)


def proactive_send(
    *, customer_id: int, text: str, purpose: str, now: datetime, rules: OutreachSettings, marketing: bool,
    data: dict | None = None,
) -> Message:  # fmt: skip
    """Queue the message (sent after commit; call inside a transaction).
    Raises NotNow or Undeliverable."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if marketing and customer.marketing_opted_out_at:
        raise Undeliverable(gettext_noop("the customer opted out of messages"))
    opens = window_next_open(now=now, rules=rules)
    if opens:
        raise NotNow(gettext_noop("outside the sending window"), opens)
    _caps_check(customer, now=now, rules=rules)
    conversation = conversation_to_reach(customer)
    try:
        return message_outbound_create(
            conversation=conversation, text=text, sender_kind=Message.SenderKind.BOT,
            data={"proactive": purpose} | (data or {}),
        )  # fmt: skip
    except SendRefused as exc:
        raise Undeliverable(str(exc)) from exc


def _caps_check(customer: Customer, *, now: datetime, rules: OutreachSettings) -> None:
    day_ago, hour_ago = now - timedelta(hours=24), now - timedelta(hours=1)
    sent = sorted(
        Message.objects.filter(
            conversation__customer=customer, direction=Message.Direction.OUTBOUND, data__has_key="proactive",
            created_at__gt=day_ago, created_at__lte=now,
        ).values_list("created_at", flat=True)
    )  # fmt: skip
    last_hour = [at for at in sent if at > hour_ago]
    # A place frees up when the oldest message that fills the cap leaves the window.
    if len(sent) >= rules.per_customer_per_day:
        frees_up = sent[len(sent) - rules.per_customer_per_day] + timedelta(hours=24)
        raise Capped(gettext_noop("per-customer daily cap"), frees_up)
    if len(last_hour) >= rules.per_customer_per_hour:
        frees_up = last_hour[len(last_hour) - rules.per_customer_per_hour] + timedelta(hours=1)
        raise Capped(gettext_noop("per-customer hourly cap"), frees_up)


def conversation_to_reach(customer: Customer) -> Conversation:
    """The customer's latest conversation on a connected number, else a new
    one on the shop's first connected number."""
    connected = Channel.State.CONNECTED
    conversation = (
        Conversation.objects.filter(customer=customer, channel__state=connected)
        .select_related("channel")
        .order_by(F("last_message_at").desc(nulls_last=True), "pk")
        .first()
    )
    if conversation is not None:
        return conversation
    channel = Channel.objects.filter(state=connected).order_by("pk").first()
    if channel is None:
        raise NotNow(gettext_noop("no WhatsApp number is connected"))
    if not customer.phone:
        raise Undeliverable(gettext_noop("the customer has no phone number"))
    conversation, _created = Conversation.objects.get_or_create(
        customer=customer, channel=channel, defaults={"address": customer.phone.lstrip("+")}
    )
    return conversation
