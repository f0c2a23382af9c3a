"""Fifty customers press "book" on the same slot at the same moment, each
request on its own database connection: exactly one gets it."""

import threading

from django.db import connection
from django_tenants.utils import tenant_context

from bookings.availability import find_slots
from bookings.errors import BookingError
from bookings.models import Booking, Customer, Service
from bookings.services import booking_create_from_offer, customer_get_or_create, pet_register
from tenants.shop.models import AuditEntry
from tests.fixtures.bookings import MONDAY, NOW, STAFF

ATTEMPTS = 50


def test_fifty_concurrent_bookings_of_one_slot_give_one_booking(committed_alpha):
    alpha = committed_alpha
    with tenant_context(alpha):
        first_audit_id = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
        customers = [
            customer_get_or_create(phone=f"+55119{70000000 + n:08d}", name=f"Customer {n}", actor=STAFF)[0]
            for n in range(ATTEMPTS)
        ]
        pets = [pet_register(customer=c, name="Rex", species="dog", size="G", actor=STAFF) for c in customers]
        bath = Service.objects.get(category="bath")
        slot = find_slots(service=bath, size="G", start=MONDAY, end=MONDAY, now=NOW)[0]

    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        try:
            with tenant_context(alpha):
                barrier.wait(timeout=30)
                booking_create_from_offer(
                    offer_id=slot.offer_id, customer=customers[n], pet=pets[n], actor=STAFF, now=NOW
                )
            outcomes.append("booked")
        except BookingError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(outcomes) == ["booked"] + ["slot_taken"] * (ATTEMPTS - 1)
        with tenant_context(alpha):
            assert Booking.objects.filter(start=slot.start, resource_id=slot.resource_id).count() == 1
    finally:
        with tenant_context(alpha):
            Booking.objects.filter(customer__in=customers).delete()
            for pet in pets:
                pet.delete()
            Customer.objects.filter(pk__in=[c.pk for c in customers]).delete()
            AuditEntry.objects.filter(id__gt=first_audit_id or 0).delete()
