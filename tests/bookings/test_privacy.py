"""LGPD: a customer's data exported whole, or erased while the shop's
figures (bookings, message counts) stay; another customer is never touched."""

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile

from agents.models import AIInteraction
from bookings.models import Booking, Customer, CustomerIdentity, Pet, Vaccination
from bookings.selectors import customer_directory, customer_list
from bookings.services import booking_complete, customer_update, pet_register, vaccination_record
from bookings.services.privacy import customer_data_export, customer_erase
from tenants.shop.models import AuditEntry
from tests.fixtures.bookings import MONDAY, STAFF
from tests.fixtures.shop_days import sao_paulo
from whatsapp.models import ConversationNote, Message

WEDNESDAY = MONDAY + timedelta(days=2)
MARIA_PHONE, JOAO_PHONE = "+5511987650101", "+5521987650202"


@pytest.fixture
def maria(shop):
    """A customer with everything: WhatsApp ids, a conversation with a photo
    and a team note, a pet with a vaccine, a past visit and a booking to come."""
    conversation = shop.customer_writes(sao_paulo(MONDAY, "07:00"), MARIA_PHONE, "Oi, sou a Maria Silva", "Maria")
    customer = conversation.customer
    customer_update(customer=customer, actor=STAFF, name="Maria Silva", email="maria@example.com",
                    notes="prefers mornings", tags=["vip"])  # fmt: skip
    Message.objects.create(
        conversation=conversation, channel=conversation.channel, direction="in", sender_kind="customer",
        kind="image", text="Foto do Thor", status="received", media=ContentFile(b"jpeg-bytes", name="thor.jpg"),
    )  # fmt: skip
    ConversationNote.objects.create(conversation=conversation, text="Maria pays in cash")
    pet = pet_register(customer=customer, name="Thor", species="dog", size="G", breed="Labrador", actor=STAFF)
    vaccination_record(pet=pet, vaccine="V10", applied_on=MONDAY - timedelta(days=30),
                       due_on=MONDAY + timedelta(days=335), actor=STAFF)  # fmt: skip
    past = shop.book(sao_paulo(MONDAY, "07:05"), pet, sao_paulo(MONDAY, "09:00"))
    booking_complete(booking=past, actor=STAFF, now=sao_paulo(MONDAY, "11:00"))
    shop.book(sao_paulo(MONDAY, "07:06"), pet, sao_paulo(WEDNESDAY, "10:00"))
    AIInteraction.objects.create(
        conversation=conversation, answers_message=conversation.messages.first(), agent="customer",
        outcome="replied", tool_calls=[{"name": "register_pet", "arguments": {"name": "Thor"}, "result": "ok"}],
    )  # fmt: skip
    return Customer.objects.get(pk=customer.pk)


@pytest.fixture
def joao(shop):
    conversation = shop.customer_writes(sao_paulo(MONDAY, "07:10"), JOAO_PHONE, "Bom dia, aqui é o João", "João")
    pet = pet_register(customer=conversation.customer, name="Mel", species="cat", size="P", actor=STAFF)
    shop.book(sao_paulo(MONDAY, "07:11"), pet, sao_paulo(WEDNESDAY, "14:00"))
    return conversation.customer


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(files: dict[str, bytes], name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files[name].decode())))


def test_the_export_holds_everything_about_the_customer_as_json_csv_and_files(maria, joao):
    files = unzip(customer_data_export(customer=maria))

    document = json.loads(files["customer.json"])
    assert document["customer"][0].items() >= {"name": "Maria Silva", "phone": MARIA_PHONE,
                                               "email": "maria@example.com", "notes": "prefers mornings",
                                               "tags": ["vip"]}.items()  # fmt: skip
    assert [i["value"] for i in document["identities"]] == list(maria.identities.values_list("value", flat=True))
    assert document["identities"]
    assert [pet["name"] for pet in document["pets"]] == ["Thor"]
    assert [v["vaccine"] for v in document["vaccinations"]] == ["V10"]
    assert [b["status"] for b in document["bookings"]] == ["completed", "pending"]
    assert [m["text"] for m in document["messages"]] == ["Oi, sou a Maria Silva", "Foto do Thor"]
    assert [n["text"] for n in document["conversation_notes"]] == ["Maria pays in cash"]
    assert document["consent"] == [{"marketing_consent": False, "marketing_consent_at": None,
                                     "marketing_opted_out_at": None}]  # fmt: skip
    photo = next(m["media"] for m in document["messages"] if m["kind"] == "image")
    assert files[photo] == b"jpeg-bytes"
    # The same parts as spreadsheets.
    assert csv_rows(files, "customer.csv")[0]["tags"] == '["vip"]'
    assert [row["service__name"] for row in csv_rows(files, "bookings.csv")] == ["Banho", "Banho"]
    assert len(csv_rows(files, "messages.csv")) == 2
    assert {name for name in files if name.endswith(".csv")} == {
        "customer.csv", "consent.csv", "consent_records.csv", "identities.csv", "pets.csv", "vaccinations.csv",
        "bookings.csv", "conversations.csv", "messages.csv", "conversation_notes.csv",
    }  # fmt: skip


def test_the_export_holds_nothing_about_another_customer(maria, joao):
    files = unzip(customer_data_export(customer=maria))

    everything = b"".join(files.values()).decode(errors="replace")
    for trace in ("João", JOAO_PHONE, JOAO_PHONE.lstrip("+"), "Mel", "Bom dia, aqui é o João"):
        assert trace not in everything


def test_the_export_is_audited_when_someone_asks_for_it(maria):
    customer_data_export(customer=maria, actor=STAFF)

    assert AuditEntry.objects.filter(action="customer.exported", target=f"customer:{maria.pk}").exists()


def test_erasing_removes_the_person_and_keeps_the_shops_figures(maria, joao, django_capture_on_commit_callbacks):
    photo = Message.objects.get(conversation__customer=maria, kind="image").media
    storage, photo_name = photo.storage, photo.name
    assert storage.exists(photo_name)

    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(customer=maria, actor=STAFF, now=sao_paulo(MONDAY, "12:00"))

    shell = Customer.objects.get(pk=maria.pk)
    assert (shell.name, shell.phone, shell.email, shell.notes, shell.tags) == ("", None, "", "", [])
    assert shell.marketing_opted_out_at is not None  # nobody writes to it again
    assert not CustomerIdentity.objects.filter(customer=shell).exists()
    assert not Pet.objects.filter(customer=shell).exists()
    assert not Vaccination.objects.filter(pet__name="Thor").exists()
    # The visit still counts, without the pet; the booking to come is cancelled.
    bookings = {b.status: b for b in Booking.objects.filter(customer=shell)}
    assert set(bookings) == {"completed", "cancelled"}
    assert bookings["completed"].pet is None
    assert bookings["completed"].price > 0
    # The messages stay (message figures), empty; the photo is gone from storage.
    messages = Message.objects.filter(conversation__customer=shell)
    assert messages.count() == 2
    assert set(messages.values_list("text", flat=True)) == {""}
    assert set(messages.values_list("media", flat=True)) == {""}
    assert not storage.exists(photo_name)
    assert not ConversationNote.objects.filter(conversation__customer=shell).exists()
    assert shell.conversations.get().address == ""
    assert AIInteraction.objects.get(conversation__customer=shell).tool_calls == [{"name": "register_pet"}]
    assert AuditEntry.objects.filter(action="customer.erased", target=f"customer:{shell.pk}").exists()


def test_an_erased_customer_is_found_by_neither_name_nor_phone(maria, joao):
    customer_erase(customer=maria, actor=STAFF, now=sao_paulo(MONDAY, "12:00"))

    for search in ("Maria", MARIA_PHONE, "987650101", ""):
        assert maria.pk not in {c.pk for c in customer_list(search=search)}
        assert maria.pk not in {c.pk for c in customer_directory(search=search)}
    assert joao.pk in {c.pk for c in customer_list(search="João")}


def test_erasing_one_customer_leaves_another_untouched(maria, joao):
    before = (joao.name, joao.phone, list(joao.identities.values_list("value", flat=True)),
              list(Message.objects.filter(conversation__customer=joao).values_list("text", flat=True)),
              list(joao.bookings.values_list("status", "pet__name")))  # fmt: skip

    customer_erase(customer=maria, actor=STAFF, now=sao_paulo(MONDAY, "12:00"))

    joao.refresh_from_db()
    after = (joao.name, joao.phone, list(joao.identities.values_list("value", flat=True)),
             list(Message.objects.filter(conversation__customer=joao).values_list("text", flat=True)),
             list(joao.bookings.values_list("status", "pet__name")))  # fmt: skip
    assert after == before
    assert before[4] == [("pending", "Mel")]


def test_the_same_person_writing_again_is_a_new_customer(shop, maria):
    customer_erase(customer=maria, actor=STAFF, now=sao_paulo(MONDAY, "12:00"))

    conversation = shop.customer_writes(sao_paulo(MONDAY, "13:00"), MARIA_PHONE, "Oi de novo")

    assert conversation.customer_id != maria.pk
    assert conversation.customer.phone == MARIA_PHONE
    assert not Message.objects.filter(conversation__customer=maria, text="Oi de novo").exists()


def test_erasing_twice_changes_nothing_more(maria):
    customer_erase(customer=maria, actor=STAFF, now=sao_paulo(MONDAY, "12:00"))
    customer_erase(customer=maria, actor=STAFF, now=sao_paulo(MONDAY, "12:30"))

    assert AuditEntry.objects.filter(action="customer.erased", target=f"customer:{maria.pk}").count() == 1
