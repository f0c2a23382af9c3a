"""What the attendant can do, as typed tools with JSON-schema arguments.
What they say is for the model (in English); it speaks to the customer.

Every tool runs for one shop (the schema the turn runs in) and one customer
(the conversation's): ids from the model are looked up among this
customer's own pets and bookings, so a customer's agent can neither see nor
change anyone else's. A booking needs a server-issued offer that was shown
to the customer in an earlier message: the model cannot invent a slot, nor
book one the customer has not seen. Errors go back to the model as text.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from itertools import takewhile

from django.contrib.postgres.search import SearchQuery
from django.db import transaction
from django.utils import timezone

from bookings.availability import find_slots, shop_timezone
from bookings.errors import BookingError
from bookings.models import Booking, BusinessHours, Customer, Pet, PetSize, Service, Species
from bookings.selectors import booking_list
from bookings.services import booking_cancel, booking_create_from_offer, booking_reschedule, pet_register
from tenants.shop.services import Actor
from whatsapp.models import Conversation, Message
from whatsapp.services.conversations import conversation_hand_over

from .models import AgentSettings, FaqEntry

AI = Actor("ai", "attendant")
MAX_SLOTS = 6
WEEKDAY_NAMES = ["segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"]


@dataclass
class TurnContext:
    conversation: Conversation
    customer: Customer
    now: datetime
    recent: list[Message] = field(default_factory=list)  # the conversation's latest messages, newest first
    new_offers: list[str] = field(default_factory=list)
    new_actions: list[str] = field(default_factory=list)  # what Aurora proposed this turn, to be confirmed
    handed_over: str = ""  # the reason, once the turn handed over
    _tool_writes_from: str | None = field(default=None, repr=False)  # savepoint before the first tool ran

    def tool_writes_begin(self) -> None:
        """Mark where this turn's tool writes begin (once), so a turn whose
        LLM fails later leaves none behind. A turn that runs no tool, the
        common one, pays for no savepoint."""
        if self._tool_writes_from is None:
            self._tool_writes_from = transaction.savepoint()

    def tool_writes_undo(self) -> None:
        if self._tool_writes_from is not None:
            transaction.savepoint_rollback(self._tool_writes_from)
            self._tool_writes_from = None

    @cached_property
    def unanswered(self) -> list[Message]:
        """What the customer wrote since the shop last answered, oldest first (a burst is read together)."""
        inbound = Message.Direction.INBOUND
        return list(takewhile(lambda message: message.direction == inbound, self.recent[:10]))[::-1]

    @cached_property
    def offers_shown(self) -> set[str]:
        """Offer ids the bot's last few messages showed the customer."""
        return self._bot_showed("offers", last=5)

    @cached_property
    def actions_shown(self) -> set[str]:
        """Actions Aurora's last few messages proposed, which the owner may confirm."""
        return self._bot_showed("actions", last=3)

    def _bot_showed(self, key: str, *, last: int) -> set[str]:
        said = [m for m in self.recent if m.direction == Message.Direction.OUTBOUND and m.sender_kind == "bot"]
        return {item for message in said[:last] for item in message.data.get(key, [])}

    @property
    def unanswered_words(self) -> str:
        return "\n".join(message.words for message in self.unanswered if message.words)


class ToolError(Exception):
    """Said back to the model, which explains it to the customer."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict
    run: Callable[..., dict]

    def schema(self) -> dict:
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}  # fmt: skip


def params(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


_SIZE = {"type": "string", "enum": list(PetSize.values), "description": "P, M, G or GG"}
DAY = {"type": "string", "description": "YYYY-MM-DD, the shop's local day"}


def _local(moment: datetime) -> str:
    local = timezone.localtime(moment, shop_timezone())
    return f"{WEEKDAY_NAMES[local.weekday()]} {local:%d/%m %H:%M}"


def _own_pet(ctx: TurnContext, pet_id: int | None) -> Pet | None:
    if pet_id is None:
        return None
    pet = Pet.objects.filter(pk=pet_id, customer=ctx.customer).first()
    if pet is None:
        raise ToolError("No pet with that id for this customer.")
    return pet


def _own_booking(ctx: TurnContext, booking_id: int) -> Booking:
    booking = Booking.objects.filter(pk=booking_id, customer=ctx.customer).select_related("service", "pet").first()
    if booking is None:
        raise ToolError("No booking with that id for this customer.")
    return booking


def list_services(ctx: TurnContext, size: str | None = None, pet_id: int | None = None) -> dict:
    pet = _own_pet(ctx, pet_id)
    size = pet.size if pet else size
    services = []
    for service in Service.objects.filter(active=True).prefetch_related("size_rules").order_by("name"):
        rules = {rule.size: rule for rule in service.size_rules.all()}
        sizes = [size] if size else sorted(rules) or [None]
        for each in sizes:
            rule = rules.get(each)
            services.append({
                "service_id": service.pk, "name": service.name, "size": each,
                "price": str(rule.price if rule else service.price),
                "minutes": rule.duration_minutes if rule else service.duration_minutes,
            })  # fmt: skip
    return {"services": services}


def register_pet(ctx: TurnContext, name: str, species: str, size: str, breed: str = "") -> dict:
    if species not in Species.values or size not in PetSize.values:
        raise ToolError("Species or size not understood.")
    pet = pet_register(customer=ctx.customer, name=name.strip()[:80], species=species, size=size,
                       breed=breed.strip()[:80], actor=AI)  # fmt: skip
    return {"pet_id": pet.pk, "name": pet.name}


def find_free_slots(ctx: TurnContext, service_id: int, day_from: str, day_to: str | None = None,
                    pet_id: int | None = None, size: str | None = None) -> dict:  # fmt: skip
    service = Service.objects.filter(pk=service_id, active=True).first()
    if service is None:
        raise ToolError("No such service.")
    pet = _own_pet(ctx, pet_id)
    if pet is None and size is None:
        raise ToolError("Ask which pet (or its size) first.")
    try:
        start = date.fromisoformat(day_from)
        end = date.fromisoformat(day_to) if day_to else start
    except ValueError as exc:
        raise ToolError("Days must be YYYY-MM-DD.") from exc
    end = min(end, start + timedelta(days=13))
    slots = find_slots(service=service, start=start, end=end, pet=pet, size=None if pet else size, now=ctx.now)
    # Spread over the window: the first free times of each day, not only the first day.
    chosen, per_day = [], {}
    for slot in slots:
        day = timezone.localtime(slot.start, shop_timezone()).date()
        if per_day.get(day, 0) < 2 and len(chosen) < MAX_SLOTS:
            chosen.append(slot)
            per_day[day] = per_day.get(day, 0) + 1
    ctx.new_offers += [slot.offer_id for slot in chosen]
    return {"slots": [{"offer_id": s.offer_id, "when": _local(s.start), "price": str(s.price)} for s in chosen],
            "note": "Show these to the customer; book only the one they accept."}  # fmt: skip


def book_offer(ctx: TurnContext, offer_id: str, pet_id: int | None = None) -> dict:
    if offer_id not in ctx.offers_shown:
        raise ToolError("This slot was not shown to the customer yet: show it and wait for their yes.")
    booking = booking_create_from_offer(offer_id=offer_id, customer=ctx.customer, pet=_own_pet(ctx, pet_id),
                                        actor=AI, now=ctx.now)  # fmt: skip
    return {"booking_id": booking.pk, "when": _local(booking.start), "service": booking.service.name,
            "price": str(booking.price)}  # fmt: skip


def my_bookings(ctx: TurnContext) -> dict:
    upcoming = booking_list(start=ctx.now, customer_id=ctx.customer.pk).filter(status__in=Booking.ACTIVE_STATUSES)
    return {"bookings": [{"booking_id": b.pk, "when": _local(b.start), "service": b.service.name,
                          "pet": b.pet.name if b.pet else "", "status": b.status} for b in upcoming[:10]]}  # fmt: skip


def reschedule_booking(ctx: TurnContext, booking_id: int, offer_id: str) -> dict:
    if offer_id not in ctx.offers_shown:
        raise ToolError("This slot was not shown to the customer yet: show it and wait for their yes.")
    booking = booking_reschedule(booking=_own_booking(ctx, booking_id), offer_id=offer_id, actor=AI, now=ctx.now)
    return {"booking_id": booking.pk, "when": _local(booking.start)}


def cancel_booking(ctx: TurnContext, booking_id: int, reason: str = "") -> dict:
    booking = booking_cancel(booking=_own_booking(ctx, booking_id), reason=reason or "asked by the customer",
                             actor=AI, now=ctx.now)  # fmt: skip
    return {"booking_id": booking.pk, "status": booking.status}


def business_info(ctx: TurnContext, question: str = "") -> dict:
    settings = AgentSettings.objects.first()
    hours = [f"{WEEKDAY_NAMES[h.weekday]} {h.start:%H:%M}-{h.end:%H:%M}" for h in BusinessHours.objects.all()]
    answers = []
    if question.strip():
        query = SearchQuery(question, config="portuguese", search_type="websearch")
        answers = [{"question": f.question, "answer": f.answer} for f in FaqEntry.objects.filter(search=query)[:3]]
    return {"address": settings.address if settings else "", "policies": settings.policies if settings else "",
            "hours": hours, "answers": answers}  # fmt: skip


def hand_over(ctx: TurnContext, reason: str) -> dict:
    conversation_hand_over(conversation_id=ctx.conversation.pk, actor=AI, reason=reason or "asked", at=ctx.now)
    ctx.handed_over = reason or "asked"
    return {"handed_over": True, "note": "Tell the customer a person will answer shortly."}


TOOLS = [
    Tool("list_services", "Services with price and duration, for a pet or a size.",
         params({"pet_id": {"type": "integer"}, "size": _SIZE}), list_services),
    Tool("register_pet", "Register the customer's pet.",
         params({"name": {"type": "string"}, "species": {"type": "string", "enum": list(Species.values)},
                  "size": _SIZE, "breed": {"type": "string"}}, ("name", "species", "size")), register_pet),
    Tool("find_free_slots", "Free times for a service between two days (at most 14 days).",
         params({"service_id": {"type": "integer"}, "day_from": DAY, "day_to": DAY, "pet_id": {"type": "integer"},
                  "size": _SIZE}, ("service_id", "day_from")), find_free_slots),
    Tool("book_offer", "Book a slot the customer accepted, by its offer_id.",
         params({"offer_id": {"type": "string"}, "pet_id": {"type": "integer"}}, ("offer_id",)), book_offer),
    Tool("my_bookings", "The customer's upcoming bookings.", params({}), my_bookings),
    Tool("reschedule_booking", "Move a booking to a slot the customer accepted.",
         params({"booking_id": {"type": "integer"}, "offer_id": {"type": "string"}}, ("booking_id", "offer_id")),
         reschedule_booking),
    Tool("cancel_booking", "Cancel one of the customer's bookings.",
         params({"booking_id": {"type": "integer"}, "reason": {"type": "string"}}, ("booking_id",)), cancel_booking),
    Tool("business_info", "Address, opening hours, policies and the shop's answers to common questions.",
         params({"question": {"type": "string"}}), business_info),
    Tool("hand_over", "Pass the conversation to a person (say why).",
         params({"reason": {"type": "string"}}, ("reason",)), hand_over),
]  # fmt: skip
TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}


def tool_run(ctx: TurnContext, name: str, arguments: dict | None, tools: dict[str, Tool] = TOOLS_BY_NAME) -> dict:
    """Run a tool; anything refused comes back as {"error": ...} for the model."""
    tool = tools.get(name)
    if tool is None:
        return {"error": f"unknown tool {name}"}
    if arguments is None:
        return {"error": "arguments were not valid JSON"}
    ctx.tool_writes_begin()
    try:
        return tool.run(ctx, **arguments)
    except (ToolError, BookingError) as exc:
        return {"error": str(exc)}
    except TypeError as exc:  # missing or unexpected arguments
        return {"error": f"bad arguments: {exc}"}
