"""Where things sit on the agenda: one column per day and resource, a
shared time axis, and each opening, closure and booking as a box placed in
percent of the column (so the page's CSS decides the height)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from ..models import Booking, Closure, Resource
from ..selectors import AgendaPeriod

PX_PER_MINUTE = 1.2
DEFAULT_HOURS = (8 * 60, 18 * 60)  # a shop with no hours at all still gets a readable grid


@dataclass(frozen=True)
class Box:
    """A span of the day, in minutes since local midnight."""

    start: int
    end: int
    first: int  # the axis' first and last minute
    last: int

    @property
    def style(self) -> str:
        # A string, not floats in the template: pt-BR would print "12,5%".
        span = self.last - self.first
        top = (max(self.start, self.first) - self.first) / span * 100
        height = (min(self.end, self.last) - max(self.start, self.first)) / span * 100
        return f"top:{top:.3f}%;height:{max(height, 0):.3f}%"


@dataclass
class Placed:
    booking: Booking
    box: Box
    start: datetime  # local
    end: datetime


@dataclass
class Column:
    day: date
    resource: Resource
    today: bool
    closure: Closure | None
    day_start: bool  # the first resource of its day (a thicker line in the week)
    open: list[Box] = field(default_factory=list)
    bookings: list[Placed] = field(default_factory=list)


@dataclass
class Grid:
    columns: list[Column]
    hours: list[Box]  # one per hour line, labelled by `start // 60`
    height_px: int
    cancelled: list[Booking]
    several_resources: bool

    @property
    def hour_labels(self) -> list[tuple[str, str]]:
        return [(f"{box.start // 60:02d}:00", box.style) for box in self.hours]


def _minute(moment: datetime | time) -> int:
    return moment.hour * 60 + moment.minute


def _closure_for(period: AgendaPeriod, resource: Resource, day: date) -> Closure | None:
    for closure in period.closures:
        if closure.start_date <= day <= closure.end_date and closure.resource_id in (None, resource.pk):
            return closure
    return None


def agenda_grid(period: AgendaPeriod, *, today: date) -> Grid:
    tz = period.calendar.tz
    active = [b for b in period.bookings if b.status != Booking.Status.CANCELLED]
    spans: list[tuple[Column, Booking, int, int, datetime, datetime]] = []
    openings: list[tuple[Column, int, int]] = []
    columns = []
    for day in period.days:
        midnight = datetime.combine(day, time(0), tzinfo=tz)
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        for index, resource in enumerate(period.resources):
            column = Column(day, resource, day == today, _closure_for(period, resource, day), index == 0)
            columns.append(column)
            for start, end in period.calendar.open_ranges(resource.pk, day):
                openings.append((column, _minute(start), _minute(end)))
            for booking in active:
                if booking.resource_id != resource.pk or not (booking.start < next_midnight and booking.end > midnight):
                    continue
                start, end = booking.start.astimezone(tz), booking.end.astimezone(tz)
                # A booking past midnight (a hotel night) shows on each of its days.
                first = _minute(start) if start >= midnight else 0
                last = _minute(end) if end < next_midnight else 24 * 60
                spans.append((column, booking, first, max(last, first + 1), start, end))

    minutes = [m for _c, a, b in openings for m in (a, b)] + [m for _c, _b, a, b, _s, _e in spans for m in (a, b)]
    first, last = (min(minutes), max(minutes)) if minutes else DEFAULT_HOURS
    first, last = first // 60 * 60, min(-(-last // 60) * 60, 24 * 60)
    last = max(last, first + 60)
    for column, start, end in openings:
        column.open.append(Box(start, end, first, last))
    for column, booking, start, end, local_start, local_end in spans:
        column.bookings.append(Placed(booking, Box(start, end, first, last), local_start, local_end))
    hours = [Box(minute, minute + 60, first, last) for minute in range(first, last, 60)]
    cancelled = [b for b in period.bookings if b.status == Booking.Status.CANCELLED]  # already by start
    return Grid(columns, hours, int((last - first) * PX_PER_MINUTE), cancelled, len(period.resources) > 1)
