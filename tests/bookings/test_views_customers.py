"""Customers and pets as staff use them: search, the customer's page, pets
and vaccinations, and the LGPD export and erasure (managers and owners,
each confirmed)."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.utils import translation
from django.utils.html import escape
from django_tenants.utils import tenant_context

from bookings.models import Booking, Customer, Pet, Vaccination
from bookings.services import booking_complete, customer_get_or_create, pet_register, vaccination_record
from tenants.shop.models import AuditEntry
from tests.fixtures.bookings import STAFF
from tests.fixtures.shop_days import sao_paulo

MONDAY = date(2030, 3, 4)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def shown(message_id: str) -> str:
    with translation.override("pt-br"):
        return escape(translation.gettext(message_id))


@pytest.fixture
def maria(shop):
    """Maria wrote on WhatsApp, has Thor (vaccinated) and came once."""
    conversation = shop.customer_writes(sao_paulo(MONDAY, "07:00"), "+5511987650101", "Oi!", name="Maria Silva")
    thor = pet_register(customer=conversation.customer, name="Thor", species="dog", size="G", actor=STAFF)
    vaccination_record(pet=thor, vaccine="V10", applied_on=MONDAY, due_on=MONDAY + timedelta(days=365), actor=STAFF)
    visit = shop.book(sao_paulo(MONDAY, "07:05"), thor, sao_paulo(MONDAY, "09:00"))
    booking_complete(booking=visit, actor=STAFF, now=sao_paulo(MONDAY, "11:00"))
    return conversation.customer


@pytest.fixture
def joao(agenda) -> Customer:
    joao = customer_get_or_create(phone="+5521987650202", name="João Souza", actor=STAFF)[0]
    pet_register(customer=joao, name="Mel", species="cat", size="P", actor=STAFF)
    return joao


# -- list and search --------------------------------------------------------------------


def test_the_list_shows_each_customer_with_pets_and_last_visit(alpha_team, maria, joao):
    html = html_of(alpha_team("attendant").get("/customers/"))

    row = html.split(f'data-customer="{maria.pk}"')[1].split("</tr>")[0]
    assert "Maria Silva" in row
    assert "Thor" in row
    assert "04/03/2030" in row
    assert "João Souza" in html
    assert "Mel" in html


def test_searching_by_name_or_phone_narrows_the_list_as_you_type(alpha_team, maria, joao):
    team = alpha_team("attendant")

    by_name = html_of(team.get("/customers/", {"q": "joão"}, HTTP_HX_REQUEST="true"))
    by_phone = html_of(team.get("/customers/", {"q": "(11) 98765-0101"}, HTTP_HX_REQUEST="true"))
    nobody = html_of(team.get("/customers/", {"q": "Zé"}))

    assert "João Souza" in by_name
    assert "Maria Silva" not in by_name
    assert "Maria Silva" in by_phone
    assert "João Souza" not in by_phone
    assert by_name.startswith('<div id="customer-results">')
    assert "<html" not in by_name
    assert "Maria" not in nobody.split('id="customer-results"')[1]
    assert "Zé" in nobody


def test_the_list_is_paginated(alpha_team, agenda):
    Customer.objects.bulk_create(Customer(name=f"Cliente {n:02d}", phone=f"+55119000000{n:02d}") for n in range(35))
    team = alpha_team("attendant")

    first, second = html_of(team.get("/customers/")), html_of(team.get("/customers/", {"page": 2}))

    assert "Cliente 00" in first
    assert "Cliente 29" in first
    assert "Cliente 30" not in first
    assert "Cliente 30" in second
    assert "Cliente 34" in second
    assert "page=1" in second


def test_adding_a_customer_by_phone(alpha_team, agenda):
    team = alpha_team("attendant")

    response = team.post("/customers/new/", {"phone": "(11) 91234-5678", "name": "Bia"})
    again = team.post("/customers/new/", {"phone": "+55 11 91234-5678", "name": "Outra"})
    invalid = html_of(team.post("/customers/new/", {"phone": "123", "name": "Bia"}))

    bia = Customer.objects.get(phone="+5511912345678")
    assert response["Location"] == f"/customers/{bia.pk}/" == again["Location"]
    assert bia.name == "Bia"
    assert Customer.objects.count() == 1
    assert 'class="errorlist' in invalid
    assert 'value="Bia"' in invalid


# -- the customer's page ------------------------------------------------------------------


def test_the_page_shows_contact_pets_vaccines_history_and_conversations(alpha_team, maria):
    conversation = maria.conversations.get()
    booking = maria.bookings.get()

    html = html_of(alpha_team("attendant").get(f"/customers/{maria.pk}/"))

    assert "Maria Silva" in html
    assert "+5511987650101" in html
    pets = html.split('id="pets"')[1]
    assert "Thor" in pets
    assert "V10" in pets
    assert "04/03/2031" in pets
    assert f'data-booking="{booking.pk}"' in html
    assert "Banho" in html
    assert f'href="/inbox/{conversation.pk}/"' in html
    assert f"/agenda/new/?customer={maria.pk}" in html
    assert f"/customers/{maria.pk}/erase/" not in html  # attendants do not see the LGPD actions


def test_an_overdue_vaccine_is_flagged(alpha_team, maria):
    thor = maria.pets.get()
    vaccination_record(pet=thor, vaccine="Raiva", applied_on=date(2020, 1, 1), due_on=date(2021, 1, 1), actor=STAFF)

    html = html_of(alpha_team("attendant").get(f"/customers/{maria.pk}/"))

    assert 'class="next-due overdue"' in html
    assert "Raiva" in html


def test_the_opt_out_is_shown(alpha_team, maria):
    Customer.objects.filter(pk=maria.pk).update(marketing_opted_out_at=sao_paulo(MONDAY, "12:00"))

    html = html_of(alpha_team("attendant").get(f"/customers/{maria.pk}/"))

    assert shown("opted out") in html


def test_editing_the_contact_saves_name_notes_and_tags(alpha_team, maria):
    team = alpha_team("attendant")

    response = team.post(f"/customers/{maria.pk}/edit/", {
        "name": "Maria S. Souza", "phone": "+5511987650101", "email": "maria@example.com",
        "notes": "prefere manhãs", "tags": "vip, banho mensal, vip"})  # fmt: skip

    maria.refresh_from_db()
    assert response.status_code == 302
    assert (maria.name, maria.notes, maria.tags) == ("Maria S. Souza", "prefere manhãs", ["vip", "banho mensal"])
    assert "Maria S. Souza" in html_of(team.get(response["Location"]))


def test_a_phone_already_taken_is_explained_and_what_was_typed_stays(alpha_team, maria, joao):
    html = html_of(alpha_team("attendant").post(f"/customers/{maria.pk}/edit/", {
        "name": "Maria Nova", "phone": "+5521987650202", "notes": "anotação"}))  # fmt: skip

    maria.refresh_from_db()
    assert shown("Another customer already has this phone number.") in html
    assert 'value="Maria Nova"' in html
    assert "anotação" in html
    assert (maria.name, maria.phone) == ("Maria Silva", "+5511987650101")


def test_a_customer_needs_a_name_or_a_phone(alpha_team, maria):
    html = html_of(alpha_team("attendant").post(f"/customers/{maria.pk}/edit/", {"name": "", "phone": ""}))

    maria.refresh_from_db()
    assert shown("Give the customer a name or a phone number.") in html
    assert maria.name == "Maria Silva"


def test_adding_and_editing_a_pet(alpha_team, maria):
    team = alpha_team("attendant")

    added = team.post(f"/customers/{maria.pk}/pets/new/", {
        "name": "Luna", "species": "cat", "size": "P", "breed": "Siamês", "birth_date": "2024-05-01"})  # fmt: skip
    luna = Pet.objects.get(name="Luna")
    form = html_of(team.get(f"/customers/{maria.pk}/pets/{luna.pk}/"))
    edited = team.post(f"/customers/{maria.pk}/pets/{luna.pk}/", {
        "name": "Luna", "species": "cat", "size": "M", "breed": "Siamês", "birth_date": "2024-05-01",
        "weight_kg": "4.5"})  # fmt: skip

    luna.refresh_from_db()
    assert added.status_code == 302
    assert (luna.customer, luna.birth_date) == (maria, date(2024, 5, 1))
    assert 'value="Siamês"' in form
    assert 'value="2024-05-01"' in form
    assert edited.status_code == 302
    assert (luna.size, str(luna.weight_kg)) == ("M", "4.50")
    assert "Luna" in html_of(team.get(f"/customers/{maria.pk}/")).split('id="pets"')[1]


def test_a_pet_without_a_name_is_explained(alpha_team, maria):
    html = html_of(alpha_team("attendant").post(f"/customers/{maria.pk}/pets/new/", {
        "name": "", "species": "dog", "size": "M", "breed": "Vira-lata"}))  # fmt: skip

    assert 'class="errorlist' in html
    assert 'value="Vira-lata"' in html
    assert maria.pets.count() == 1


def test_recording_a_vaccination_shows_its_next_dose(alpha_team, maria):
    thor = maria.pets.get()
    team = alpha_team("attendant")

    response = team.post(f"/customers/{maria.pk}/pets/{thor.pk}/vaccinations/", {
        "vaccine": "Gripe", "applied_on": "2030-03-01", "due_on": "2030-09-01"})  # fmt: skip
    refused = html_of(team.post(f"/customers/{maria.pk}/pets/{thor.pk}/vaccinations/", {
        "vaccine": "Giárdia", "applied_on": "2030-03-01", "due_on": "2030-02-01"}))  # fmt: skip

    assert response.status_code == 302
    assert set(thor.vaccinations.values_list("vaccine", flat=True)) == {"Gripe", "V10"}
    assert "01/09/2030" in html_of(team.get(f"/customers/{maria.pk}/"))  # due sooner than V10
    assert shown("The next dose must be due after the day it was applied.") in refused
    assert 'value="Giárdia"' in refused


def test_a_pet_belongs_to_its_customer_in_the_address(alpha_team, maria, joao):
    mel = joao.pets.get()
    team = alpha_team("attendant")

    assert team.get(f"/customers/{maria.pk}/pets/{mel.pk}/").status_code == 404
    assert team.post(f"/customers/{maria.pk}/pets/{mel.pk}/vaccinations/", {
        "vaccine": "V4", "applied_on": "2030-03-01"}).status_code == 404  # fmt: skip
    assert not Vaccination.objects.filter(pet=mel).exists()


# -- LGPD: export and erase ------------------------------------------------------------------


@pytest.mark.parametrize("action", ["export", "erase"])
def test_attendants_cannot_export_or_erase(alpha_team, maria, action):
    attendant = alpha_team("attendant")

    shown_page = attendant.get(f"/customers/{maria.pk}/{action}/")
    done = attendant.post(f"/customers/{maria.pk}/{action}/", {"understood": "on"})

    maria.refresh_from_db()
    assert (shown_page.status_code, done.status_code) == (403, 403)
    assert maria.name == "Maria Silva"
    assert not AuditEntry.objects.filter(action__in=["customer.exported", "customer.erased"]).exists()


@pytest.mark.parametrize("role", ["manager", "owner"])
def test_exporting_asks_for_an_explicit_i_understand_then_downloads_the_zip(alpha_team, maria, joao, role):
    team = alpha_team(role)

    confirm_page = html_of(team.get(f"/customers/{maria.pk}/export/"))
    unticked = html_of(team.post(f"/customers/{maria.pk}/export/", {}))
    download = team.post(f"/customers/{maria.pk}/export/", {"understood": "on"})

    assert 'name="understood"' in confirm_page
    assert 'type="checkbox"' in confirm_page
    assert 'class="errorlist' in unticked
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"].startswith(f'attachment; filename="customer-{maria.pk}-')
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        document = json.loads(archive.read("customer.json"))
    assert document["customer"][0]["name"] == "Maria Silva"
    assert "João" not in json.dumps(document)
    assert AuditEntry.objects.filter(action="customer.exported").count() == 1  # the download only


def test_erasing_says_what_will_happen_then_erases_after_i_understand(alpha_team, maria):
    team = alpha_team("manager")

    confirm_page = html_of(team.get(f"/customers/{maria.pk}/erase/"))
    unticked = html_of(team.post(f"/customers/{maria.pk}/erase/", {}))
    maria.refresh_from_db()
    assert maria.name == "Maria Silva"
    assert 'class="errorlist' in unticked
    assert 'name="understood"' in confirm_page

    response = team.post(f"/customers/{maria.pk}/erase/", {"understood": "on"})

    maria.refresh_from_db()
    assert response["Location"] == "/customers/"
    assert (maria.name, maria.phone) == ("", None)
    assert Booking.objects.filter(customer=maria, status="completed").exists()  # the visit still counts
    listing = html_of(team.get("/customers/", {"q": "Maria"}))
    assert f'data-customer="{maria.pk}"' not in listing
    assert f'data-customer="{maria.pk}"' not in html_of(team.get("/customers/"))
    page = html_of(team.get(f"/customers/{maria.pk}/"))
    assert 'id="erased"' in page
    assert "Maria" not in page
    # The shell cannot be filled in again.
    assert team.post(f"/customers/{maria.pk}/edit/", {"name": "Maria"}).status_code == 404
    assert team.get(f"/customers/{maria.pk}/export/").status_code == 404


# -- another shop ---------------------------------------------------------------------------


def test_another_shops_team_can_neither_see_nor_change_alphas_customers(alpha, beta, beta_team, maria):
    thor = maria.pets.get()
    with tenant_context(beta):
        assert not Customer.objects.filter(pk=maria.pk).exists()  # the ids mean nothing on beta's host
    beta_manager = beta_team("manager")

    answers = [
        beta_manager.get(f"/customers/{maria.pk}/").status_code,
        beta_manager.post(f"/customers/{maria.pk}/edit/", {"name": "Hacked"}).status_code,
        beta_manager.post(
            f"/customers/{maria.pk}/pets/new/", {"name": "X", "species": "dog", "size": "M"}
        ).status_code,  # fmt: skip
        beta_manager.get(f"/customers/{maria.pk}/pets/{thor.pk}/").status_code,
        beta_manager.post(
            f"/customers/{maria.pk}/pets/{thor.pk}/vaccinations/", {"vaccine": "V4", "applied_on": "2030-03-01"}
        ).status_code,  # fmt: skip
        beta_manager.get(f"/customers/{maria.pk}/export/").status_code,
        beta_manager.post(f"/customers/{maria.pk}/export/", {"understood": "on"}).status_code,
        beta_manager.post(f"/customers/{maria.pk}/erase/", {"understood": "on"}).status_code,
    ]
    listing = beta_manager.get("/customers/", {"q": "Maria"}).content.decode()

    assert answers == [404] * 8
    assert f'data-customer="{maria.pk}"' not in listing
    assert "Maria Silva" not in listing
    with tenant_context(alpha):
        maria.refresh_from_db()
        assert (maria.name, maria.phone) == ("Maria Silva", "+5511987650101")
        assert list(maria.pets.values_list("name", flat=True)) == ["Thor"]
        assert thor.vaccinations.count() == 1
        assert not AuditEntry.objects.filter(action__in=["customer.exported", "customer.erased"]).exists()
