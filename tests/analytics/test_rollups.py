"""The rollups always equal a recomputation from the events, whatever the
facts and however often they are retried; a rebuild changes nothing."""

import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Sum
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.models import AnalyticsEvent, DailyMetric
from analytics.selectors import shop_summary
from analytics.services import event_record, facts_together, rollups_rebuild

FIRST_DAY = date(2030, 1, 1)
Kind = AnalyticsEvent.Kind

facts = st.lists(
    st.tuples(
        st.sampled_from(Kind.values),
        st.integers(min_value=0, max_value=40),  # dedupe key: collisions are retries
        st.integers(min_value=0, max_value=9),  # day
        st.fixed_dictionaries(
            {},
            optional={
                "channel": st.integers(1, 3),
                "sender": st.sampled_from(["bot", "staff", "owner"]),
                "source": st.sampled_from(["ai", "staff", "api"]),
                "service": st.integers(1, 4),
                "hour": st.integers(8, 18),
                "weekday": st.integers(1, 7),
                "tokens": st.integers(0, 5000),
            },
        ),
        st.decimals(min_value=0, max_value=100_000, places=2),
    ),
    max_size=60,
)


def rollups() -> set[tuple]:
    return set(
        DailyMetric.objects.values_list("day", "metric", "dim")
        .annotate(count=Sum("count"), total=Sum("total"))
        .values_list("day", "metric", "dim", "count", "total")
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=facts, together=st.integers(min_value=1, max_value=8))
def test_rollups_equal_a_recomputation_after_any_facts(alpha, facts, together):
    """Written one by one or `together` at a time in one statement."""
    with tenant_context(alpha):
        AnalyticsEvent.objects.all().delete()
        DailyMetric.objects.all().delete()
        for start in range(0, len(facts), together):
            with facts_together():
                for kind, key, day, dims, value in facts[start : start + together]:
                    event_record(kind=kind, dedupe_key=f"{kind}:{key}", occurred_at=_noon(day), dims=dims, value=value)
        incremental = rollups()

        list(rollups_rebuild(start=FIRST_DAY, end=FIRST_DAY + timedelta(days=9), chunk=7))

        assert rollups() == incremental


def test_a_retried_fact_counts_once(alpha):
    with tenant_context(alpha):
        for _attempt in range(3):
            event_record(kind=Kind.BOOKING_CREATED, dedupe_key="booking:1:created", occurred_at=_noon(0),
                         dims={"source": "ai"}, value=Decimal("80"))  # fmt: skip

        figures = shop_summary(start=FIRST_DAY, end=FIRST_DAY)["bookings"]

    assert (figures["made"], figures["revenue_booked"], figures["by_source"]) == (1, "80.00", {"ai": 1})


def _customer_counted_then_failing() -> None:
    with facts_together():
        event_record(kind=Kind.CUSTOMER_NEW, dedupe_key="customer:1", occurred_at=_noon(0))
        raise RuntimeError("the step fails after recording its fact")


def test_facts_of_a_block_that_fails_are_not_written(alpha):
    with tenant_context(alpha), pytest.raises(RuntimeError):
        _customer_counted_then_failing()

    with tenant_context(alpha):
        assert not AnalyticsEvent.objects.exists()
        assert shop_summary(start=FIRST_DAY, end=FIRST_DAY)["customers"]["new"] == 0


def test_a_fact_rolled_back_to_its_savepoint_inside_a_block_is_not_written(alpha):
    with tenant_context(alpha), transaction.atomic(), facts_together():
        event_record(kind=Kind.CUSTOMER_NEW, dedupe_key="customer:1", occurred_at=_noon(0))
        with contextlib.suppress(ZeroDivisionError), transaction.atomic():
            event_record(kind=Kind.CUSTOMER_NEW, dedupe_key="customer:2", occurred_at=_noon(0))
            1 / 0  # noqa: B018 - this part fails and is undone

    with tenant_context(alpha):
        assert list(AnalyticsEvent.objects.values_list("dedupe_key", flat=True)) == ["customer:1"]
        assert shop_summary(start=FIRST_DAY, end=FIRST_DAY)["customers"]["new"] == 1


def test_rebuilding_twice_gives_the_same_rollups_and_repairs_lost_ones(alpha, capsys):
    with tenant_context(alpha):
        for n in range(5):
            event_record(kind=Kind.MESSAGE_IN, dedupe_key=f"message:{n}", occurred_at=_noon(n % 2), dims={"channel": 1})
        before = rollups()
        DailyMetric.objects.filter(day=FIRST_DAY).delete()  # damaged by hand

    call_command("rebuild_analytics", "alpha", "--from", "2030-01-01", "--to", "2030-01-31")
    with tenant_context(alpha):
        once = rollups()
    call_command("rebuild_analytics", "alpha", "--from", "2030-01-01", "--to", "2030-01-31")
    with tenant_context(alpha):
        twice = rollups()

    assert once == twice == before
    assert "from 5 events" in capsys.readouterr().out


def test_rebuild_refuses_an_unknown_shop_and_a_backwards_range(db):
    with pytest.raises(CommandError, match="no shop"):
        call_command("rebuild_analytics", "nowhere", "--from", "2030-01-01", "--to", "2030-01-31")
    with pytest.raises(CommandError, match="must not be before"):
        call_command("rebuild_analytics", "alpha", "--from", "2030-01-31", "--to", "2030-01-01")


def test_another_shops_facts_never_appear(alpha, beta):
    with tenant_context(alpha):
        event_record(kind=Kind.CUSTOMER_NEW, dedupe_key="customer:1", occurred_at=_noon(0))
    with tenant_context(beta):
        assert shop_summary(start=FIRST_DAY, end=FIRST_DAY)["customers"]["new"] == 0
        assert not AnalyticsEvent.objects.exists()


def _noon(day: int) -> datetime:
    return datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time(), UTC) + timedelta(hours=15)
