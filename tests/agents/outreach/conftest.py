"""Outreach fixtures: alpha's connected sandbox channel, Maria and her dog
Thor, and a booking the team makes on a known Monday (São Paulo, UTC-3)."""

from datetime import UTC, datetime

import pytest
import time_machine

from agents.outreach.followups import followups_run
from bookings.models import Booking
from bookings.services import booking_create
from tests.fixtures.bookings import STAFF
from whatsapp.models import Message


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2030 in São Paulo (UTC-3): the 4th is a Monday."""
    return datetime(2030, 3, day, hour + 3, minute, tzinfo=UTC)


def run_at(moment: datetime) -> dict[str, int]:
    with time_machine.travel(moment, tick=False):
        return followups_run(now=moment)


def sent_to(customer) -> list[Message]:
    return list(Message.objects.filter(conversation__customer=customer, direction="out").order_by("created_at", "id"))


@pytest.fixture
def book(shop, bath, groomer, customer, dog):
    """The team books Thor's bath at a local time, at another local time."""

    def make(start: datetime, *, at: datetime) -> Booking:
        with time_machine.travel(at, tick=False):
            return booking_create(service=bath, resource=groomer, start=start, customer=customer, pet=dog,
                                  actor=STAFF, now=at)  # fmt: skip

    return make
