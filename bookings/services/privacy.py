"""LGPD: everything the shop holds about one customer, exported whole or erased.

Erasing keeps the customer's row as an empty shell: the shop's bookings and
conversations still point to it, so revenue, visits and message figures stay
true, but nothing names the person any more (see `selectors.customer_erased`).
"""

import csv
import io
import json
import logging
import zipfile
from datetime import date, datetime
from pathlib import PurePosixPath

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import AIInteraction
from oxy.schemas import on_commit_in_this_schema
from tenants.shop.services import Actor, audit_record
from whatsapp.models import Conversation, ConversationNote, Message

from ..models import Booking, ConsentRecord, Customer, CustomerIdentity, Pet, Vaccination
from ..selectors import customer_is_erased
from .bookings import booking_cancel
from .consent import consent_records_strip, consent_source_of, customer_consent_record

logger = logging.getLogger(__name__)

# Each part of the export: its rows and the columns named explicitly, so that
# nothing the customer should not see (a channel's credentials) slips in.
_CUSTOMER = ["id", "name", "phone", "email", "notes", "tags", "created_at", "updated_at", "last_interaction_at"]
_CONSENT = ["marketing_consent", "marketing_consent_at", "marketing_opted_out_at"]
# Who recorded a consent change is the team's business, not the customer's data.
_CONSENT_RECORDS = ["id", "purpose", "action", "source", "note", "created_at"]
_IDENTITIES = ["kind", "value", "created_at"]
_PETS = ["id", "name", "species", "breed", "size", "coat", "birth_date", "weight_kg", "notes", "created_at"]
_VACCINATIONS = ["id", "pet_id", "pet__name", "vaccine", "applied_on", "due_on", "created_at"]
_BOOKINGS = [
    "id", "start", "end", "status", "service__name", "resource__name", "pet__name", "price", "source", "notes",
    "cancellation_reason", "created_at", "confirmed_at", "cancelled_at",
]  # fmt: skip
_CONVERSATIONS = ["id", "channel__name", "address", "owner", "handover_reason", "created_at", "last_message_at"]
_MESSAGES = [
    "id", "conversation_id", "created_at", "direction", "sender_kind", "kind", "text", "data", "media", "status",
]  # fmt: skip
_NOTES = ["id", "conversation_id", "created_at", "text"]


def _parts(customer: Customer) -> dict[str, tuple[QuerySet, list[str]]]:
    one = Customer.objects.filter(pk=customer.pk)
    conversations = Conversation.objects.filter(customer=customer)
    return {
        "customer": (one, _CUSTOMER),
        "consent": (one, _CONSENT),
        "consent_records": (ConsentRecord.objects.filter(customer=customer), _CONSENT_RECORDS),
        "identities": (CustomerIdentity.objects.filter(customer=customer), _IDENTITIES),
        "pets": (Pet.objects.filter(customer=customer), _PETS),
        "vaccinations": (Vaccination.objects.filter(pet__customer=customer), _VACCINATIONS),
        "bookings": (Booking.objects.filter(customer=customer), _BOOKINGS),
        "conversations": (conversations, _CONVERSATIONS),
        "messages": (Message.objects.filter(conversation__in=conversations), _MESSAGES),
        "conversation_notes": (ConversationNote.objects.filter(conversation__in=conversations), _NOTES),
    }


def _media_path(message_id: int, name: str) -> str:
    """Where a message's file goes in the zip (empty: it has none)."""
    return f"media/{message_id}-{PurePosixPath(name).name}" if name else ""


def _csv(rows: list[dict], columns: list[str]) -> str:
    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
        return value.isoformat() if isinstance(value, date) else str(value)

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([cell(row[column]) for column in columns] for row in rows)
    return out.getvalue()


def customer_data_export(*, customer: Customer, actor: Actor | None = None) -> bytes:
    """A zip with everything about the customer: `customer.json` (all of it),
    one CSV per part, and the files they sent or received under `media/`."""
    parts = _parts(customer)
    data = {part: list(rows.order_by("pk").values(*columns)) for part, (rows, columns) in parts.items()}
    for message in data["messages"]:
        message["media"] = _media_path(message["id"], message["media"])
    document = {"shop": connection.tenant.name, "exported_at": timezone.now(), **data}
    storage = Message._meta.get_field("media").storage
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("customer.json", json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for part, (_rows, columns) in parts.items():
            archive.writestr(f"{part}.csv", _csv(data[part], columns))
        for message_id, name in parts["messages"][0].exclude(media="").values_list("pk", "media"):
            try:
                with storage.open(name) as file:
                    archive.writestr(_media_path(message_id, name), file.read())
            except OSError:
                logger.warning("media of message %s is missing; exported without it", message_id)
    if actor is not None:
        audit_record(actor=actor, action="customer.exported", target=f"customer:{customer.pk}")
    return buffer.getvalue()


@transaction.atomic
def customer_erase(*, customer: Customer, actor: Actor, now: datetime | None = None) -> None:
    """Erase the person, keep the shop's figures: upcoming bookings are
    cancelled; past bookings stay, without pet or notes; pets, vaccinations,
    WhatsApp ids and the team's notes are deleted; messages stay as empty
    shells (text, details and files removed); name, phone, e-mail, notes and
    tags are blanked, and nobody may write to the shell again. Consent
    records stay, without their notes, with an opt-out on top."""
    now = now or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer_is_erased(customer):
        return
    upcoming = list(customer.bookings.filter(status__in=Booking.ACTIVE_STATUSES, start__gt=now))
    for booking in upcoming:
        booking_cancel(booking=booking, reason=_("customer data erased"), actor=actor, now=now)
    bookings = customer.bookings.update(pet=None, notes="")
    pets = customer.pets.count()
    customer.pets.all().delete()  # with their vaccinations
    customer.identities.all().delete()

    conversations = Conversation.objects.filter(customer=customer)
    conversations.update(address="", handover_reason="")
    ConversationNote.objects.filter(conversation__in=conversations).delete()
    messages = Message.objects.filter(conversation__in=conversations)
    files = list(messages.exclude(media="").values_list("media", flat=True))
    erased_messages = messages.update(text="", data={"erased": True}, media="")
    ai_tool_calls_strip(AIInteraction.objects.filter(conversation__in=conversations))

    consent_records_strip(customer=customer)
    customer_consent_record(customer=customer, granted=False, source=consent_source_of(actor), actor_label=actor.label,
                            note=_("customer data erased"), now=now)  # fmt: skip
    customer.name, customer.phone, customer.email, customer.notes, customer.tags = "", None, "", "", []
    customer.marketing_consent, customer.marketing_consent_at = False, None
    customer.erased_at = now
    customer.save()
    audit_record(
        actor=actor,
        action="customer.erased",
        target=f"customer:{customer.pk}",
        data={"bookings_kept": bookings, "bookings_cancelled": len(upcoming), "pets_deleted": pets,
              "conversations": conversations.count(), "messages_emptied": erased_messages},
    )  # fmt: skip
    on_commit_in_this_schema(lambda: message_files_delete(files))


def ai_tool_calls_strip(turns: QuerySet[AIInteraction]) -> None:
    """What the attendant's tools were given and answered names people; which
    tools it used is the shop's figure, and stays."""
    stripped = [turn for turn in turns.exclude(tool_calls=[]).only("pk", "tool_calls")
                if any(set(call) - {"name"} for call in turn.tool_calls)]  # fmt: skip
    for turn in stripped:
        turn.tool_calls = [{"name": call.get("name", "")} for call in turn.tool_calls]
    AIInteraction.objects.bulk_update(stripped, ["tool_calls"])


def message_files_delete(names: list[str]) -> None:
    """Delete messages' files from storage; call it after commit (a rolled-back
    erase or anonymization must not have lost them)."""
    storage = Message._meta.get_field("media").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete erased media file %s", name)
