"""What a new pet shop or vet clinic can book from minute one: business
hours (Mon-Fri 08:00-18:00, Sat 08:00-12:00), one resource, and a starter
catalogue priced and timed by pet size."""

from datetime import time
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from tenants.models import Organization
from tenants.seeding import demo_seeder, seeder

from .models import BookingSettings, BusinessHours, PetSize, Resource, Service, ServiceSizeRule, Species

P, M, G, GG = PetSize.SMALL, PetSize.MEDIUM, PetSize.LARGE, PetSize.GIANT

# name, category, buffer, species, vaccines, {size: (minutes, price)}
STARTER_CATALOGUE = [
    (gettext_noop("Bath"), Service.Category.BATH, 10, [Species.DOG, Species.CAT], [],
     {P: (45, "50.00"), M: (60, "65.00"), G: (75, "85.00"), GG: (90, "110.00")}),
    (gettext_noop("Grooming"), Service.Category.GROOMING, 10, [Species.DOG, Species.CAT], [],
     {P: (60, "70.00"), M: (75, "90.00"), G: (90, "115.00"), GG: (120, "150.00")}),
    (gettext_noop("Bath and grooming"), Service.Category.BATH_AND_GROOMING, 15, [Species.DOG, Species.CAT], [],
     {P: (90, "100.00"), M: (105, "130.00"), G: (120, "165.00"), GG: (150, "210.00")}),
    (gettext_noop("Vet consultation"), Service.Category.VET, 0, [], [],
     {P: (30, "150.00"), M: (30, "150.00"), G: (30, "150.00"), GG: (30, "150.00")}),
    (gettext_noop("Vaccination"), Service.Category.VACCINATION, 0, [], [],
     {P: (15, "90.00"), M: (15, "90.00"), G: (15, "90.00"), GG: (15, "90.00")}),
]  # fmt: skip

OPENING_HOURS = [(weekday, time(8), time(18)) for weekday in range(5)] + [(5, time(8), time(12))]


@seeder
def seed_agenda(organization: Organization) -> None:
    BookingSettings.objects.get_or_create(singleton=True)
    for weekday, start, end in OPENING_HOURS:
        BusinessHours.objects.get_or_create(weekday=weekday, start=start, defaults={"end": end})
    with override("pt-br"):
        resource_name = _("Vet") if organization.vertical == Organization.Vertical.VET_CLINIC else _("Groomer")
        resource, _created = Resource.objects.get_or_create(name=resource_name)
        for name, category, buffer, species, vaccines, by_size in STARTER_CATALOGUE:
            default_minutes, default_price = by_size[M]
            service, _created = Service.objects.get_or_create(
                name=_(name),
                defaults={
                    "category": category,
                    "duration_minutes": default_minutes,
                    "price": Decimal(default_price),
                    "buffer_after_minutes": buffer,
                    "species_allowed": species,
                    "vaccines_required": vaccines,
                },
            )
            for size, (minutes, price) in by_size.items():
                ServiceSizeRule.objects.get_or_create(
                    service=service, size=size, defaults={"duration_minutes": minutes, "price": Decimal(price)}
                )
            resource.services.add(service)


@demo_seeder
def seed_demo_agenda(organization: Organization) -> None:
    from .demo import demo_agenda_seed

    demo_agenda_seed()
