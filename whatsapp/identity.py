"""One customer, whatever id WhatsApp uses this time.

A sender can arrive as a phone JID, an @lid (with or without its phone), a
Cloud API wa_id or business-scoped user id, and a Brazilian mobile with or
without its ninth digit. Every id seen is kept as an identity of the
customer; when a message reveals that a LID-only customer is a known phone,
the two are merged.
"""

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


def customer_for_sender(sender: Sender) -> Customer:
    """The customer behind this sender, created or merged as needed.

    Safe under concurrent deliveries: the unique phone and identity
    constraints decide, and the loser of a race re-reads the winner's rows.
    """
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _resolve(sender)
        except IntegrityError:
            continue
    return _resolve(sender)


def _resolve(sender: Sender) -> Customer:
    phone = _canonical_phone(sender)
    identities = _identities(sender)
    matches: dict[int, Customer] = {}
    if phone:
        for customer in Customer.objects.filter(phone=phone):
            matches[customer.pk] = customer
    lookup = CustomerIdentity.objects.select_related("customer")
    for identity in lookup.filter(kind__in=[k for k, _ in identities], value__in=[v for _, v in identities]):
        if (identity.kind, identity.value) in identities:
            matches[identity.customer_id] = identity.customer

    if not matches:
        customer = Customer.objects.create(phone=phone, name=sender.name)
        customer_fact_created(customer=customer)
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
    for kind, value in identities:
        CustomerIdentity.objects.get_or_create(kind=kind, value=value, defaults={"customer": customer})
    return customer
