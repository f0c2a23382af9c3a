from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from oxy.phones import InvalidPhoneNumber, phone_to_e164
from tenants.shop.models import AuditEntry
from whatsapp.models import Conversation, Message

from .availability import shop_timezone
from .calendar import WorkingCalendar, local_to_utc
from .models import (
    Booking,
    BusinessHours,
    Closure,
    ConsentRecord,
    Customer,
    Pet,
    Resource,
    ResourceHours,
    Service,
    Vaccination,
)


def customer_erased() -> Q:
    """An erased customer (LGPD) keeps its row, so that the shop's bookings
    and conversations still count, but nothing that names a person. Lists
    and searches leave it out."""
    return Q(erased_at__isnull=False)


def customer_is_erased(customer: Customer) -> bool:
    return Customer.objects.filter(pk=customer.pk, erased_at__isnull=False).exists()


def customer_consent_history(*, customer: Customer) -> QuerySet[ConsentRecord]:
    """Newest first."""
    return ConsentRecord.objects.filter(customer=customer).order_by("-created_at", "-pk")


def customer_list(*, search: str = "", tag: str = "") -> QuerySet[Customer]:
    customers = Customer.objects.exclude(customer_erased())
    if search:
        match = Q(name__icontains=search) | Q(email__icontains=search)
        try:
            match |= Q(phone=phone_to_e164(search))
        except InvalidPhoneNumber:
            digits = "".join(ch for ch in search if ch.isdigit())
            if digits:
                match |= Q(phone__contains=digits)
        customers = customers.filter(match)
    if tag:
        customers = customers.filter(tags__contains=[tag])
    return customers


def customers_inactive(*, since: datetime) -> QuerySet[Customer]:
    """Customers with no contact since then (never in touch: counted from when they were added)."""
    return Customer.objects.filter(
        Q(last_interaction_at__lt=since) | Q(last_interaction_at__isnull=True, created_at__lt=since)
    ).exclude(customer_erased())


def vaccinations_current() -> QuerySet[Vaccination]:
    """Each pet's latest dose of each vaccine (an earlier one was renewed)."""
    renewed = Vaccination.objects.filter(pet=OuterRef("pet"), vaccine=OuterRef("vaccine"),
                                         applied_on__gt=OuterRef("applied_on"))  # fmt: skip
    return Vaccination.objects.exclude(Exists(renewed))


def service_list(*, include_inactive: bool = False) -> QuerySet[Service]:
    services = Service.objects.prefetch_related("size_rules")
    return services if include_inactive else services.filter(active=True)


def booking_list(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    status: str | None = None,
    resource_id: int | None = None,
    customer_id: int | None = None,
) -> QuerySet[Booking]:
    bookings = Booking.objects.select_related("customer", "pet", "service", "resource")
    if start is not None:
        bookings = bookings.filter(end__gt=start)
    if end is not None:
        bookings = bookings.filter(start__lt=end)
    if status:
        bookings = bookings.filter(status=status)
    if resource_id:
        bookings = bookings.filter(resource_id=resource_id)
    if customer_id:
        bookings = bookings.filter(customer_id=customer_id)
    return bookings.order_by("start", "id")


def shop_next_opening(*, now: datetime) -> datetime | None:
    """When the shop next opens (aware, in its timezone), or None while it
    is open; None too when it has no business hours at all."""
    tz = shop_timezone()
    local_now = timezone.localtime(now, tz)
    hours: dict[int, list[BusinessHours]] = {}
    for interval in BusinessHours.objects.order_by("start"):
        hours.setdefault(interval.weekday, []).append(interval)
    if not hours:
        return None
    today = local_now.date()
    closed = list(
        Closure.objects.filter(resource=None, end_date__gte=today).values_list("start_date", "end_date")
    )  # fmt: skip
    for offset in range(60):
        day = today + timedelta(days=offset)
        if any(first <= day <= last for first, last in closed):
            continue
        for interval in hours.get(day.weekday(), []):
            start, end = local_to_utc(day, interval.start, tz), local_to_utc(day, interval.end, tz)
            if start is None or end is None or end <= now:
                continue
            return None if start <= now else start.astimezone(tz)
    return None


# -- the dashboard: agenda ------------------------------------------------------


@dataclass(frozen=True)
class AgendaPeriod:
    """What the agenda shows for some of the shop's local days."""

    days: list[date]
    resources: list[Resource]
    calendar: WorkingCalendar  # business hours ∩ each resource's hours, minus closures
    closures: list[Closure]
    bookings: list[Booking]  # every status, by start


def bookings_on_days(*, first_day: date, last_day: date, resource_id: int | None = None) -> QuerySet[Booking]:
    """Bookings overlapping these local days of the shop (both included)."""
    tz = shop_timezone()
    return booking_list(
        start=datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC),
        end=datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC),
        resource_id=resource_id,
    )


def working_calendar(*, closures: list[Closure]) -> WorkingCalendar:
    """When each resource works, with these closures (three small reads)."""
    business: dict[int, list] = defaultdict(list)
    for interval in BusinessHours.objects.all():
        business[interval.weekday].append((interval.start, interval.end))
    own: dict[int, dict[int, list]] = {}
    for interval in ResourceHours.objects.all():
        own.setdefault(interval.resource_id, defaultdict(list))[interval.weekday].append((interval.start, interval.end))
    by_resource: dict[int, list] = defaultdict(list)
    for closure in closures:
        if closure.resource_id:
            by_resource[closure.resource_id].append((closure.start_date, closure.end_date))
    shop_wide = [(closure.start_date, closure.end_date) for closure in closures if not closure.resource_id]
    return WorkingCalendar(shop_timezone(), business, own, shop_wide, by_resource)


def agenda_period(*, first_day: date, last_day: date, resource_id: int | None = None) -> AgendaPeriod:
    """The active resources (or the one asked for) and any other resource
    with a booking in the period, so that no booking is ever left out."""
    bookings = list(bookings_on_days(first_day=first_day, last_day=last_day, resource_id=resource_id))
    booked = {booking.resource_id for booking in bookings}
    if resource_id:
        resources = Resource.objects.filter(pk=resource_id)
    else:
        resources = Resource.objects.filter(Q(active=True) | Q(pk__in=booked))
    closures = list(Closure.objects.filter(start_date__lte=last_day, end_date__gte=first_day))
    days = [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    return AgendaPeriod(days, list(resources), working_calendar(closures=closures), closures, bookings)


def shop_opening(*, day: date) -> time | None:
    """When the shop opens on that local day by its business hours."""
    return BusinessHours.objects.filter(weekday=day.weekday()).order_by("start").values_list("start", flat=True).first()


def closures_current(*, today: date) -> QuerySet[Closure]:
    """Closures not over yet, soonest first."""
    return Closure.objects.filter(end_date__gte=today).select_related("resource").order_by("start_date", "id")


@dataclass(frozen=True)
class ServiceTermsForSize:
    service: Service
    minutes: int
    price: Decimal


def service_menu(*, size: str) -> list[ServiceTermsForSize]:
    """Each active service with its duration and price for a pet size."""
    menu = []
    for service in service_list():
        rule = next((rule for rule in service.size_rules.all() if rule.size == size), None)
        minutes, price = (rule.duration_minutes, rule.price) if rule else (service.duration_minutes, service.price)
        menu.append(ServiceTermsForSize(service, minutes, price))
    return menu


def customers_to_pick(*, search: str = "", limit: int = 20) -> list[Customer]:
    """Customers to choose from when booking: the matches, or the most recent."""
    customers = customer_list(search=search)
    if not search:
        customers = customers.order_by(F("last_interaction_at").desc(nulls_last=True), "-id")
    return list(customers[:limit])


# -- the dashboard: customers ---------------------------------------------------


def customer_directory(*, search: str = "") -> QuerySet[Customer]:
    """The customers page: each with their pets and last visit (the start of
    their latest completed booking)."""
    return (
        customer_list(search=search)
        .annotate(last_visit=Max("bookings__start", filter=Q(bookings__status=Booking.Status.COMPLETED)))
        .prefetch_related("pets")
        .order_by("name", "id")  # a GROUP BY drops the model's ordering
    )


@dataclass(frozen=True)
class PetRecord:
    pet: Pet
    vaccinations: list[Vaccination]  # newest first
    next_due: Vaccination | None  # the current dose due soonest


def customer_pets(*, customer: Customer) -> list[PetRecord]:
    """Each pet with its vaccinations and the next dose due (only each
    vaccine's latest dose counts: an earlier one was renewed)."""
    current = set(vaccinations_current().filter(pet__customer=customer).values_list("pk", flat=True))
    records = []
    for pet in customer.pets.prefetch_related("vaccinations"):
        vaccinations = list(pet.vaccinations.all())
        due = [v for v in vaccinations if v.pk in current and v.due_on]
        records.append(PetRecord(pet, vaccinations, min(due, key=lambda v: v.due_on) if due else None))
    return records


def customer_conversations(*, customer: Customer) -> QuerySet[Conversation]:
    return Conversation.objects.filter(customer=customer).select_related("channel").order_by(
        F("last_message_at").desc(nulls_last=True), "-id"
    )  # fmt: skip


def customer_erasure(*, customer: Customer) -> AuditEntry | None:
    """Who erased the customer and when (None: not erased)."""
    return AuditEntry.objects.filter(action="customer.erased", target=f"customer:{customer.pk}").first()


def customer_footprint(*, customer: Customer, now: datetime) -> dict[str, int]:
    """What erasing the customer would touch, for the confirmation page."""
    bookings = Booking.objects.filter(customer=customer)
    return {
        "upcoming": bookings.filter(status__in=Booking.ACTIVE_STATUSES, start__gt=now).count(),
        "bookings": bookings.count(),
        "pets": customer.pets.count(),
        "conversations": Conversation.objects.filter(customer=customer).count(),
        "messages": Message.objects.filter(conversation__customer=customer).count(),
    }
