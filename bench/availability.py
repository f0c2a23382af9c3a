"""Availability benchmark.

    .venv/bin/python bench/availability.py [--runs 50]

A shop with 10 resources and 2,000 bookings over the next 30 days; a 14-day
search for one service. Prints one JSON line: the median milliseconds of the
search and, measured in the same run, of simply fetching the bookings in
that window with the ORM, and their ratio. The bench shop is dropped after.
"""

import argparse
import json
import os
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxy.settings")
os.environ.setdefault("DEBUG", "false")  # measure what production runs

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from bench.shop import bench_shop, median_ms  # noqa: E402
from bookings.availability import find_slots, shop_timezone  # noqa: E402
from bookings.models import Booking, Customer, Resource, Service  # noqa: E402

RESOURCES, BOOKINGS, DAYS, SEARCH_DAYS = 10, 2_000, 30, 14


def populate(service: Service) -> None:
    """2,000 non-overlapping bookings of 45 min (+10 min buffer) spread over
    10 resources' working hours in the next 30 days."""
    tz = shop_timezone()
    resources = [Resource.objects.create(name=f"Groomer {n}") for n in range(RESOURCES)]
    for resource in resources:
        resource.services.add(service)
    customer = Customer.objects.create(name="Bench", phone="+5511900000000")
    today = timezone.now().astimezone(tz).date()
    candidates = []
    for offset in range(1, DAYS + 1):
        day = today + timedelta(days=offset)
        if day.weekday() == 6:
            continue
        closing = 12 if day.weekday() == 5 else 18
        for resource in resources:
            start = datetime(day.year, day.month, day.day, 8, tzinfo=tz)
            while start + timedelta(minutes=45) <= start.replace(hour=closing, minute=0):
                candidates.append((resource, start))
                start += timedelta(minutes=55)
    rows = []
    for resource, start in random.Random(7).sample(candidates, BOOKINGS):
        end = start + timedelta(minutes=45)
        rows.append(
            Booking(
                customer=customer,
                service=service,
                resource=resource,
                start=start,
                end=end,
                occupied_until=end + timedelta(minutes=10),
                status="confirmed",
                price="50.00",
                source="staff",
                created_by="bench",
            )  # fmt: skip
        )
    Booking.objects.bulk_create(rows, batch_size=500)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE bookings_booking")  # as autovacuum would have by now


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with bench_shop("availability") as organization, tenant_context(organization):
        service = Service.objects.get(category="bath")
        populate(service)
        tz = shop_timezone()
        first_day = timezone.now().astimezone(tz).date() + timedelta(days=1)
        last_day = first_day + timedelta(days=SEARCH_DAYS - 1)
        window_start = datetime.combine(first_day, datetime.min.time(), tzinfo=tz)
        window_end = window_start + timedelta(days=SEARCH_DAYS)

        def search() -> list:
            return find_slots(service=service, size="P", start=first_day, end=last_day)

        def fetch() -> list:
            return list(Booking.objects.filter(start__lt=window_end, occupied_until__gt=window_start))

        search(), fetch()  # warm up
        slots, fetched = len(search()), len(fetch())
        search_ms, fetch_ms = median_ms(search, args.runs), median_ms(fetch, args.runs)

    print(
        json.dumps(
            {
                "bench": "availability",
                "resources": RESOURCES,
                "bookings": BOOKINGS,
                "search_days": SEARCH_DAYS,
                "bookings_in_window": fetched,
                "slots_found": slots,
                "search_median_ms": round(search_ms, 2),
                "fetch_median_ms": round(fetch_ms, 2),
                "ratio": round(search_ms / fetch_ms, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
