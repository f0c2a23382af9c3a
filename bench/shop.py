"""What every benchmark shares: a throwaway shop, dropped afterwards (even
when interrupted), and the median time of a repeated call.

Import after `django.setup()`."""

import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

from tenants.models import Organization
from tenants.platform import platform_init
from tenants.services import organization_provision


@contextmanager
def bench_shop(name: str) -> Iterator[Organization]:
    platform_init()
    slug = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    organization = organization_provision(
        name="Bench", slug=slug, owner_email=f"owner@{slug}.test", owner_phone="+5511987654321",
        created_by_name="bench", created_by_email="bench@oxy.dev",
    ).organization  # fmt: skip
    try:
        yield organization
    finally:
        _drop(organization)


def _drop(organization: Organization) -> None:
    for attempt in range(2):
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{organization.schema_name}" CASCADE')
            break
        except DatabaseError:
            if attempt:
                raise
            connection.close()  # interrupted mid-query: start on a fresh connection
    organization.domains.all().delete()
    organization.delete()


def median_ms(function: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)
