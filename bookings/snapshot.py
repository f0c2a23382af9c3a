"""Everything a slot search reads, except the bookings, in one round trip.

A search needs the shop's booking rules, the service's terms for the pet's
size, the resources that do the service, business and resource hours and
closures. Six ORM queries cost more than the search itself, so they are one
statement of scalar subqueries returning JSON.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection

from .calendar import WorkingCalendar
from .models import (
    BookingSettings,
    BusinessHours,
    Closure,
    Resource,
    ResourceHours,
    Service,
    ServiceSizeRule,
)


@dataclass(frozen=True)
class BookingRules:
    slot_grid_minutes: int
    min_notice_minutes: int
    horizon_days: int
    offer_ttl_minutes: int

    @classmethod
    def defaults(cls) -> "BookingRules":
        return cls(*(BookingSettings._meta.get_field(name).default for name in cls.__dataclass_fields__))


@dataclass(frozen=True)
class ServiceTerms:
    duration: timedelta
    buffer: timedelta
    price: Decimal


@dataclass(frozen=True)
class AgendaSnapshot:
    rules: BookingRules
    terms: ServiceTerms
    resources: list[tuple[int, str]]  # (id, name), active and able to do the service, by id
    calendar: WorkingCalendar


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _snapshot_sql(with_resource: bool) -> str:
    services_m2m = connection.ops.quote_name(Resource.services.through._meta.db_table)
    only_resource = "AND r.id = %(resource_id)s" if with_resource else ""
    return f"""
    SELECT
      (SELECT json_build_array(slot_grid_minutes, min_notice_minutes, horizon_days, offer_ttl_minutes)
         FROM {_table(BookingSettings)} LIMIT 1),
      (SELECT json_build_array(duration_minutes, price::text, buffer_after_minutes)
         FROM {_table(Service)} WHERE id = %(service_id)s),
      (SELECT json_build_array(duration_minutes, price::text)
         FROM {_table(ServiceSizeRule)} WHERE service_id = %(service_id)s AND size = %(size)s),
      (SELECT coalesce(json_agg(json_build_array(r.id, r.name) ORDER BY r.id), '[]')
         FROM {_table(Resource)} r JOIN {services_m2m} rs ON rs.resource_id = r.id
        WHERE rs.service_id = %(service_id)s AND r.active {only_resource}),
      (SELECT coalesce(json_agg(json_build_array(weekday, start, "end")), '[]') FROM {_table(BusinessHours)}),
      (SELECT coalesce(json_agg(json_build_array(resource_id, weekday, start, "end")), '[]')
         FROM {_table(ResourceHours)}),
      (SELECT coalesce(json_agg(json_build_array(resource_id, start_date, end_date)), '[]')
         FROM {_table(Closure)} WHERE start_date <= %(last_day)s AND end_date >= %(first_day)s)
    """  # noqa: S608 - table names come from the models, values are parameters


def agenda_snapshot(
    *, service_id: int, size: str, first_day: date, last_day: date, tz: ZoneInfo, resource_id: int | None = None
) -> AgendaSnapshot:
    params = {
        "service_id": service_id, "size": size, "resource_id": resource_id,
        "first_day": first_day, "last_day": last_day,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_snapshot_sql(resource_id is not None), params)
        rules, service, size_rule, resources, business, resource_hours, closures = cursor.fetchone()

    minutes, price = size_rule or service[:2]
    terms = ServiceTerms(timedelta(minutes=minutes), timedelta(minutes=service[2]), Decimal(price))
    business_by_day: dict[int, list] = defaultdict(list)
    for weekday, start, end in business:
        business_by_day[weekday].append((time.fromisoformat(start), time.fromisoformat(end)))
    own_hours: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for owner, weekday, start, end in resource_hours:
        own_hours[owner][weekday].append((time.fromisoformat(start), time.fromisoformat(end)))
    shop_closures, resource_closures = [], defaultdict(list)
    for owner, start, end in closures:
        span = (date.fromisoformat(start), date.fromisoformat(end))
        (resource_closures[owner] if owner else shop_closures).append(span)
    return AgendaSnapshot(
        rules=BookingRules(*rules) if rules else BookingRules.defaults(),
        terms=terms,
        resources=[(resource, name) for resource, name in resources],
        calendar=WorkingCalendar(tz, business_by_day, own_hours, shop_closures, resource_closures),
    )
