"""Writes on customers, their pets and vaccinations."""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from analytics.services import customer_fact_created, customer_fact_merged
from oxy.phones import InvalidPhoneNumber, phone_to_e164
from tenants.shop.services import Actor, audit_record

from ..errors import BookingError
from ..models import ConsentRecord, Customer, CustomerIdentity, Pet, Vaccination
from .consent import consent_source_of, customer_consent_record


def _canonical_phone(phone: str) -> str:
    try:
        return phone_to_e164(phone)
    except InvalidPhoneNumber as exc:
        raise BookingError("phone_invalid", _("'%(phone)s' is not a valid phone number.") % {"phone": phone}) from exc


@transaction.atomic
def customer_get_or_create(*, phone: str, actor: Actor, name: str = "") -> tuple[Customer, bool]:
    """The customer with this phone, however it is spelled; created once."""
    customer, created = Customer.objects.get_or_create(phone=_canonical_phone(phone), defaults={"name": name.strip()})
    if created:
        audit_record(actor=actor, action="customer.created", target=f"customer:{customer.pk}")
        customer_fact_created(customer=customer)
    elif name and not customer.name:
        customer.name = name.strip()
        customer.save(update_fields=["name", "updated_at"])
    return customer, created


CUSTOMER_EDITABLE = {"name", "phone", "email", "notes", "tags", "marketing_consent"}


@transaction.atomic
def customer_update(*, customer: Customer, actor: Actor, **changes) -> Customer:
    unknown = set(changes) - CUSTOMER_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    if "phone" in changes and changes["phone"]:
        changes["phone"] = _canonical_phone(changes["phone"])
        if Customer.objects.filter(phone=changes["phone"]).exclude(pk=customer.pk).exists():
            raise BookingError("phone_taken", _("Another customer already has this phone number."))
    fields = sorted(changes)
    consent = changes.pop("marketing_consent", customer.marketing_consent)
    if consent != customer.marketing_consent:
        customer_consent_record(
            customer=customer, granted=consent, source=consent_source_of(actor), actor_label=actor.label
        )
    for field, value in changes.items():
        setattr(customer, field, value)
    customer.full_clean(exclude=["phone"] if not customer.phone else None)
    customer.save()
    audit_record(actor=actor, action="customer.updated", target=f"customer:{customer.pk}", data={"fields": fields})
    return customer


def customer_identity_attach(*, customer: Customer, kind: str, value: str) -> CustomerIdentity:
    identity, _created = CustomerIdentity.objects.get_or_create(kind=kind, value=value, defaults={"customer": customer})
    return identity


PET_EDITABLE = {"name", "species", "breed", "size", "coat", "birth_date", "weight_kg", "notes"}


@transaction.atomic
def pet_register(*, customer: Customer, name: str, actor: Actor, **details) -> Pet:
    unknown = set(details) - PET_EDITABLE
    if unknown:
        raise ValueError(f"unknown pet fields: {', '.join(sorted(unknown))}")
    pet = Pet(customer=customer, name=name.strip(), **details)
    pet.full_clean()
    pet.save()
    audit_record(actor=actor, action="pet.registered", target=f"pet:{pet.pk}", data={"customer": customer.pk})
    return pet


@transaction.atomic
def pet_update(*, pet: Pet, actor: Actor, **changes) -> Pet:
    unknown = set(changes) - PET_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(pet, field, value)
    pet.full_clean()
    pet.save()
    audit_record(actor=actor, action="pet.updated", target=f"pet:{pet.pk}", data={"fields": sorted(changes)})
    return pet


@transaction.atomic
def vaccination_record(
    *, pet: Pet, vaccine: str, applied_on: date, actor: Actor, due_on: date | None = None
) -> Vaccination:
    if due_on is not None and due_on <= applied_on:
        raise BookingError("due_before_applied", _("The next dose must be due after the day it was applied."))
    vaccination = Vaccination.objects.create(pet=pet, vaccine=vaccine.strip(), applied_on=applied_on, due_on=due_on)
    audit_record(actor=actor, action="pet.vaccinated", target=f"pet:{pet.pk}", data={"vaccine": vaccine})
    return vaccination


@transaction.atomic
def customer_merge(*, keep: Customer, absorb: Customer, actor: Actor) -> Customer:
    """Fold `absorb` into `keep` (the same person seen under two ids): its
    identities, pets and bookings move over, then it is deleted. Apps with
    their own links to customers move them first (WhatsApp: conversations)."""
    absorb.identities.update(customer=keep)
    absorb.pets.update(customer=keep)
    absorb.bookings.update(customer=keep)
    absorb.consent_records.update(customer=keep)
    if absorb.marketing_opted_out_at and not keep.marketing_opted_out_at:
        # One person: their opt-out under either id holds for both.
        customer_consent_record(
            customer=keep, granted=False, source=ConsentRecord.Source.SYSTEM, actor_label=actor.label,
            note=f"merged with customer {absorb.pk}, who had opted out",
        )  # fmt: skip
    for field in ("name", "email", "notes"):
        if not getattr(keep, field) and getattr(absorb, field):
            setattr(keep, field, getattr(absorb, field))
    keep.tags = sorted(set(keep.tags) | set(absorb.tags))
    keep.save()
    audit_record(actor=actor, action="customer.merged", target=f"customer:{keep.pk}", data={"absorbed": absorb.pk})
    customer_fact_merged(keep=keep, absorbed=absorb)
    absorb.delete()
    return keep
