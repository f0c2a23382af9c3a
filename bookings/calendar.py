"""When a resource can work: business hours ∩ the resource's own hours,
minus closures, as absolute (UTC) intervals for a local date.

All wall-clock reasoning happens in the shop's timezone; everything that
leaves this module is an aware UTC datetime or epoch seconds, so durations
are real durations across midnight and daylight-saving changes.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TimeRange = tuple[time, time]


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The instant a wall-clock time happens, or None if it never does that
    day (skipped by a daylight-saving change). Repeated times resolve to
    their first occurrence."""
    local = datetime.combine(day, at, tzinfo=tz)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def _intersect(a: list[TimeRange], b: list[TimeRange]) -> list[TimeRange]:
    result = []
    for a_start, a_end in a:
        for b_start, b_end in b:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                result.append((start, end))
    return sorted(result)


@dataclass
class WorkingCalendar:
    """When each resource works (built by `snapshot.agenda_snapshot`)."""

    tz: ZoneInfo
    business: dict[int, list[TimeRange]]
    resource_hours: dict[int, dict[int, list[TimeRange]]]
    shop_closures: list[tuple[date, date]]
    resource_closures: dict[int, list[tuple[date, date]]]

    def is_closed(self, resource_id: int, day: date) -> bool:
        closures = self.shop_closures + self.resource_closures.get(resource_id, [])
        return any(start <= day <= end for start, end in closures)

    def open_ranges(self, resource_id: int, day: date) -> list[TimeRange]:
        """Wall-clock ranges the resource works on a local date."""
        if self.is_closed(resource_id, day):
            return []
        hours = sorted(self.business.get(day.weekday(), []))
        own = self.resource_hours.get(resource_id)
        if own:
            hours = _intersect(hours, sorted(own.get(day.weekday(), [])))
        return hours

    def open_intervals(self, resource_id: int, day: date) -> list[tuple[datetime, datetime]]:
        """The same ranges as UTC instants."""
        intervals = []
        for start, end in self.open_ranges(resource_id, day):
            start_utc = local_to_utc(day, start, self.tz) or _after_gap(day, start, self.tz)
            end_utc = local_to_utc(day, end, self.tz) or _after_gap(day, end, self.tz)
            if start_utc < end_utc:
                intervals.append((start_utc, end_utc))
        return intervals


def _after_gap(day: date, at: time, tz: ZoneInfo) -> datetime:
    # A wall time inside a spring-forward gap: the first instant after it.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def local_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
