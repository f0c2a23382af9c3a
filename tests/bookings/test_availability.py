"""Free slots honour hours, closures, buffers, notice, horizon, pet size,
resource skills and hours, and stay correct across midnight and daylight
saving. Alpha is a São Paulo pet shop open Mon-Fri 08-18 and Sat 08-12;
"now" is Monday 2030-03-04 06:00 local."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookings.availability import find_slots
from bookings.models import BookingSettings, BusinessHours, Closure, Resource, ResourceHours, Service
from bookings.services import booking_create
from tests.fixtures.bookings import MONDAY, NOW, STAFF

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def local_starts(slots, tz=SAO_PAULO) -> list[str]:
    return [slot.start.astimezone(tz).strftime("%a %H:%M") for slot in slots]


def at(day: date, hour: int, minute: int = 0, tz=SAO_PAULO) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def test_slots_follow_business_hours_on_the_grid(bath):
    slots = find_slots(service=bath, size="G", start=MONDAY, end=MONDAY, now=NOW)

    # a large dog's bath takes 75 min, so 16:30 is the last start before 18:00
    assert local_starts(slots) == [f"Mon {h:02d}:{m:02d}" for h in range(8, 17) for m in (0, 30)]
    assert all(slot.end - slot.start == timedelta(minutes=75) for slot in slots)


def test_saturday_closes_at_noon_and_sunday_is_closed(bath):
    saturday, sunday = MONDAY + timedelta(days=5), MONDAY + timedelta(days=6)

    slots = find_slots(service=bath, size="G", start=saturday, end=sunday, now=NOW)

    assert local_starts(slots) == ["Sat 08:00", "Sat 08:30", "Sat 09:00", "Sat 09:30", "Sat 10:00", "Sat 10:30"]


def test_duration_and_price_depend_on_the_pet_size(bath):
    small = find_slots(service=bath, size="P", start=MONDAY, end=MONDAY, now=NOW)
    giant = find_slots(service=bath, size="GG", start=MONDAY, end=MONDAY, now=NOW)

    assert local_starts(small)[-1] == "Mon 17:00"  # 45 min
    assert local_starts(giant)[-1] == "Mon 16:30"  # 90 min
    assert {slot.price for slot in small} == {bath.size_rules.get(size="P").price}
    assert {slot.price for slot in giant} == {bath.size_rules.get(size="GG").price}


def test_a_size_without_a_rule_uses_the_service_defaults(agenda):
    service = Service.objects.create(name="Nail trim", category="other", duration_minutes=20, price="30.00")
    service.resources.add(Resource.objects.get())

    slots = find_slots(service=service, size="M", start=MONDAY, end=MONDAY, now=NOW)

    assert slots[0].end - slots[0].start == timedelta(minutes=20)
    assert str(slots[0].price) == "30.00"


def test_existing_bookings_block_their_time_plus_the_buffer(bath, groomer, customer, dog):
    # given a large dog's bath at 10:00: busy until 11:15, plus a 10 min buffer
    booking_create(
        service=bath, resource=groomer, start=at(MONDAY, 10), customer=customer, pet=dog, actor=STAFF, now=NOW
    )

    slots = local_starts(find_slots(service=bath, size="G", start=MONDAY, end=MONDAY, now=NOW))

    assert "Mon 08:30" in slots  # ends 09:45, buffer until 09:55
    for blocked in ("Mon 09:00", "Mon 09:30", "Mon 10:00", "Mon 10:30", "Mon 11:00"):
        assert blocked not in slots
    assert "Mon 11:30" in slots


def test_cancelled_bookings_free_their_slot(bath, groomer, customer, dog):
    from bookings.services import booking_cancel

    booking = booking_create(
        service=bath, resource=groomer, start=at(MONDAY, 10), customer=customer, pet=dog, actor=STAFF, now=NOW
    )
    booking_cancel(booking=booking, reason="customer asked", actor=STAFF, now=NOW)

    assert "Mon 10:00" in local_starts(find_slots(service=bath, size="G", start=MONDAY, end=MONDAY, now=NOW))


def test_shop_closures_remove_whole_days_and_resource_closures_only_that_resource(bath, groomer):
    second = Resource.objects.create(name="Second groomer")
    second.services.add(bath)
    Closure.objects.create(start_date=MONDAY, end_date=MONDAY, reason="Carnaval")
    tuesday = MONDAY + timedelta(days=1)
    Closure.objects.create(start_date=tuesday, end_date=tuesday, reason="vacation", resource=groomer)

    slots = find_slots(service=bath, size="G", start=MONDAY, end=MONDAY + timedelta(days=1), now=NOW)

    assert not [s for s in slots if s.start.astimezone(SAO_PAULO).date() == MONDAY]
    assert {slot.resource_id for slot in slots} == {second.id}


def test_minimum_notice_and_horizon(bath):
    settings_row = BookingSettings.objects.get()
    settings_row.min_notice_minutes, settings_row.horizon_days = 120, 3
    settings_row.save()
    now = at(MONDAY, 7, 15).astimezone(UTC)

    slots = find_slots(service=bath, size="G", start=MONDAY, end=MONDAY + timedelta(days=10), now=now)

    assert local_starts(slots)[0] == "Mon 09:30"  # 07:15 + 2 h, on the grid
    assert max(slot.start for slot in slots) <= now + timedelta(days=3)


def test_only_resources_that_do_the_service_are_offered(bath, groomer):
    vet = Resource.objects.create(name="Dr. Ana", kind="vet")
    vet.services.add(Service.objects.get(category="vet"))

    slots = find_slots(service=bath, size="G", start=MONDAY, end=MONDAY, now=NOW)

    assert {slot.resource_id for slot in slots} == {groomer.id}
    assert find_slots(service=bath, size="G", start=MONDAY, end=MONDAY, resource_id=vet.id, now=NOW) == []


def test_resource_hours_narrow_the_business_hours(bath):
    afternoons = Resource.objects.create(name="Afternoon groomer")
    afternoons.services.add(bath)
    ResourceHours.objects.create(resource=afternoons, weekday=0, start=time(13), end=time(20))

    slots = find_slots(service=bath, size="G", start=MONDAY, end=MONDAY, resource_id=afternoons.id, now=NOW)

    # 13:00 to the shop's 18:00 close (the resource's 20:00 is outside business hours)
    assert local_starts(slots) == [f"Mon {h:02d}:{m:02d}" for h in range(13, 17) for m in (0, 30)]


def test_a_busy_resource_leaves_the_slot_to_another_one(bath, groomer, customer, dog):
    second = Resource.objects.create(name="Second groomer")
    second.services.add(bath)
    booking_create(
        service=bath, resource=groomer, start=at(MONDAY, 10), customer=customer, pet=dog, actor=STAFF, now=NOW
    )

    slots = {s.start.astimezone(SAO_PAULO).strftime("%H:%M"): s for s in find_slots(
        service=bath, size="G", start=MONDAY, end=MONDAY, now=NOW)}  # fmt: skip

    assert slots["10:00"].resource_id == second.id
    assert slots["08:00"].resource_id == groomer.id


def test_slots_never_run_past_midnight(agenda, bath):
    BusinessHours.objects.all().delete()
    BusinessHours.objects.create(weekday=0, start=time(22), end=time(23, 59))
    BusinessHours.objects.create(weekday=1, start=time(0), end=time(2))

    slots = find_slots(service=bath, size="GG", start=MONDAY, end=MONDAY + timedelta(days=1), now=NOW)  # 90 min

    assert local_starts(slots) == ["Mon 22:00", "Tue 00:00", "Tue 00:30"]


def test_a_window_given_as_instants_is_honoured_exactly(bath):
    start, end = at(MONDAY, 9).astimezone(UTC), at(MONDAY, 11).astimezone(UTC)

    slots = find_slots(service=bath, size="G", start=start, end=end, now=NOW)

    assert local_starts(slots) == ["Mon 09:00", "Mon 09:30", "Mon 10:00", "Mon 10:30"]


@pytest.fixture
def new_york(agenda):
    """Alpha, moved to a timezone that still changes its clocks."""
    agenda.timezone = "America/New_York"
    yield ZoneInfo("America/New_York")
    agenda.timezone = "America/Sao_Paulo"


def test_spring_forward_skips_the_missing_hour_and_keeps_real_durations(bath, new_york):
    # 2030-03-10: clocks jump from 02:00 to 03:00 in New York
    sunday = date(2030, 3, 10)
    BusinessHours.objects.create(weekday=6, start=time(1), end=time(4))
    now = datetime(2030, 3, 9, 12, tzinfo=UTC)

    slots = find_slots(service=bath, size="P", start=sunday, end=sunday, now=now)  # 45 min

    assert local_starts(slots, new_york) == ["Sun 01:00", "Sun 01:30", "Sun 03:00"]
    assert all(slot.end - slot.start == timedelta(minutes=45) for slot in slots)
    # 01:30 EST + 45 min is 03:15 EDT: the clock moved, the dog's bath did not
    assert slots[1].end.astimezone(new_york).strftime("%H:%M") == "03:15"


def test_fall_back_lists_each_wall_time_once_at_its_first_occurrence(bath, new_york):
    # 2030-11-03: 01:00-02:00 happens twice in New York
    sunday = date(2030, 11, 3)
    BusinessHours.objects.create(weekday=6, start=time(0), end=time(3))
    BookingSettings.objects.update(slot_grid_minutes=60, horizon_days=365)
    now = datetime(2030, 11, 1, 12, tzinfo=UTC)

    slots = find_slots(service=bath, size="P", start=sunday, end=sunday, now=now)

    assert local_starts(slots, new_york) == ["Sun 00:00", "Sun 01:00", "Sun 02:00"]
    assert [slot.start.hour for slot in slots] == [4, 5, 7]  # UTC: the repeated hour is 06:00 UTC
