"""Writes on bookings: create (from an offer or directly), confirm,
reschedule, cancel, no-show, complete. Each records its actor in the audit log."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.services import booking_fact_created, booking_fact_status
from tenants.shop.models import AuditEntry
from tenants.shop.services import Actor, audit_record

from ..availability import agenda_for_booking, shop_timezone, slot_problem, slot_taken
from ..errors import BookingError
from ..models import Booking, Customer, Pet, Resource, Service
from ..offers import offer_decode
from .events import booking_announce

_SOURCE_FOR_ACTOR = {
    AuditEntry.ActorType.AI: Booking.Source.AI,
    AuditEntry.ActorType.OWNER: Booking.Source.OWNER,
    AuditEntry.ActorType.API: Booking.Source.API,
}


def _pet_problem(*, service: Service, customer: Customer, pet: Pet | None, on: date) -> BookingError | None:
    if pet is None:
        if service.requires_pet:
            return BookingError("pet_required", _("%(service)s needs a pet.") % {"service": service.name})
        return None
    if pet.customer_id != customer.id:
        return BookingError("pet_not_customers", _("This pet is not registered to this customer."))
    if service.species_allowed and pet.species not in service.species_allowed:
        return BookingError(
            "species_not_allowed",
            _("%(service)s is not offered for %(species)s.")
            % {"service": service.name, "species": pet.get_species_display()},
        )
    for vaccine in service.vaccines_required:
        valid = pet.vaccinations.filter(vaccine__iexact=vaccine).exclude(due_on__lt=on).exists()
        if not valid:
            return BookingError(
                "vaccine_missing",
                _("%(pet)s needs an up-to-date %(vaccine)s vaccine for this service.")
                % {"pet": pet.name, "vaccine": vaccine},
            )
    return None


@contextmanager
def _collision_means_slot_taken() -> Iterator[None]:
    # The exclusion constraint is the last word when two requests race.
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if "booking_no_overlap_per_resource" in str(exc):
            raise slot_taken() from exc
        raise


@transaction.atomic
def booking_create(
    *,
    service: Service,
    resource: Resource,
    start: datetime,
    customer: Customer,
    actor: Actor,
    pet: Pet | None = None,
    size: str | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book a slot directly (staff, owner, API), with every check a search
    would make. The database refuses a collision even if two requests race."""
    now = now or timezone.now()
    if pet is None and size is None and service.requires_pet:
        raise BookingError("pet_required", _("%(service)s needs a pet.") % {"service": service.name})
    agenda = agenda_for_booking(
        service=service, size=pet.size if pet else (size or "M"), resource=resource, start=start
    )
    terms = agenda.terms
    local_day = start.astimezone(shop_timezone()).date()
    problem = _pet_problem(service=service, customer=customer, pet=pet, on=local_day) or slot_problem(
        service=service, resource=resource, start=start, agenda=agenda, now=now
    )
    if problem:
        raise problem
    with _collision_means_slot_taken():
        booking = Booking.objects.create(
            customer=customer,
            pet=pet,
            service=service,
            resource=resource,
            start=start,
            end=start + terms.duration,
            occupied_until=start + terms.duration + terms.buffer,
            price=terms.price,
            source=_SOURCE_FOR_ACTOR.get(actor.type, Booking.Source.STAFF),
            notes=notes,
            created_by=actor.label,
        )
    audit_record(
        actor=actor,
        action="booking.created",
        target=f"booking:{booking.pk}",
        data={"start": start.isoformat(), "service": service.name, "resource": resource.name},
    )
    customer.last_interaction_at = now
    customer.save(update_fields=["last_interaction_at"])
    booking_fact_created(booking=booking)
    booking_announce(booking, event="booking.created")
    return booking


# Refusals that depend on the resource: another one may still take the booking.
_RESOURCE_PROBLEMS = {"slot_taken", "closed", "outside_hours", "resource_cannot_do_service"}


@transaction.atomic
def booking_create_on_any_resource(*, service: Service, start: datetime, customer: Customer, actor: Actor,
                                   **details) -> Booking:  # fmt: skip
    """`booking_create` on the first active resource that does the service
    and is free then (staff booking without choosing who does the work).
    When none is, the refusal says why: taken if any was busy then."""
    refusals = []
    for resource in Resource.objects.filter(active=True, services=service).order_by("pk"):
        try:
            return booking_create(service=service, resource=resource, start=start, customer=customer, actor=actor,
                                  **details)  # fmt: skip
        except BookingError as refusal:
            if refusal.code not in _RESOURCE_PROBLEMS:
                raise
            refusals.append(refusal)
    if not refusals:
        raise BookingError("no_resource", _("No one does %(service)s yet.") % {"service": service.name})
    raise next((refusal for refusal in refusals if refusal.code == "slot_taken"), refusals[0])


def booking_create_from_offer(
    *,
    offer_id: str,
    customer: Customer,
    actor: Actor,
    pet: Pet | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book a slot that `find_slots` offered: only server-issued, unexpired
    offers, re-checked now against everything that may have changed."""
    now = now or timezone.now()
    offer = offer_decode(offer_id, now=now)
    if offer.pet_id is not None and (pet is None or pet.id != offer.pet_id):
        raise BookingError("offer_pet_mismatch", _("This offer was made for another pet."))
    if pet is not None and pet.size != offer.size:
        raise BookingError("offer_size_mismatch", _("This offer was made for a pet of another size."))
    service = Service.objects.filter(pk=offer.service_id).first()
    resource = Resource.objects.filter(pk=offer.resource_id).first()
    if service is None or resource is None:
        raise BookingError("offer_invalid", _("This offer is no longer valid. Please search for free slots again."))
    return booking_create(
        service=service, resource=resource, start=offer.start, customer=customer, actor=actor,
        pet=pet, size=offer.size, notes=notes, now=now,
    )  # fmt: skip


_TRANSITIONS = {
    "confirm": ({Booking.Status.PENDING}, Booking.Status.CONFIRMED),
    "cancel": ({Booking.Status.PENDING, Booking.Status.CONFIRMED}, Booking.Status.CANCELLED),
    "no_show": ({Booking.Status.PENDING, Booking.Status.CONFIRMED}, Booking.Status.NO_SHOW),
    "complete": ({Booking.Status.PENDING, Booking.Status.CONFIRMED}, Booking.Status.COMPLETED),
}


def _locked(booking: Booking) -> Booking:
    return Booking.objects.select_for_update().select_related("service", "resource").get(pk=booking.pk)


def _transition(booking: Booking, action: str, *, actor: Actor, now: datetime, **data) -> Booking:
    allowed_from, target = _TRANSITIONS[action]
    booking = _locked(booking)
    if booking.status == target:
        return booking  # retried: already done
    if booking.status not in allowed_from:
        raise BookingError(
            "invalid_transition",
            _("A %(status)s booking cannot be changed like this.") % {"status": booking.get_status_display()},
        )
    if action in {"no_show", "complete"} and booking.start > now:
        raise BookingError("not_started", _("This booking has not started yet."))
    booking.status = target
    if target == Booking.Status.CONFIRMED:
        booking.confirmed_at = now
    if target == Booking.Status.CANCELLED:
        booking.cancelled_at = now
        booking.cancellation_reason = data.get("reason", "")
    booking.save()
    audit_record(actor=actor, action=f"booking.{action}", target=f"booking:{booking.pk}", data=data)
    booking_fact_status(booking=booking, at=now)
    booking_announce(booking, event="booking.updated")
    return booking


@transaction.atomic
def booking_confirm(*, booking: Booking, actor: Actor, now: datetime | None = None) -> Booking:
    return _transition(booking, "confirm", actor=actor, now=now or timezone.now())


@transaction.atomic
def booking_cancel(*, booking: Booking, reason: str, actor: Actor, now: datetime | None = None) -> Booking:
    return _transition(booking, "cancel", actor=actor, now=now or timezone.now(), reason=reason.strip())


@transaction.atomic
def booking_mark_no_show(*, booking: Booking, actor: Actor, now: datetime | None = None) -> Booking:
    return _transition(booking, "no_show", actor=actor, now=now or timezone.now())


@transaction.atomic
def booking_complete(*, booking: Booking, actor: Actor, now: datetime | None = None) -> Booking:
    return _transition(booking, "complete", actor=actor, now=now or timezone.now())


@transaction.atomic
def booking_reschedule(
    *,
    booking: Booking,
    actor: Actor,
    offer_id: str | None = None,
    start: datetime | None = None,
    resource: Resource | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move a booking to an offered slot, or (staff) to a start and resource."""
    now = now or timezone.now()
    booking = _locked(booking)
    if booking.status not in Booking.ACTIVE_STATUSES:
        raise BookingError("invalid_transition", _("Only pending or confirmed bookings can be rescheduled."))
    if offer_id is not None:
        offer = offer_decode(offer_id, now=now)
        if offer.service_id != booking.service_id:
            raise BookingError("offer_service_mismatch", _("This offer is for another service."))
        start, resource = offer.start, Resource.objects.get(pk=offer.resource_id)
    if start is None:
        raise BookingError("start_required", _("Choose the new time."))
    resource = resource or booking.resource
    size = booking.pet.size if booking.pet else "M"
    agenda = agenda_for_booking(service=booking.service, size=size, resource=resource, start=start)
    terms = agenda.terms
    problem = slot_problem(
        service=booking.service, resource=resource, start=start, agenda=agenda, now=now, ignore_booking_id=booking.pk
    )
    if problem:
        raise problem
    previous = booking.start
    booking.start, booking.resource = start, resource
    booking.end = start + terms.duration
    booking.occupied_until = booking.end + terms.buffer
    with _collision_means_slot_taken():
        booking.save()
    audit_record(
        actor=actor,
        action="booking.rescheduled",
        target=f"booking:{booking.pk}",
        data={"from": previous.isoformat(), "to": start.isoformat(), "resource": resource.name},
    )
    booking_announce(booking, event="booking.updated")
    return booking
