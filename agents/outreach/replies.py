"""A customer's "sim" or "não" to a reminder confirms or cancels that
booking at once, without the LLM; anything else goes to the attendant."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bookings.availability import shop_timezone
from bookings.models import Booking
from bookings.services import booking_cancel, booking_confirm
from tenants.shop.services import Actor
from whatsapp.models import Message

from ..attendant import TurnOutcome
from ..offline.parser import Intent, parse_message
from ..tools import TurnContext
from .followups import when

ANSWERS = {Intent.BOOK_CONFIRM, Intent.DECLINE, Intent.CANCEL}
REMINDER_REPLY = Actor("ai", "attendant, on the customer's answer to a reminder")


def reminder_reply_turn(*, ctx: TurnContext) -> TurnOutcome | None:
    """The answer to a yes or no to the reminder the shop sent last, or
    None when the customer said something else (or nothing was asked)."""
    asked = next((m for m in ctx.recent if m.direction == Message.Direction.OUTBOUND), None)
    if asked is None or asked.data.get("asks") != "confirm_booking":
        return None
    parsed = parse_message(ctx.unanswered_words, now=timezone.localtime(ctx.now, shop_timezone()))
    booking = Booking.objects.filter(pk=asked.data.get("booking"), customer=ctx.customer,
                                     status__in=Booking.ACTIVE_STATUSES).select_related("service").first()  # fmt: skip
    if parsed.intent not in ANSWERS or booking is None:
        return None
    with translation.override("en" if parsed.language == "en" else "pt-br"):
        if parsed.intent == Intent.BOOK_CONFIRM:
            booking_confirm(booking=booking, actor=REMINDER_REPLY, now=ctx.now)
            return TurnOutcome(text=_("Confirmed! See you %(when)s.") % {"when": when(booking.start)})
        booking_cancel(
            booking=booking, reason="the customer said no to the reminder", actor=REMINDER_REPLY, now=ctx.now
        )
        return TurnOutcome(
            text=_("Done, %(service)s on %(when)s is cancelled. If you want another time, just tell me.")
            % {"service": booking.service.name, "when": when(booking.start)}
        )
