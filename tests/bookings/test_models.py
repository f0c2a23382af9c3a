"""The database itself keeps the agenda consistent, whatever code writes to it."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from bookings.models import Booking
from tests.fixtures.bookings import NOW


def raw_booking(customer, bath, groomer, *, start, minutes=60, buffer=10, status="pending") -> Booking:
    return Booking.objects.create(
        customer=customer, service=bath, resource=groomer, start=start, end=start + timedelta(minutes=minutes),
        occupied_until=start + timedelta(minutes=minutes + buffer), status=status, source="staff", created_by="test",
        cancelled_at=NOW if status == "cancelled" else None,
    )  # fmt: skip


def test_overlapping_active_bookings_of_one_resource_are_impossible(customer, bath, groomer):
    start = NOW + timedelta(days=1)
    raw_booking(customer, bath, groomer, start=start)

    # the buffer counts: starting at the end of the first (but inside its buffer) collides
    with pytest.raises(IntegrityError, match="booking_no_overlap_per_resource"), transaction.atomic():
        raw_booking(customer, bath, groomer, start=start + timedelta(minutes=65))

    # right after the buffer is fine
    raw_booking(customer, bath, groomer, start=start + timedelta(minutes=70))


def test_cancelled_bookings_do_not_hold_the_slot(customer, bath, groomer):
    start = NOW + timedelta(days=1)
    raw_booking(customer, bath, groomer, start=start, status="cancelled")

    assert raw_booking(customer, bath, groomer, start=start).pk


def test_a_booking_cannot_end_before_it_starts(customer, bath, groomer):
    with pytest.raises(IntegrityError, match="booking_end_after_start"), transaction.atomic():
        raw_booking(customer, bath, groomer, start=NOW, minutes=-30, buffer=40)
