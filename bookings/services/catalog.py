"""Writes on what the shop sells and when it works: services and their
size rules, resources, business hours, closures (managers and owners)."""

from datetime import date, time
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from tenants.shop.services import Actor, audit_record

from ..errors import BookingError
from ..models import BusinessHours, Closure, Resource, ResourceHours, Service, ServiceSizeRule

SERVICE_FIELDS = {
    "name", "category", "description", "duration_minutes", "price", "buffer_after_minutes",
    "species_allowed", "requires_pet", "vaccines_required", "active",
}  # fmt: skip
SizeRules = dict[str, tuple[int, Decimal]]


def _size_rules_replace(service: Service, size_rules: SizeRules) -> None:
    service.size_rules.all().delete()
    ServiceSizeRule.objects.bulk_create(
        ServiceSizeRule(service=service, size=size, duration_minutes=minutes, price=price)
        for size, (minutes, price) in size_rules.items()
    )


@transaction.atomic
def service_create(*, actor: Actor, size_rules: SizeRules | None = None, **fields) -> Service:
    service = Service(**fields)
    service.full_clean()
    service.save()
    _size_rules_replace(service, size_rules or {})
    audit_record(actor=actor, action="service.created", target=f"service:{service.pk}", data={"name": service.name})
    return service


@transaction.atomic
def service_update(*, service: Service, actor: Actor, size_rules: SizeRules | None = None, **changes) -> Service:
    unknown = set(changes) - SERVICE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(service, field, value)
    service.full_clean()
    service.save()
    if size_rules is not None:
        _size_rules_replace(service, size_rules)
    audit_record(
        actor=actor,
        action="service.updated",
        target=f"service:{service.pk}",
        data={"fields": sorted(changes) + (["size_rules"] if size_rules is not None else [])},
    )
    return service


WeeklyRanges = list[tuple[int, time, time]]


def _validated_week(ranges: WeeklyRanges) -> WeeklyRanges:
    ordered = sorted(ranges)
    for weekday, start, end in ordered:
        if not 0 <= weekday <= 6:
            raise BookingError("weekday_invalid", _("Weekdays go from 0 (Monday) to 6 (Sunday)."))
        if end <= start:
            raise BookingError("hours_invalid", _("Closing time must be after opening time."))
    for (day_a, _start_a, end_a), (day_b, start_b, _end_b) in zip(ordered, ordered[1:], strict=False):
        if day_a == day_b and start_b < end_a:
            raise BookingError("hours_overlap", _("Two opening intervals of the same day overlap."))
    return ordered


@transaction.atomic
def resource_create(
    *, name: str, actor: Actor, kind: str = Resource.Kind.GROOMER, service_ids: list[int] | None = None,
    hours: WeeklyRanges | None = None,
) -> Resource:  # fmt: skip
    resource = Resource(name=name.strip(), kind=kind)
    resource.full_clean()
    resource.save()
    resource.services.set(service_ids or [])
    if hours:
        ResourceHours.objects.bulk_create(
            ResourceHours(resource=resource, weekday=d, start=s, end=e) for d, s, e in _validated_week(hours)
        )
    audit_record(actor=actor, action="resource.created", target=f"resource:{resource.pk}", data={"name": name})
    return resource


@transaction.atomic
def resource_update(
    *, resource: Resource, actor: Actor, name: str | None = None, kind: str | None = None,
    active: bool | None = None, service_ids: list[int] | None = None, hours: WeeklyRanges | None = None,
) -> Resource:  # fmt: skip
    changed = {"name": name, "kind": kind, "active": active}
    for field, value in changed.items():
        if value is not None:
            setattr(resource, field, value)
    resource.full_clean()
    resource.save()
    if service_ids is not None:
        resource.services.set(service_ids)
    if hours is not None:
        resource.hours.all().delete()
        ResourceHours.objects.bulk_create(
            ResourceHours(resource=resource, weekday=d, start=s, end=e) for d, s, e in _validated_week(hours)
        )
    fields = [k for k, v in changed.items() if v is not None] + [
        k for k, v in (("services", service_ids), ("hours", hours)) if v is not None
    ]
    audit_record(actor=actor, action="resource.updated", target=f"resource:{resource.pk}", data={"fields": fields})
    return resource


@transaction.atomic
def business_hours_replace(*, hours: WeeklyRanges, actor: Actor) -> list[BusinessHours]:
    """Set the whole week at once (several intervals a day are fine)."""
    week = _validated_week(hours)
    BusinessHours.objects.all().delete()
    rows = BusinessHours.objects.bulk_create(BusinessHours(weekday=d, start=s, end=e) for d, s, e in week)
    audit_record(
        actor=actor,
        action="business_hours.replaced",
        data={"hours": [f"{d} {s:%H:%M}-{e:%H:%M}" for d, s, e in week]},
    )
    return rows


@transaction.atomic
def closure_create(
    *, start_date: date, end_date: date, reason: str, actor: Actor, resource: Resource | None = None
) -> Closure:
    if end_date < start_date:
        raise BookingError("closure_invalid", _("A closure must end on or after the day it starts."))
    closure = Closure.objects.create(start_date=start_date, end_date=end_date, reason=reason.strip(), resource=resource)
    audit_record(
        actor=actor,
        action="closure.created",
        target=f"closure:{closure.pk}",
        data={"from": str(start_date), "to": str(end_date), "reason": reason},
    )
    return closure


@transaction.atomic
def closure_delete(*, closure: Closure, actor: Actor) -> None:
    audit_record(actor=actor, action="closure.deleted", target=f"closure:{closure.pk}", data={"reason": closure.reason})
    closure.delete()
