"""Booking from offers and directly: every check re-made at commit time,
every change audited."""

from datetime import date, timedelta

import pytest
from django_tenants.utils import tenant_context

from bookings.availability import find_slots
from bookings.errors import BookingError
from bookings.models import Booking, Closure, Service
from bookings.offers import Offer
from bookings.services import (
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_create,
    booking_create_from_offer,
    booking_mark_no_show,
    booking_reschedule,
    customer_get_or_create,
    pet_register,
    vaccination_record,
)
from tenants.shop.models import AuditEntry
from tests.fixtures.bookings import MONDAY, NOW, STAFF


def first_offer(service, pet, day=MONDAY) -> str:
    return find_slots(service=service, pet=pet, start=day, end=day, now=NOW)[0].offer_id


def refused(code: str):
    return pytest.raises(BookingError, match=".", check=lambda error: error.code == code)


def test_booking_an_offer_creates_a_pending_booking_and_audits_it(bath, customer, dog):
    slot = find_slots(service=bath, pet=dog, start=MONDAY, end=MONDAY, now=NOW)[0]

    booking = booking_create_from_offer(offer_id=slot.offer_id, customer=customer, pet=dog, actor=STAFF, now=NOW)

    assert (booking.start, booking.end, booking.price) == (slot.start, slot.end, slot.price)
    assert booking.status == Booking.Status.PENDING
    assert booking.source == Booking.Source.STAFF
    assert AuditEntry.objects.filter(action="booking.created", target=f"booking:{booking.pk}").exists()


def test_an_expired_offer_is_refused(bath, customer, dog):
    offer_id = first_offer(bath, dog)

    with refused("offer_expired"):
        booking_create_from_offer(
            offer_id=offer_id, customer=customer, pet=dog, actor=STAFF, now=NOW + timedelta(hours=1)
        )


@pytest.mark.parametrize("part", [1, 2, 3, 6])  # service, resource, start, expiry
def test_an_altered_offer_is_refused(bath, customer, dog, part):
    pieces = first_offer(bath, dog).split(".")
    pieces[part] = str(int(pieces[part]) + 1)

    with refused("offer_invalid"):
        booking_create_from_offer(offer_id=".".join(pieces), customer=customer, pet=dog, actor=STAFF, now=NOW)


def test_an_invented_offer_is_refused(bath, customer, dog, groomer):
    invented = Offer(bath.id, groomer.id, NOW + timedelta(days=1), "G", dog.id, NOW + timedelta(minutes=5)).encode()
    forged = invented.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAA"

    with refused("offer_invalid"):
        booking_create_from_offer(offer_id=forged, customer=customer, pet=dog, actor=STAFF, now=NOW)
    with refused("offer_invalid"):
        booking_create_from_offer(offer_id="tomorrow at ten please", customer=customer, pet=dog, actor=STAFF, now=NOW)


def test_an_offer_from_another_shop_is_refused(bath, customer, dog, beta):
    with tenant_context(beta):
        beta_bath = Service.objects.get(category="bath")
        beta_offer = find_slots(service=beta_bath, size="G", start=MONDAY, end=MONDAY, now=NOW)[0].offer_id

    with refused("offer_invalid"):
        booking_create_from_offer(offer_id=beta_offer, customer=customer, pet=dog, actor=STAFF, now=NOW)


def test_an_offer_is_rechecked_against_what_changed_since(bath, customer, dog):
    offer_id = first_offer(bath, dog)
    Closure.objects.create(start_date=MONDAY, end_date=MONDAY, reason="flood")

    with refused("closed"):
        booking_create_from_offer(offer_id=offer_id, customer=customer, pet=dog, actor=STAFF, now=NOW)

    Closure.objects.all().delete()
    bath.active = False
    bath.save()
    with refused("service_inactive"):
        booking_create_from_offer(offer_id=offer_id, customer=customer, pet=dog, actor=STAFF, now=NOW)


def test_an_offer_for_one_pet_cannot_book_another(bath, customer, dog):
    offer_id = first_offer(bath, dog)
    other = pet_register(customer=customer, name="Mel", species="dog", size="G", actor=STAFF)

    with refused("offer_pet_mismatch"):
        booking_create_from_offer(offer_id=offer_id, customer=customer, pet=other, actor=STAFF, now=NOW)


def test_a_pet_of_another_customer_cannot_be_booked(bath, groomer, dog):
    stranger, _ = customer_get_or_create(phone="+5521912345678", actor=STAFF)
    start = find_slots(service=bath, pet=dog, start=MONDAY, end=MONDAY, now=NOW)[0].start

    with refused("pet_not_customers"):
        booking_create(service=bath, resource=groomer, start=start, customer=stranger, pet=dog, actor=STAFF, now=NOW)


def test_species_and_required_vaccines_are_checked(bath, groomer, customer, dog):
    cat = pet_register(customer=customer, name="Nina", species="cat", size="P", actor=STAFF)
    bath.species_allowed, bath.vaccines_required = ["dog"], ["V10"]
    bath.save()
    start = find_slots(service=bath, pet=dog, start=MONDAY, end=MONDAY, now=NOW)[0].start
    book = dict(service=bath, resource=groomer, start=start, customer=customer, actor=STAFF, now=NOW)

    with refused("species_not_allowed"):
        booking_create(pet=cat, **book)
    with refused("vaccine_missing"):
        booking_create(pet=dog, **book)
    vaccination_record(pet=dog, vaccine="V10", applied_on=date(2029, 1, 10), due_on=date(2030, 1, 10), actor=STAFF)
    with refused("vaccine_missing"):  # expired before the appointment
        booking_create(pet=dog, **book)

    vaccination_record(pet=dog, vaccine="v10", applied_on=date(2030, 1, 20), due_on=date(2031, 1, 20), actor=STAFF)
    assert booking_create(pet=dog, **book).pk


def test_direct_bookings_get_the_same_checks(bath, groomer, customer, dog):
    book = dict(service=bath, resource=groomer, customer=customer, pet=dog, actor=STAFF, now=NOW)
    monday = find_slots(service=bath, pet=dog, start=MONDAY, end=MONDAY, now=NOW)[0].start

    with refused("in_past"):
        booking_create(start=NOW - timedelta(hours=1), **book)
    with refused("too_soon"):
        booking_create(start=NOW + timedelta(minutes=30), **book)
    with refused("too_far"):
        booking_create(start=monday + timedelta(days=70), **book)
    with refused("outside_hours"):
        booking_create(start=monday.replace(hour=23), **book)  # 20:00 local
    booking_create(start=monday, **book)
    with refused("slot_taken"):
        booking_create(start=monday + timedelta(minutes=30), **book)


def test_the_lifecycle_confirm_reschedule_complete(bath, customer, dog):
    booking = booking_create_from_offer(
        offer_id=first_offer(bath, dog), customer=customer, pet=dog, actor=STAFF, now=NOW
    )

    booking = booking_confirm(booking=booking, actor=STAFF, now=NOW)
    tuesday_offer = first_offer(bath, dog, day=MONDAY + timedelta(days=1))
    booking = booking_reschedule(booking=booking, offer_id=tuesday_offer, actor=STAFF, now=NOW)
    assert booking.start.date() == MONDAY + timedelta(days=1)
    assert booking.status == Booking.Status.CONFIRMED

    with refused("not_started"):
        booking_complete(booking=booking, actor=STAFF, now=NOW)
    booking = booking_complete(booking=booking, actor=STAFF, now=booking.end)
    assert booking.status == Booking.Status.COMPLETED
    actions = set(AuditEntry.objects.filter(target=f"booking:{booking.pk}").values_list("action", flat=True))
    assert actions == {"booking.created", "booking.confirm", "booking.rescheduled", "booking.complete"}


def test_rescheduling_onto_its_own_time_is_not_a_collision(bath, groomer, customer, dog):
    booking = booking_create_from_offer(
        offer_id=first_offer(bath, dog), customer=customer, pet=dog, actor=STAFF, now=NOW
    )

    moved = booking_reschedule(booking=booking, start=booking.start + timedelta(minutes=30), actor=STAFF, now=NOW)

    assert moved.start == booking.start + timedelta(minutes=30)


def test_cancel_is_idempotent_and_final(bath, customer, dog):
    booking = booking_create_from_offer(
        offer_id=first_offer(bath, dog), customer=customer, pet=dog, actor=STAFF, now=NOW
    )

    booking_cancel(booking=booking, reason="sick dog", actor=STAFF, now=NOW)
    again = booking_cancel(booking=booking, reason="retry", actor=STAFF, now=NOW)

    assert again.status == Booking.Status.CANCELLED
    assert again.cancellation_reason == "sick dog"
    with refused("invalid_transition"):
        booking_confirm(booking=booking, actor=STAFF, now=NOW)
    with refused("invalid_transition"):
        booking_mark_no_show(booking=booking, actor=STAFF, now=booking.end)


@pytest.mark.parametrize(
    "spelling",
    ["+55 11 98765-4321", "(11) 98765-4321", "11987654321", "5511987654321", "+55 11 8765-4321", "551187654321"],
)
def test_every_spelling_of_a_number_is_one_customer(customer, spelling):
    found, created = customer_get_or_create(phone=spelling, actor=STAFF)

    assert not created
    assert found.pk == customer.pk


def test_a_landline_keeps_its_eight_digits(agenda):
    landline, _ = customer_get_or_create(phone="(11) 3456-7890", actor=STAFF)

    assert landline.phone == "+551134567890"
