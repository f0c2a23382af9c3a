from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from oxy.phones import InvalidPhoneNumber, phone_to_e164

from .availability import shop_timezone
from .calendar import local_to_utc
from .models import Booking, BusinessHours, Closure, Customer, Service, Vaccination


def customer_list(*, search: str = "", tag: str = "") -> QuerySet[Customer]:
    customers = Customer.objects.all()
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


def customer_find_by_phone(*, phone: str) -> Customer | None:
    """The customer behind any spelling of a phone number."""
    try:
        return Customer.objects.filter(phone=phone_to_e164(phone)).first()
    except InvalidPhoneNumber:
        return None


def customers_inactive(*, since: datetime) -> QuerySet[Customer]:
    """Customers with no contact since then (never in touch: counted from when they were added)."""
    return Customer.objects.filter(
        Q(last_interaction_at__lt=since) | Q(last_interaction_at__isnull=True, created_at__lt=since)
    )


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
