"""A lived-in agenda for the demo shop: a few customers, pets and bookings."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from tenants.shop.services import Actor

from .availability import shop_timezone
from .models import Customer, Resource, Service
from .services import booking_confirm, booking_create, customer_get_or_create, pet_register, vaccination_record

DEMO_CUSTOMERS = [
    ("Maria Silva", "+5511988880001", [("Thor", "dog", "G", "Golden retriever")]),
    ("João Pereira", "+5511988880002", [("Mel", "dog", "P", "Shih-tzu"), ("Nina", "cat", "P", "SRD")]),
    ("Ana Costa", "+5511988880003", [("Bidu", "dog", "M", "Beagle")]),
]


def demo_agenda_seed() -> None:
    if Customer.objects.exists():
        return
    actor = Actor.system("demo")
    tz = shop_timezone()
    services = {service.category: service for service in Service.objects.all()}
    resource = Resource.objects.order_by("id").first()
    day = _next_weekday(timezone.now().astimezone(tz).date() + timedelta(days=1))
    hour = 9
    for name, phone, pets in DEMO_CUSTOMERS:
        customer, _created = customer_get_or_create(phone=phone, name=name, actor=actor)
        for pet_name, species, size, breed in pets:
            pet = pet_register(customer=customer, name=pet_name, species=species, size=size, breed=breed, actor=actor)
            vaccination_record(
                pet=pet, vaccine="V10" if species == "dog" else "V4", actor=actor,
                applied_on=day - timedelta(days=200), due_on=day + timedelta(days=165),
            )  # fmt: skip
            booking = booking_create(
                service=services[Service.Category.BATH],
                resource=resource,
                start=datetime.combine(day, time(hour), tzinfo=tz),
                customer=customer,
                pet=pet,
                actor=actor,
            )
            if hour < 13:  # the later ones still wait for the customer's yes
                booking_confirm(booking=booking, actor=actor)
            hour += 2


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
