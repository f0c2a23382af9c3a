"""Consent and opt-out: every way a customer's marketing consent changes
(a STOP on WhatsApp, the team on the customer's page, the API) leaves an
append-only record; the history is on the customer's page and in the
export; an erasure keeps the records, without their notes."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django_tenants.utils import tenant_context

from agents.services import conversation_reply
from bookings.models import ConsentRecord, Customer
from bookings.services import customer_get_or_create, customer_merge
from bookings.services.consent import customer_consent_record
from bookings.services.privacy import customer_data_export, customer_erase
from tests.conftest import ALPHA
from tests.fixtures.bookings import MONDAY, STAFF
from tests.fixtures.dashboard import api_key_auth
from tests.fixtures.shop_days import sao_paulo

PHONE = "+5511987650303"


def says_and_is_answered(shop, at, text: str) -> Customer:
    conversation = shop.customer_writes(at, PHONE, text, "Rita")
    later = at + timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        conversation_reply(conversation_id=conversation.pk, now=later)
    return Customer.objects.get(pk=conversation.customer_id)


def stop_on_whatsapp(shop, at, text: str = "PARAR") -> Customer:
    return says_and_is_answered(shop, at, text)


@pytest.fixture
def rita(shop) -> Customer:
    return says_and_is_answered(shop, sao_paulo(MONDAY, "07:00"), "Oi!")


def test_a_stop_on_whatsapp_opts_out_and_records_the_customers_message(shop, rita):
    customer = stop_on_whatsapp(shop, sao_paulo(MONDAY, "08:00"))

    assert customer.marketing_opted_out_at is not None
    assert customer.marketing_consent is False
    record = ConsentRecord.objects.get(customer=customer)
    stop = customer.conversations.get().messages.get(text="PARAR")
    assert (record.purpose, record.action, record.source) == ("marketing", "revoked", "whatsapp")
    assert (record.actor_label, record.reference) == ("customer", f"message:{stop.pk}")


def test_a_second_stop_adds_no_record(shop, rita):
    stop_on_whatsapp(shop, sao_paulo(MONDAY, "08:00"))

    stop_on_whatsapp(shop, sao_paulo(MONDAY, "09:00"), text="STOP")

    assert ConsentRecord.objects.filter(customer=rita).count() == 1


def test_the_team_records_consent_then_an_opt_out_and_the_page_shows_the_history(alpha_team, rita):
    attendant = alpha_team("attendant", "ana@alpha.test")

    granted = attendant.post(f"/customers/{rita.pk}/consent/", {"granted": "1", "note": "asked at the counter"})
    revoked = attendant.post(f"/customers/{rita.pk}/consent/", {"granted": "0", "note": "called to stop"})

    assert (granted.status_code, revoked.status_code) == (302, 302)
    records = list(ConsentRecord.objects.filter(customer=rita).order_by("pk").values_list(
        "action", "source", "actor_label", "note"))  # fmt: skip
    assert records == [("granted", "staff", "ana@alpha.test", "asked at the counter"),
                       ("revoked", "staff", "ana@alpha.test", "called to stop")]  # fmt: skip
    rita.refresh_from_db()
    assert (rita.marketing_consent, rita.marketing_opted_out_at is not None) == (False, True)
    page = attendant.get(f"/customers/{rita.pk}/").content.decode()
    history = page[page.index('id="consent-history"') :]
    assert history.index("called to stop") < history.index("asked at the counter")  # newest first


def test_recording_what_is_already_so_adds_nothing(alpha_team, rita):
    client = alpha_team("attendant")
    client.post(f"/customers/{rita.pk}/consent/", {"granted": "0"})

    response = client.post(f"/customers/{rita.pk}/consent/", {"granted": "0"}, follow=True)

    assert ConsentRecord.objects.filter(customer=rita).count() == 1
    assert response.status_code == 200


def test_a_consent_form_without_a_choice_is_explained(alpha_team, rita):
    response = alpha_team("attendant").post(f"/customers/{rita.pk}/consent/", {"note": "?"})

    assert response.status_code == 200
    assert response.context["consent_form"].errors["granted"]
    assert not ConsentRecord.objects.filter(customer=rita).exists()


def test_the_api_changing_consent_is_recorded_as_the_api_key(alpha, rita):
    response = Client(HTTP_HOST=ALPHA.host).patch(
        f"/api/v1/customers/{rita.pk}/", {"marketing_consent": True}, content_type="application/json",
        **api_key_auth(alpha, name="ERP"),
    )  # fmt: skip

    assert response.status_code == 200, response.content
    with tenant_context(alpha):
        record = ConsentRecord.objects.get(customer=rita)
    assert (record.action, record.source) == ("granted", "api")
    assert record.actor_label.startswith("api-key:ERP")


def test_another_shop_cannot_record_consent_for_alphas_customer(alpha, beta_team, rita):
    response = beta_team("manager").post(f"/customers/{rita.pk}/consent/", {"granted": "1"})

    assert response.status_code == 404
    with tenant_context(alpha):
        assert not ConsentRecord.objects.filter(customer=rita).exists()


def test_the_export_holds_the_consent_history(shop, rita):
    stop_on_whatsapp(shop, sao_paulo(MONDAY, "08:00"))

    with zipfile.ZipFile(io.BytesIO(customer_data_export(customer=rita))) as archive:
        document = json.loads(archive.read("customer.json"))
        spreadsheet = archive.read("consent_records.csv").decode()

    assert [(r["action"], r["source"]) for r in document["consent_records"]] == [("revoked", "whatsapp")]
    assert "actor_label" not in document["consent_records"][0]  # who at the shop recorded it is not theirs
    assert spreadsheet.splitlines()[0] == "id,purpose,action,source,note,created_at"


def test_an_erasure_keeps_the_records_without_notes_and_opts_out(shop, rita):
    with time_machine.travel(sao_paulo(MONDAY, "08:00"), tick=False):
        customer_consent_record(customer=rita, granted=True, source="staff", actor_label="ana@alpha.test",
                                note="Rita, daughter of Maria, agreed")  # fmt: skip

    customer_erase(customer=rita, actor=STAFF, now=sao_paulo(MONDAY, "12:00"))

    records = list(ConsentRecord.objects.filter(customer=rita).order_by("pk").values_list("action", "source", "note"))
    assert records[0] == ("granted", "staff", "")  # the note named the person
    assert records[1][:2] == ("revoked", "staff")  # why: the erasure (in the shop's language)
    assert "Rita" not in records[1][2]
    rita.refresh_from_db()
    assert (rita.marketing_consent, rita.marketing_opted_out_at is not None) == (False, True)


def test_merging_two_ids_of_one_person_keeps_the_opt_out_and_its_proof(agenda):
    keep = customer_get_or_create(phone="+5511987650505", name="Rita", actor=STAFF)[0]
    absorb = customer_get_or_create(phone="+5511987650606", actor=STAFF)[0]
    customer_consent_record(customer=absorb, granted=False, source="whatsapp", actor_label="customer")

    customer_merge(keep=keep, absorb=absorb, actor=STAFF)

    keep.refresh_from_db()
    assert keep.marketing_opted_out_at is not None
    assert list(ConsentRecord.objects.filter(customer=keep).order_by("pk").values_list("source", "action")) == [
        ("whatsapp", "revoked"), ("system", "revoked")
    ]  # fmt: skip
