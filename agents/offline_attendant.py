"""The offline attendant: when the LLM cannot answer, a deterministic
parser of Portuguese and English drives the same tools for the common paths
(greet, prices, free times, book, my bookings, cancel, a person, opt-out)
and hands everything else to a person, saying so."""

from datetime import timedelta

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from bookings.availability import shop_timezone
from bookings.models import ConsentRecord, Service
from bookings.selectors import shop_next_opening
from bookings.services.consent import customer_consent_record
from tenants.shop.models import ShopSettings
from whatsapp.models import Message

from .attendant import TurnOutcome
from .offline.parser import Intent, ParsedMessage, parse_message
from .tools import TurnContext, hand_over, list_services, my_bookings, tool_run

SERVICE_CATEGORIES = {"banho": "bath", "tosa": "grooming", "banho_e_tosa": "bath_grooming", "consulta": "vet",
                      "vacina": "vaccine"}  # fmt: skip


def offline_turn(*, ctx: TurnContext) -> TurnOutcome:
    parsed = parse_message(ctx.unanswered_words, now=timezone.localtime(ctx.now, shop_timezone()))
    with translation.override("en" if parsed.language == "en" else "pt-br"):
        handler = _HANDLERS.get(parsed.intent, _to_a_person)
        text = handler(ctx, parsed)
        if ctx.handed_over or parsed.intent == Intent.OPT_OUT:
            return TurnOutcome(text=text)  # a hand-over says when the team is back itself
        opening = "" if _said_recently(ctx) else _opening(ctx)
        if opening:
            text += "\n\n" + _("We are closed now and open %(when)s, but I can book for you here at any time.") % {
                "when": opening
            }
        return TurnOutcome(text=text)


def _opening(ctx: TurnContext) -> str:
    """When the shop opens next, in words ("tomorrow at 08:00"), or "" while it is open."""
    opens = shop_next_opening(now=ctx.now)
    if opens is None:
        return ""
    days_ahead = (opens.date() - timezone.localtime(ctx.now, shop_timezone()).date()).days
    day = {0: _("today"), 1: _("tomorrow")}.get(days_ahead) or date_format(opens, "l, d/m")
    if translation.get_language().startswith("pt"):
        day = day.lower()  # weekdays are not capitalized mid-sentence in Portuguese
    return _("%(day)s at %(time)s") % {"day": day, "time": f"{opens:%H:%M}"}


def _said_recently(ctx: TurnContext) -> bool:
    """The bot answered in the last hours: the customer already heard when we open."""
    since = ctx.now - timedelta(hours=3)
    return ctx.conversation.messages.filter(sender_kind="bot", created_at__gte=since).exists()


def _team_answers(ctx: TurnContext) -> str:
    opening = _opening(ctx)
    if opening:
        return _("Someone from the team will answer you here when we open, %(when)s.") % {"when": opening}
    return _("Someone from the team will answer you here shortly.")


def unheard_voice_turn(*, ctx: TurnContext, why: str) -> TurnOutcome:
    hand_over(ctx, reason=f"a voice note could not be transcribed ({why})")
    return TurnOutcome(text=_("I couldn't listen to your audio here; if you like, write it down for me.") + " "
                       + _team_answers(ctx))  # fmt: skip


def paused_turn(*, ctx: TurnContext) -> TurnOutcome:
    """The owner paused the attendant: the team answers every customer."""
    hand_over(ctx, reason="the attendant is paused")
    return TurnOutcome(text=_team_answers(ctx))


def media_only_turn(*, ctx: TurnContext) -> TurnOutcome:
    kinds = sorted({message.kind for message in ctx.unanswered})
    hand_over(ctx, reason=f"the customer sent {', '.join(kinds)} without text")
    return TurnOutcome(text=_("Thanks for sending it! I can't open pictures or files, so a person will look at it.")
                       + " " + _team_answers(ctx))  # fmt: skip


def _to_a_person(ctx: TurnContext, parsed: ParsedMessage) -> str:
    hand_over(ctx, reason="the offline attendant did not understand")
    return _("I'll pass you to a person.") + " " + _team_answers(ctx)


def _human(ctx: TurnContext, parsed: ParsedMessage) -> str:
    hand_over(ctx, reason="the customer asked for a person")
    return _("Of course!") + " " + _team_answers(ctx)


def _greet(ctx: TurnContext, parsed: ParsedMessage) -> str:
    shop = ShopSettings.objects.first()
    welcome = shop.welcome_message if shop else ""
    return welcome or _("Hello! I can tell you prices, find a free time and book for your pet.")


def _decline(ctx: TurnContext, parsed: ParsedMessage) -> str:
    return _("All right! Shall I look at another day or time?")


def _thanks(ctx: TurnContext, parsed: ParsedMessage) -> str:
    return _("You're welcome! Anything else, just write here.")


def _opt_out(ctx: TurnContext, parsed: ParsedMessage) -> str:
    said = ctx.unanswered[-1] if ctx.unanswered else None
    customer_consent_record(
        customer=ctx.customer, granted=False, source=ConsentRecord.Source.WHATSAPP, actor_label="customer",
        reference=f"message:{said.pk}" if said else "", now=ctx.now,
    )  # fmt: skip
    return _("Done: you will not receive promotions from us any more. You can still write here whenever you need.")


def _size(ctx: TurnContext, parsed: ParsedMessage) -> tuple[int | None, str | None]:
    pets = list(ctx.customer.pets.all()[:2])
    if len(pets) == 1:
        return pets[0].pk, None
    return None, parsed.pet_size_hint


def _prices(ctx: TurnContext, parsed: ParsedMessage) -> str:
    pet_id, size = _size(ctx, parsed)
    services = list_services(ctx, size=size, pet_id=pet_id)["services"]
    wanted = _service(parsed)
    if wanted:
        services = [s for s in services if s["service_id"] == wanted.pk] or services
    lines = [f"• {s['name']} ({s['size']}): R$ {s['price'].replace('.', ',')}, {s['minutes']} min" for s in services]
    return _("Our prices:") + "\n" + "\n".join(lines[:12])


def _service(parsed: ParsedMessage) -> Service | None:
    category = SERVICE_CATEGORIES.get(parsed.service_hint or "")
    return Service.objects.filter(category=category, active=True).order_by("pk").first() if category else None


def _slots(ctx: TurnContext, parsed: ParsedMessage) -> str:
    service = _service(parsed)
    if service is None:
        names = ", ".join(Service.objects.filter(active=True).order_by("name").values_list("name", flat=True))
        return _("Which service would you like? We have: %(names)s.") % {"names": names}
    pet_id, size = _size(ctx, parsed)
    if pet_id is None and size is None:
        return _("What size is your pet: small (P), medium (M), large (G) or giant (GG)?")
    today = timezone.localtime(ctx.now, shop_timezone()).date()
    first = parsed.day or today
    last = first if parsed.day else first + timedelta(days=3)
    found = tool_run(ctx, "find_free_slots", {"service_id": service.pk, "day_from": first.isoformat(),
                                              "day_to": last.isoformat(), "pet_id": pet_id, "size": size})  # fmt: skip
    slots = found.get("slots", [])
    if not slots:
        return _("No free times for %(service)s then. Would another day suit you?") % {"service": service.name}
    lines = [f"{n}) {slot['when']} — R$ {slot['price'].replace('.', ',')}" for n, slot in enumerate(slots, 1)]
    return (
        _("Free times for %(service)s:") % {"service": service.name} + "\n" + "\n".join(lines)
        + "\n" + _("Reply with the number of the time you want.")
    )  # fmt: skip


def _book(ctx: TurnContext, parsed: ParsedMessage) -> str:
    offers = _last_offers(ctx)
    choice = parsed.choice or (1 if len(offers) == 1 else None)
    if not offers or choice is None or not 1 <= choice <= len(offers):
        return _("Which time? Reply with its number, or ask me for free times.")
    pet_id, _size_hint = _size(ctx, parsed)
    if pet_id is None:
        return _to_a_person(ctx, parsed)  # several pets or none: a person sorts it out
    result = tool_run(ctx, "book_offer", {"offer_id": offers[choice - 1], "pet_id": pet_id})
    if "error" in result:
        return str(result["error"]) + "\n" + _("Ask me for free times again and choose another.")
    return _("Booked: %(service)s, %(when)s. See you then!") % {"service": result["service"], "when": result["when"]}


def _last_offers(ctx: TurnContext) -> list[str]:
    last = (
        ctx.conversation.messages.filter(direction=Message.Direction.OUTBOUND, sender_kind="bot")
        .order_by("-created_at", "-id").values_list("data", flat=True).first()
    )  # fmt: skip
    return [offer for offer in (last or {}).get("offers", []) if offer in ctx.offers_shown]


def _my_bookings(ctx: TurnContext, parsed: ParsedMessage) -> str:
    bookings = my_bookings(ctx)["bookings"]
    if not bookings:
        return _("You have no upcoming bookings.")
    lines = [f"{n}) {b['service']} — {b['when']}" for n, b in enumerate(bookings, 1)]
    return _("Your upcoming bookings:") + "\n" + "\n".join(lines)


def _cancel(ctx: TurnContext, parsed: ParsedMessage) -> str:
    bookings = my_bookings(ctx)["bookings"]
    if not bookings:
        return _("You have no upcoming bookings.")
    if len(bookings) > 1 and not parsed.choice:
        return _my_bookings(ctx, parsed) + "\n" + _('Which one should I cancel? Reply "cancel" and its number.')
    chosen = bookings[(parsed.choice or 1) - 1] if (parsed.choice or 1) <= len(bookings) else None
    if chosen is None:
        return _("There is no booking with that number.")
    result = tool_run(ctx, "cancel_booking", {"booking_id": chosen["booking_id"], "reason": "asked by the customer"})
    if "error" in result:
        return str(result["error"])
    return _("Cancelled: %(service)s, %(when)s.") % {"service": chosen["service"], "when": chosen["when"]}


_HANDLERS = {
    Intent.GREET: _greet, Intent.THANKS: _thanks, Intent.PRICES: _prices, Intent.SLOTS: _slots,
    Intent.BOOK_CONFIRM: _book, Intent.CHOOSE: _book, Intent.MY_BOOKINGS: _my_bookings, Intent.CANCEL: _cancel,
    Intent.HUMAN: _human, Intent.OPT_OUT: _opt_out, Intent.DECLINE: _decline,
}  # fmt: skip
