"""Reading the figures: the one definition the dashboard, the API, the CSV
exports and Aurora share. Periods are shop-local days, both ends included."""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from agents.models import AgentSettings
from bookings.availability import shop_timezone
from bookings.models import Pet, Service
from bookings.selectors import customers_inactive

from .models import AnalyticsEvent, ConversationRecord, DailyMetric
from .services import local_day

Kind = AnalyticsEvent.Kind
WEEKDAYS = {1: "mon", 2: "tue", 3: "wed", 4: "thu", 5: "fri", 6: "sat", 7: "sun"}


class Totals:
    """Summed rollups of a period: `count(metric)`, `total(metric)`, and
    `breakdown(metric, name)` by one of its dimensions."""

    def __init__(self, rows: list[tuple[str, str, int, Decimal]]) -> None:
        self._rows = {(metric, dim): (count, total) for metric, dim, count, total in rows}

    def count(self, metric: str, dim: str = "") -> int:
        return self._rows.get((metric, dim), (0, 0))[0]

    def total(self, metric: str, dim: str = "") -> Decimal:
        return Decimal(self._rows.get((metric, dim), (0, Decimal(0)))[1])

    def breakdown(self, metric: str, name: str) -> dict[str, tuple[int, Decimal]]:
        return {dim: value for (m, dim), value in self._rows.items() if m == f"{metric}:{name}"}

    def counts(self, metric: str, name: str) -> dict[str, int]:
        return {dim: count for dim, (count, _total) in self.breakdown(metric, name).items()}


def rollup_totals(*, start: date, end: date) -> Totals:
    rows = (
        DailyMetric.objects.filter(day__range=(start, end))
        .values_list("metric", "dim")
        .annotate(count=Sum("count"), total=Sum("total"))
        .values_list("metric", "dim", "count", "total")
    )
    return Totals(list(rows))


def _ratio(part: float, whole: float) -> float | None:
    return None if not whole else round(part / whole, 4)


def _money(value: Decimal, places: str = "0.01") -> str:
    return str(Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _dollars(value: Decimal) -> str:
    """Model spend, in US dollars: a turn costs fractions of a cent."""
    return _money(value, "0.0001")


def ai_spend(*, start: date, end: date) -> Decimal:
    """What the agents' model calls cost (US dollars) over shop-local days."""
    spent = DailyMetric.objects.filter(day__range=(start, end), metric=Kind.AI_CALL, dim="").aggregate(s=Sum("total"))
    return spent["s"] or Decimal(0)


def month_ai_spend(*, now: datetime) -> Decimal:
    """This shop-local month's model spend so far: what the monthly cap is checked against."""
    day = local_day(now)
    return ai_spend(start=day.replace(day=1), end=day)


# `month_ai_spend` as SQL another read carries as a column (the reply
# turn's), with its parameters: no statement of its own.
MONTH_AI_SPEND = """SELECT coalesce(sum(total), 0) FROM analytics_dailymetric
                    WHERE metric = %s AND dim = '' AND day BETWEEN %s AND %s"""


def month_ai_spend_params(*, now: datetime) -> list:
    day = local_day(now)
    return [Kind.AI_CALL, day.replace(day=1), day]


def monthly_ai_cap(*, shop_cap: Decimal | None) -> Decimal:
    """The monthly AI spend cap in force, in US dollars: the plan's (support
    sets it on the organization), or the shop's own (`shop_cap`, from its
    agent settings) when that is lower."""
    plan_cap = Decimal(connection.tenant.max_monthly_ai_spend_cents) / 100
    return plan_cap if shop_cap is None else min(shop_cap, plan_cap)


def _shop_monthly_ai_cap() -> Decimal:
    return monthly_ai_cap(shop_cap=AgentSettings.objects.values_list("monthly_cap_usd", flat=True).first())


def ai_spend_cap_reached(*, now: datetime) -> Decimal | None:
    """The monthly AI spend cap in force if this month's spend has reached it, else None."""
    cap = _shop_monthly_ai_cap()
    return cap if month_ai_spend(now=now) >= cap else None


def _average_seconds(totals: Totals, metric: str) -> float | None:
    count = totals.count(metric)
    return None if not count else round(float(totals.total(metric)) / count / 1000, 1)


def conversation_records(*, start: date, end: date) -> QuerySet[ConversationRecord]:
    return ConversationRecord.objects.filter(day__range=(start, end)).select_related(
        "conversation__customer", "conversation__channel", "booking__service"
    )


def shop_summary(*, start: date, end: date, inactive_days: int = 60, now=None) -> dict:
    """Every figure of the period, from the rollups (plus a few current-state
    counts: inactive customers, pets)."""
    now = now or timezone.now()
    totals = rollup_totals(start=start, end=end)
    started = totals.count(Kind.CONVERSATION_STARTED)
    handed_over, human_only = totals.count(Kind.HANDOVER), totals.count(Kind.HUMAN_ONLY)
    # The AI answered and nobody took over (a hand-over can follow an AI answer).
    ai_alone = totals.count(Kind.FIRST_RESPONSE_BOT) - totals.counts(Kind.HANDOVER, "after_ai").get("True", 0)
    bookings = totals.count(Kind.BOOKING_CREATED)
    completed, no_shows = totals.count(Kind.BOOKING_COMPLETED), totals.count(Kind.BOOKING_NO_SHOW)
    ai_cost = totals.total(Kind.AI_CALL)
    ai_bookings = totals.breakdown(Kind.BOOKING_CREATED, "source").get("ai", (0, 0))[0]
    by_service = totals.breakdown(Kind.BOOKING_CREATED, "service")
    service_names = dict(Service.objects.filter(pk__in=[int(pk) for pk in by_service]).values_list("pk", "name"))
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "conversations": {
            "started": started,
            "by_channel": totals.counts(Kind.CONVERSATION_STARTED, "channel"),
            "ai_alone": ai_alone,
            "unanswered": started - ai_alone - handed_over - human_only,
            "handed_over": handed_over,
            "human_only": human_only,
            "first_response_ai_s": _average_seconds(totals, Kind.FIRST_RESPONSE_BOT),
            "first_response_human_s": _average_seconds(totals, Kind.FIRST_RESPONSE_HUMAN),
            "converted": totals.count(Kind.CONVERTED),
            "conversion_rate": _ratio(totals.count(Kind.CONVERTED), started),
        },
        "messages": {
            "in": totals.count(Kind.MESSAGE_IN),
            "out": totals.count(Kind.MESSAGE_OUT),
            "in_by_channel": totals.counts(Kind.MESSAGE_IN, "channel"),
            "out_by_channel": totals.counts(Kind.MESSAGE_OUT, "channel"),
            "out_by_sender": totals.counts(Kind.MESSAGE_OUT, "sender"),
        },
        "bookings": {
            "made": bookings,
            "by_source": totals.counts(Kind.BOOKING_CREATED, "source"),
            "revenue_booked": _money(totals.total(Kind.BOOKING_CREATED)),
            "revenue_completed": _money(totals.total(Kind.BOOKING_COMPLETED)),
            "completed": completed,
            "average_ticket": _money(totals.total(Kind.BOOKING_COMPLETED) / completed) if completed else None,
            "cancelled": totals.count(Kind.BOOKING_CANCELLED),
            "no_shows": no_shows,
            "no_show_rate": _ratio(no_shows, no_shows + completed),
            "top_services": [
                {"service": service_names.get(int(pk), f"#{pk}"), "bookings": count, "revenue": _money(total)}
                for pk, (count, total) in sorted(by_service.items(), key=lambda item: (-item[1][0], item[0]))[:5]
            ],
            "by_hour": {
                int(h): c
                for h, (c, _t) in sorted(
                    totals.breakdown(Kind.BOOKING_CREATED, "hour").items(), key=lambda item: int(item[0])
                )
            },  # fmt: skip
            "by_weekday": {
                WEEKDAYS[int(d)]: c for d, (c, _t) in sorted(totals.breakdown(Kind.BOOKING_CREATED, "weekday").items())
            },  # fmt: skip
        },
        "customers": _customer_figures(start=start, end=end, totals=totals, inactive_days=inactive_days, now=now),
        "ai": {
            "calls": totals.count(Kind.AI_CALL),
            "tokens": int(totals.total("ai_tokens")),
            "cost": _dollars(ai_cost),
            "cost_per_conversation": _dollars(ai_cost / started) if started else None,
            "cost_per_booking": _dollars(ai_cost / ai_bookings) if ai_bookings else None,
            **_spend_against_cap(now=now),
        },
    }


def _spend_against_cap(*, now: datetime) -> dict:
    cap, spent = _shop_monthly_ai_cap(), month_ai_spend(now=now)
    return {
        "month_spend": _dollars(spent),
        "monthly_cap": _money(cap),
        "cap_used": _ratio(float(spent), float(cap)) if cap else 1.0,  # a cap of 0 is reached at once
    }


def _customer_figures(*, start: date, end: date, totals: Totals, inactive_days: int, now) -> dict:
    period_start = datetime.combine(start, time.min, shop_timezone())
    returning = (
        ConversationRecord.objects.filter(day__range=(start, end), customer_since__lt=period_start)
        .values("customer_id")
        .distinct()
        .count()
    )
    inactive_since = now - timedelta(days=inactive_days)
    inactive = customers_inactive(since=inactive_since).count()
    pets = dict(Pet.objects.values_list("species").annotate(n=Count("id")).values_list("species", "n"))
    return {
        "new": totals.count(Kind.CUSTOMER_NEW),
        "returning": returning,
        "inactive": inactive,
        "inactive_days": inactive_days,
        "pets_by_species": pets,
    }


def _bucket_start(day: date, every: str) -> date:
    if every == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday
    return day.replace(day=1) if every == "month" else day


def series(*, start: date, end: date, metric: str, every: str = "day") -> list[dict]:
    """A metric's count and total per day, week or month of the period (empty
    ones included); the first and last buckets are cut to the period."""
    rows = (
        DailyMetric.objects.filter(day__range=(start, end), metric=metric, dim="")
        .values_list("day")
        .annotate(count=Sum("count"), total=Sum("total"))
        .values_list("day", "count", "total")
    )
    buckets: dict[date, list] = {}
    for n in range((end - start).days + 1):
        day = start + timedelta(days=n)
        bucket = buckets.setdefault(_bucket_start(day, every), [day, day, 0, Decimal(0)])
        bucket[1] = day
    for day, count, total in rows:
        bucket = buckets[_bucket_start(day, every)]
        bucket[2] += count
        bucket[3] += total
    # Response times are whole milliseconds; model spend is dollars; every other total is money.
    shown = int if metric.startswith("first_response") else _dollars if metric == Kind.AI_CALL else _money
    return [
        {"start": first.isoformat(), "end": last.isoformat(), "count": count, "total": shown(total)}
        for first, last, count, total in buckets.values()
    ]


def today() -> date:
    return local_day(timezone.now())
