"""One customer, whatever id WhatsApp uses this time.

A sender can arrive as a phone JID, an @lid (with or without its phone), a
Cloud API wa_id or business-scoped user id, and a Brazilian mobile with or
without its ninth digit. Every id seen is kept as an identity of the
customer; when a message reveals that a LID-only customer is a known phone,
the two are merged.
"""

from datetime import datetime

from django.db import IntegrityError, transaction

from analytics.services import customer_fact_created
from bookings.models import Customer, CustomerIdentity
from bookings.services import customer_merge
from oxy.phones import InvalidPhoneNumber, phone_to_e164
from tenants.shop.services import Actor

from .models import Conversation
from .providers.base import Sender

WHATSAPP = Actor.system("whatsapp")


def _identities(sender: Sender) -> list[tuple[str, str]]:
    found = []
    if sender.phone:
        found.append((CustomerIdentity.Kind.PHONE_JID, f"{sender.phone}@s.whatsapp.net"))
    if sender.lid:
        found.append((CustomerIdentity.Kind.LID, sender.lid))
    if sender.wa_id:
        found.append((CustomerIdentity.Kind.WA_ID, sender.wa_id))
    if sender.bsuid:
        found.append((CustomerIdentity.Kind.BSUID, sender.bsuid))
    return found


def _canonical_phone(sender: Sender) -> str | None:
    if not sender.phone:
        return None
    try:
        return phone_to_e164(sender.phone)
    except InvalidPhoneNumber:
        return None


def conversations_merge(*, keep: Customer, absorb: Customer) -> None:
    """Move `absorb`'s conversations to `keep`; on a channel where both have
    one, its messages join `keep`'s conversation."""
    for conversation in Conversation.objects.filter(customer=absorb):
        existing = Conversation.objects.filter(customer=keep, channel=conversation.channel).first()
        if existing is None:
            conversation.customer = keep
            conversation.save(update_fields=["customer"])
            continue
        conversation.messages.update(conversation=existing)
        conversation.records.update(conversation=existing)
        existing.unread_count += conversation.unread_count
        existing.last_message_at = max(
            filter(None, [existing.last_message_at, conversation.last_message_at]), default=None
        )
        existing.save(update_fields=["unread_count", "last_message_at"])
        conversation.delete()


def customer_for_sender(sender: Sender, *, now: datetime, careful: bool = True) -> tuple[Customer, bool]:
    """The customer behind this sender, created (True) or merged as needed;
    a new customer's last interaction is `now`.

    Most messages come from a known customer: one query finds them. Safe
    under concurrent deliveries: the unique phone and identity constraints
    decide, and the loser of a race re-reads the winner's rows (`careful`,
    under a savepoint) or raises IntegrityError for its caller to retry.
    """
    identities = _identities(sender)
    owners = _identity_owners(identities)
    known = {owners[key].pk: owners[key] for key in identities if key in owners}
    if identities and len(owners) == len(identities) and len(known) == 1:
        customer = next(iter(known.values()))
        phone = _canonical_phone(sender)
        if (not phone or customer.phone == phone) and (customer.name or not sender.name):
            return customer, False
    customer, created = (_resolve_carefully if careful else _resolve)(sender, identities, owners, now=now)
    if created:  # counted after the savepoint (careful) that could still undo the customer
        customer_fact_created(customer=customer)
    return customer, created


def _identity_owners(identities: list[tuple[str, str]]) -> dict[tuple[str, str], Customer]:
    if not identities:
        return {}
    found = CustomerIdentity.objects.select_related("customer").filter(
        kind__in=[kind for kind, _ in identities], value__in=[value for _, value in identities]
    )
    return {(i.kind, i.value): i.customer for i in found if (i.kind, i.value) in identities}


def _resolve_carefully(
    sender: Sender, identities: list[tuple[str, str]], owners: dict[tuple[str, str], Customer], *, now: datetime
) -> tuple[Customer, bool]:
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _resolve(sender, identities, owners, now=now)
        except IntegrityError:
            owners = _identity_owners(identities)  # a concurrent delivery won: read what it wrote
    return _resolve(sender, identities, _identity_owners(identities), now=now)


def _resolve(
    sender: Sender, identities: list[tuple[str, str]], owners: dict[tuple[str, str], Customer], *, now: datetime
) -> tuple[Customer, bool]:
    phone = _canonical_phone(sender)
    matches: dict[int, Customer] = {customer.pk: customer for customer in owners.values()}
    if phone:
        for customer in Customer.objects.filter(phone=phone):
            matches[customer.pk] = customer

    created = not matches
    if created:
        customer = Customer.objects.create(phone=phone, name=sender.name, last_interaction_at=now)
    else:
        # Keep the customer that has the phone (or the oldest); fold the rest in.
        ordered = sorted(matches.values(), key=lambda c: (c.phone is None, c.pk))
        customer, others = ordered[0], ordered[1:]
        for other in others:
            conversations_merge(keep=customer, absorb=other)
            customer_merge(keep=customer, absorb=other, actor=WHATSAPP)
        changed = []
        if phone and not customer.phone:
            customer.phone = phone
            changed.append("phone")
        if sender.name and not customer.name:
            customer.name = sender.name
            changed.append("name")
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])
    # An id another customer already holds stays theirs (a concurrent
    # delivery's, or one merged above, which moved with the merge).
    CustomerIdentity.objects.bulk_create(
        [CustomerIdentity(kind=kind, value=value, customer=customer) for kind, value in identities
         if (kind, value) not in owners],
        ignore_conflicts=True,
    )  # fmt: skip
    return customer, created
