"""Default data for a new shop, by vertical.

Apps add their own seeders (`@seeder`) and provisioning runs all of them,
in registration order, inside the new shop's schema and transaction;
`@demo_seeder`s add what makes the demo shop look lived-in.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import override

from .models import Organization

Seeder = Callable[[Organization], None]
_seeders: list[Seeder] = []
_demo_seeders: list[Seeder] = []


def seeder(func: Seeder) -> Seeder:
    _seeders.append(func)
    return func


def demo_seeder(func: Seeder) -> Seeder:
    """Extra data for the demo shop only (customers, pets, bookings)."""
    _demo_seeders.append(func)
    return func


def shop_seed(organization: Organization) -> None:
    for seed in _seeders:
        seed(organization)


def demo_seed(organization: Organization) -> None:
    for seed in _demo_seeders:
        seed(organization)


@seeder
def seed_shop_settings(organization: Organization) -> None:
    from .shop.models import ShopSettings

    with override("pt-br"):
        if organization.vertical == Organization.Vertical.VET_CLINIC:
            welcome = _("Hello! This is %(shop)s's virtual assistant. How can I help you and your pet today?")
        else:
            welcome = _("Hi! This is %(shop)s. Want to book a bath, grooming or a vet visit for your pet?")
        ShopSettings.objects.update_or_create(
            singleton=True,
            defaults={"assistant_name": "Oxy", "welcome_message": welcome % {"shop": organization.name}},
        )
