"""Consent and opt-out: the one way a customer's marketing consent changes.

Whatever asks (the customer's STOP on WhatsApp, the team, the API, an
import), the Customer's fields say where things stand and an append-only
ConsentRecord says when, how and by whom it changed.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tenants.shop.services import Actor

from ..models import ConsentRecord, Customer

_SOURCE_OF_ACTOR = {"api": ConsentRecord.Source.API, "system": ConsentRecord.Source.SYSTEM}


def consent_source_of(actor: Actor) -> str:
    """Where a change asked for by `actor` comes from (people: the team)."""
    return _SOURCE_OF_ACTOR.get(actor.type, ConsentRecord.Source.STAFF)


@transaction.atomic
def customer_consent_record(
    *, customer: Customer, granted: bool, source: str, actor_label: str, note: str = "", reference: str = "",
    now: datetime | None = None,
) -> ConsentRecord | None:  # fmt: skip
    """Give (`granted`) or withdraw marketing consent. Giving it lifts an
    earlier opt-out; withdrawing it is an opt-out. Nothing is written when
    the customer is already where they are asked to be (a second STOP);
    `customer` is updated in place."""
    now = now or timezone.now()
    current = (
        Customer.objects.select_for_update().only("marketing_consent", "marketing_opted_out_at").get(pk=customer.pk)
    )
    if granted:
        if current.marketing_consent and current.marketing_opted_out_at is None:
            return None
        state = {"marketing_consent": True, "marketing_consent_at": now, "marketing_opted_out_at": None}
    else:
        if current.marketing_opted_out_at is not None:
            return None
        state = {"marketing_consent": False, "marketing_consent_at": None, "marketing_opted_out_at": now}
    Customer.objects.filter(pk=customer.pk).update(**state, updated_at=now)
    for field, value in state.items():
        setattr(customer, field, value)
    return ConsentRecord.objects.create(
        customer=customer, purpose=ConsentRecord.Purpose.MARKETING,
        action=ConsentRecord.Action.GRANTED if granted else ConsentRecord.Action.REVOKED,
        source=source, actor_label=actor_label[:200], note=note.strip()[:300], reference=reference,
    )  # fmt: skip


def consent_records_strip(*, customer: Customer) -> int:
    """For an erasure: the records stay, because proof that the person
    withdrew consent (and when, and how) must survive them (LGPD art. 8 §2:
    the shop must be able to show it); what they said or what the team
    wrote about them (the note) goes. The actor label names a team member
    or an integration, never the customer, and the reference points to a
    message that the erasure empties."""
    return ConsentRecord.objects.filter(customer=customer).exclude(note="").update(note="")
