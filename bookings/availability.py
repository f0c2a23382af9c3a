"""Free slots: `find_slots` searches, `slot_problem` re-checks one slot.

A search reads everything in two round trips (the agenda snapshot, and the
busy ranges of active bookings as epoch seconds), then walks the grid in
memory: per candidate start, a binary search in a resource's sorted busy
ranges.
"""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import BigIntegerField, Func
from django.utils import timezone
from django.utils.translation import gettext as _

from .calendar import local_days, local_to_utc
from .errors import BookingError
from .models import Booking, Pet, Resource, Service
from .offers import offer_encode_fast, offer_signing_key
from .snapshot import AgendaSnapshot, agenda_snapshot


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    resource_id: int
    resource_name: str
    price: Decimal
    offer_id: str


def shop_timezone() -> ZoneInfo:
    return ZoneInfo(connection.tenant.timezone)


class EpochSeconds(Func):
    # Parsing ~1,000 timestamps into datetimes costs more than the whole
    # search; PostgreSQL hands back plain integers instead.
    template = "EXTRACT(EPOCH FROM %(expressions)s)::bigint"
    output_field = BigIntegerField()


def _busy_ranges(resource_ids: list[int], start: datetime, end: datetime) -> dict[int, tuple[list[int], list[int]]]:
    """Per resource, the active bookings' (starts, ends) in epoch seconds,
    sorted; they never overlap (the exclusion constraint)."""
    busy: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    if not resource_ids:
        return busy
    query = (
        Booking.objects.filter(
            resource_id__in=resource_ids,
            status__in=Booking.ACTIVE_STATUSES,
            start__lt=end,
            occupied_until__gt=start,
        )
        .order_by("resource_id", "start")
        .values_list("resource_id", EpochSeconds("start"), EpochSeconds("occupied_until"))
    )
    # Plain integers need none of the ORM's per-row converters.
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for resource_id, busy_start, busy_end in cursor.fetchall():
            starts, ends = busy[resource_id]
            starts.append(busy_start)
            ends.append(busy_end)
    return busy


def _is_free(busy: tuple[list[int], list[int]], start: int, end: int) -> bool:
    starts, ends = busy
    index = bisect_right(ends, start)  # first booking still busy after `start`
    return index == len(starts) or starts[index] >= end


def _window(start: date | datetime, end: date | datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The search window as UTC instants (dates are whole local days)."""
    if isinstance(start, datetime):
        window_start = start.astimezone(UTC)
    else:
        window_start = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    if isinstance(end, datetime):
        window_end = end.astimezone(UTC)
    else:
        window_end = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    if window_end <= window_start:
        raise BookingError("window_invalid", _("The end of the search must be after its start."))
    return window_start, window_end


def _grid_starts(day: date, ranges, grid: int, tz: ZoneInfo) -> list[tuple[int, int]]:
    """Wall-clock grid points inside the day's open ranges, as UTC epoch
    seconds with the UTC end of their range."""
    points = []
    for range_start, range_end in ranges:
        end_ts = int((local_to_utc(day, range_end, tz) or datetime.combine(day, range_end, tzinfo=tz)).timestamp())
        minute = range_start.hour * 60 + range_start.minute
        minute += -minute % grid  # first grid point at or after the opening
        end_minute = range_end.hour * 60 + range_end.minute
        opening = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz) if minute < end_minute else None
        if opening is not None and opening.utcoffset() == datetime.combine(day, range_end, tzinfo=tz).utcoffset():
            # No clock change inside the range: the grid is plain arithmetic.
            first_ts = int(opening.timestamp())
            points.extend((first_ts + step * 60, end_ts) for step in range(0, end_minute - minute, grid))
            continue
        while minute < end_minute:
            instant = local_to_utc(day, time(minute // 60, minute % 60), tz)
            if instant is not None:
                points.append((int(instant.timestamp()), end_ts))
            minute += grid
    return points


def find_slots(
    *,
    service: Service,
    start: date | datetime,
    end: date | datetime,
    size: str | None = None,
    pet: Pet | None = None,
    resource_id: int | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """Free slots for a service in a window (dates are the shop's local
    days, inclusive), one per start time, each with a signed offer id."""
    if pet is None and size is None:
        raise BookingError("size_required", _("Tell us the pet or its size to find free slots."))
    size = pet.size if pet is not None else size
    now = now or timezone.now()
    tz = shop_timezone()
    window_start, window_end = _window(start, end, tz)
    first_day, last_day = window_start.astimezone(tz).date(), window_end.astimezone(tz).date()
    agenda = agenda_snapshot(
        service_id=service.id, size=size, first_day=first_day, last_day=last_day, tz=tz, resource_id=resource_id
    )
    rules, terms = agenda.rules, agenda.terms
    earliest = max(window_start, now + timedelta(minutes=rules.min_notice_minutes))
    latest = min(window_end, now + timedelta(days=rules.horizon_days))
    if not service.active or earliest >= latest:
        return []

    busy = _busy_ranges([rid for rid, _name in agenda.resources], earliest, latest + terms.duration + terms.buffer)
    duration_s, occupied_s = int(terms.duration.total_seconds()), int((terms.duration + terms.buffer).total_seconds())
    earliest_ts, latest_ts = earliest.timestamp(), latest.timestamp()
    offer = {"service_id": service.id, "size": size, "pet_id": pet.id if pet else None,
             "expires_ts": int((now + timedelta(minutes=rules.offer_ttl_minutes)).timestamp()),
             "schema": connection.schema_name, "key": offer_signing_key()}  # fmt: skip
    found: dict[int, Slot] = {}
    for day in local_days(first_day, last_day):
        # Resources mostly share their hours: walk each distinct set of open
        # ranges once, giving every start time to the first free resource.
        resources_by_ranges: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
        for resource in agenda.resources:
            resources_by_ranges[tuple(agenda.calendar.open_ranges(resource[0], day))].append(resource)
        for ranges, group in resources_by_ranges.items():
            for start_ts, range_end_ts in _grid_starts(day, ranges, rules.slot_grid_minutes, tz):
                if start_ts in found or not earliest_ts <= start_ts < latest_ts or start_ts + duration_s > range_end_ts:
                    continue
                free = next((r for r in group if _is_free(busy[r[0]], start_ts, start_ts + occupied_s)), None)
                if free is None:
                    continue
                slot_start = datetime.fromtimestamp(start_ts, tz=UTC)
                found[start_ts] = Slot(
                    start=slot_start,
                    end=slot_start + terms.duration,
                    resource_id=free[0],
                    resource_name=free[1],
                    price=terms.price,
                    offer_id=offer_encode_fast(resource_id=free[0], start_ts=start_ts, **offer),
                )
    return [found[key] for key in sorted(found)]


def agenda_for_booking(*, service: Service, size: str, resource: Resource, start: datetime) -> AgendaSnapshot:
    tz = shop_timezone()
    day = start.astimezone(tz).date()
    return agenda_snapshot(
        service_id=service.id, size=size, first_day=day, last_day=day, tz=tz, resource_id=resource.id
    )


def slot_problem(
    *,
    service: Service,
    resource: Resource,
    start: datetime,
    agenda: AgendaSnapshot,
    now: datetime,
    ignore_booking_id: int | None = None,
) -> BookingError | None:
    """Why this exact slot cannot be booked now, or None if it can."""
    rules, terms, calendar = agenda.rules, agenda.terms, agenda.calendar
    end = start + terms.duration
    if not service.active:
        return BookingError("service_inactive", _("This service is not offered at the moment."))
    if resource.id not in {rid for rid, _name in agenda.resources}:
        return BookingError("resource_cannot_do_service", _("%(resource)s does not do %(service)s.") % {
            "resource": resource.name, "service": service.name})  # fmt: skip
    if start < now:
        return BookingError("in_past", _("That time has already passed."))
    if start < now + timedelta(minutes=rules.min_notice_minutes):
        return BookingError("too_soon", _("Bookings need at least %(minutes)d minutes' notice.") % {
            "minutes": rules.min_notice_minutes})  # fmt: skip
    if start > now + timedelta(days=rules.horizon_days):
        return BookingError("too_far", _("Bookings open %(days)d days ahead.") % {"days": rules.horizon_days})
    day = start.astimezone(calendar.tz).date()
    if calendar.is_closed(resource.id, day):
        return BookingError("closed", _("The shop is closed on that day."))
    intervals = calendar.open_intervals(resource.id, day)
    if not any(open_start <= start and end <= open_end for open_start, open_end in intervals):
        return BookingError("outside_hours", _("That time is outside opening hours."))
    overlapping = Booking.objects.filter(
        resource=resource, status__in=Booking.ACTIVE_STATUSES, start__lt=end + terms.buffer, occupied_until__gt=start
    ).exclude(id=ignore_booking_id)
    if overlapping.exists():
        return slot_taken()
    return None


def slot_taken() -> BookingError:
    return BookingError("slot_taken", _("Sorry, that time was just taken. Please choose another slot."))
