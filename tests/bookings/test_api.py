"""The shop API on a shop's host: customers and pets, availability and
bookings, booking actions, roles, API keys, hours and closures, the docs.

The API runs on the real clock, so days are picked relative to today in São
Paulo: a weekday at least two days ahead is inside the notice and the
horizon. Errors are asserted on their stable `code` (messages are
translated) and on having a message at all."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context

from bookings.models import (
    Booking,
    BusinessHours,
    Closure,
    Customer,
    Pet,
    Resource,
    Service,
    ServiceSizeRule,
    Vaccination,
)
from bookings.services import customer_get_or_create, pet_register
from tenants.shop.services import api_key_create, api_key_revoke
from tests.conftest import ALPHA, login
from tests.fixtures.bookings import STAFF

API = "/api/v1"
JSON = "application/json"
SHOP_TZ = ZoneInfo("America/Sao_Paulo")
MONDAY, TUESDAY = 0, 1


def upcoming(weekday: int) -> date:
    """The first such weekday at least two days from today in São Paulo."""
    day = datetime.now(SHOP_TZ).date() + timedelta(days=2)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHOP_TZ)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str), body
    assert body["message"].strip(), body
    return body


def search(client: Client, service_id: int, day: date, *, size: str = "G", last_day: date | None = None, **extra):
    """Free slots of one service on one day (or up to `last_day`)."""
    query = {"service": service_id, "size": size, "from": day.isoformat(), "to": (last_day or day).isoformat()}
    response = client.get(f"{API}/availability/", query, **extra)
    assert response.status_code == 200, response.content
    return response.json()


def starts(slots: list[dict]) -> list[datetime]:
    return [datetime.fromisoformat(slot["start"]) for slot in slots]


def book(client: Client, *, extra: dict | None = None, **data):
    return client.post(f"{API}/bookings/", data, content_type=JSON, **(extra or {}))


@pytest.fixture
def owner(alpha, alpha_client) -> Client:
    return login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)


@pytest.fixture
def as_role(alpha, alpha_client):
    """A client of alpha's host acting as a staff user (session) or an API
    key of the given role; returns (client, extra request headers)."""

    def make(role: str, via: str = "session") -> tuple[Client, dict]:
        with tenant_context(alpha):
            if via == "api_key":
                _api_key, key = api_key_create(name=f"{role} integration", role=role, actor=STAFF)
                return alpha_client, {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
            email, password = f"{role}.api@alpha.test", f"{role}-password"
            get_user_model().objects.create_user(email=email, password=password, role=role)
        return login(alpha_client, alpha, email=email, password=password), {}

    return make


# Customers and pets


def test_a_customer_is_created_once_per_phone_however_it_is_spelled(owner, alpha):
    # given a customer created from a formatted local number
    created = owner.post(f"{API}/customers/", {"phone": "(11) 98765-4321", "name": "Maria Souza"}, content_type=JSON)
    assert created.status_code == 201, created.content
    assert created.json()["phone"] == "+5511987654321"

    # when the same phone arrives spelled otherwise (without the ninth digit, as WhatsApp digits)
    for spelling in ("+55 11 8765-4321", "5511987654321"):
        again = owner.post(f"{API}/customers/", {"phone": spelling, "name": "Outra"}, content_type=JSON)

        # then the existing customer comes back, unchanged
        assert again.status_code == 200, again.content
        assert again.json()["id"] == created.json()["id"]
        assert again.json()["name"] == "Maria Souza"
    with tenant_context(alpha):
        assert Customer.objects.filter(phone="+5511987654321").count() == 1


def test_customers_are_found_by_name_and_by_phone(owner):
    # given two customers
    maria = owner.post(f"{API}/customers/", {"phone": "11987654321", "name": "Maria Souza"}, content_type=JSON)
    owner.post(f"{API}/customers/", {"phone": "21912345678", "name": "João Lima"}, content_type=JSON)

    # when searching by part of a name, and by a phone spelled another way
    by_name = owner.get(f"{API}/customers/", {"search": "souza"}).json()
    by_phone = owner.get(f"{API}/customers/", {"search": "+55 (11) 98765-4321"}).json()

    # then only Maria is found, in a paginated list
    assert [c["id"] for c in by_name["results"]] == [maria.json()["id"]]
    assert [c["id"] for c in by_phone["results"]] == [maria.json()["id"]]
    assert by_name["count"] == 1


def test_an_invalid_phone_is_refused_on_update(owner, alpha):
    # given a customer
    customer = owner.post(f"{API}/customers/", {"phone": "11987654321", "name": "Maria"}, content_type=JSON).json()

    # when their phone is changed to something that is not a phone number
    response = owner.patch(f"{API}/customers/{customer['id']}/", {"phone": "12345"}, content_type=JSON)

    # then the change is refused and the phone is kept
    assert_error(response, 400, "phone_invalid")
    with tenant_context(alpha):
        assert Customer.objects.get(pk=customer["id"]).phone == "+5511987654321"


def test_a_pet_is_registered_resized_and_vaccinated(owner, customer):
    # given a customer
    # when a pet is registered for them, then resized, then vaccinated
    pet = owner.post(
        f"{API}/customers/{customer.id}/pets/", {"name": "Thor", "species": "dog", "size": "M"}, content_type=JSON
    )
    assert pet.status_code == 201, pet.content
    pet_id = pet.json()["id"]
    resized = owner.patch(f"{API}/pets/{pet_id}/", {"size": "G"}, content_type=JSON)
    vaccinated = owner.post(
        f"{API}/pets/{pet_id}/vaccinations/",
        {"vaccine": "V10", "applied_on": "2025-01-10", "due_on": "2026-01-10"},
        content_type=JSON,
    )

    # then each change answers and is stored
    assert pet.json()["customer"] == customer.id
    assert resized.status_code == 200, resized.content
    assert resized.json()["size"] == "G"
    assert vaccinated.status_code == 201, vaccinated.content
    assert owner.get(f"{API}/customers/{customer.id}/pets/").json()[0]["size"] == "G"
    assert [v["vaccine"] for v in owner.get(f"{API}/pets/{pet_id}/vaccinations/").json()] == ["V10"]
    assert Pet.objects.get(pk=pet_id).size == "G"


def test_a_vaccination_due_before_it_was_applied_is_refused(owner, dog):
    # given a pet
    # when a vaccination is recorded with its next dose due before it was applied
    response = owner.post(
        f"{API}/pets/{dog.id}/vaccinations/",
        {"vaccine": "V10", "applied_on": "2025-01-10", "due_on": "2024-01-10"},
        content_type=JSON,
    )

    # then it is refused and nothing is recorded
    assert_error(response, 400, "due_before_applied")
    assert not Vaccination.objects.filter(pet=dog).exists()


# Availability and booking


def test_a_searched_slot_is_booked_at_the_size_price_and_leaves_the_search(owner, bath, customer, dog):
    # given a search for free bath slots on a Monday for a large dog
    monday = upcoming(MONDAY)
    slots = search(owner, bath.id, monday)
    assert slots, "a Monday should have free slots"
    slot = slots[0]

    # when the first offer is booked
    response = book(owner, offer_id=slot["offer_id"], customer=customer.id, pet=dog.id)

    # then the booking is pending, at that time, at the large-dog price
    assert response.status_code == 201, response.content
    booking = response.json()
    size_rule = ServiceSizeRule.objects.get(service=bath, size="G")
    assert booking["status"] == "pending"
    assert Decimal(booking["price"]) == size_rule.price == Decimal(slot["price"])
    assert datetime.fromisoformat(booking["start"]) == datetime.fromisoformat(slot["start"])
    assert (booking["customer"]["id"], booking["pet"]["id"]) == (customer.id, dog.id)
    assert (booking["source"], booking["created_by"]) == ("staff", ALPHA.owner_email)
    assert owner.get(f"{API}/bookings/{booking['id']}/").json()["id"] == booking["id"]
    # and the slot is no longer offered
    assert datetime.fromisoformat(slot["start"]) not in starts(search(owner, bath.id, monday))


def test_a_search_ending_before_it_starts_is_refused(owner, bath):
    # given a search window whose end is before its start
    monday = upcoming(MONDAY)
    query = {
        "service": bath.id,
        "size": "G",
        "from": monday.isoformat(),
        "to": (monday - timedelta(days=1)).isoformat(),
    }

    # when searching
    response = owner.get(f"{API}/availability/", query)

    # then it is refused, naming the field
    body = assert_error(response, 400, "invalid")
    assert "to" in body["fields"]


def test_availability_names_its_dates_from_and_to_in_errors_and_in_the_schema(owner, bath):
    # given the API's documented query parameters `from` and `to` (README, examples)
    # when `to` is left out, and when the OpenAPI schema is read
    missing_to = owner.get(f"{API}/availability/", {"service": bath.id, "size": "G", "from": "2030-03-04"})
    schema = owner.get("/api/schema/", {"format": "json"}).json()

    # then the error names `to`, and the schema documents `from` and `to`
    body = assert_error(missing_to, 400, "invalid")
    assert "to" in body["fields"], body["fields"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/availability/"]["get"]["parameters"]}
    assert {"from", "to"} <= parameters, parameters


def test_booking_an_unknown_pet_is_refused(owner, bath, customer):
    # given an offer
    offer_id = search(owner, bath.id, upcoming(MONDAY))[0]["offer_id"]

    # when booking it for a pet id that does not exist
    response = book(owner, offer_id=offer_id, customer=customer.id, pet=987654321)

    # then the pet field is refused
    body = assert_error(response, 400, "invalid")
    assert "pet" in body["fields"]
    assert not Booking.objects.exists()


def test_booking_a_pet_of_another_customer_is_refused(owner, bath, customer):
    # given another customer's large dog and an offer for a large dog
    stranger, _created = customer_get_or_create(phone="+5521912345678", name="João", actor=STAFF)
    strangers_dog = pet_register(customer=stranger, name="Bidu", species="dog", size="G", actor=STAFF)
    offer_id = search(owner, bath.id, upcoming(MONDAY))[0]["offer_id"]

    # when booking the offer for our customer with the stranger's dog
    response = book(owner, offer_id=offer_id, customer=customer.id, pet=strangers_dog.id)

    # then it is refused
    assert_error(response, 400, "pet_not_customers")
    assert not Booking.objects.exists()


def test_booking_directly_in_the_past_is_refused(owner, bath, groomer, customer, dog):
    # given a time yesterday, during opening hours
    yesterday = datetime.now(SHOP_TZ).date() - timedelta(days=1)

    # when booking it directly
    response = book(
        owner,
        service=bath.id,
        resource=groomer.id,
        start=at(yesterday, 10).isoformat(),
        customer=customer.id,
        pet=dog.id,
    )

    # then it is refused
    assert_error(response, 400, "in_past")
    assert not Booking.objects.exists()


def test_an_altered_offer_is_refused(owner, bath, customer, dog):
    # given an offer whose start timestamp has one digit changed
    offer_id = search(owner, bath.id, upcoming(MONDAY), size="G")[0]["offer_id"]
    pieces = offer_id.split(".")  # version, service, resource, start, size, pet, expiry, signature
    pieces[3] = pieces[3][:-1] + str((int(pieces[3][-1]) + 1) % 10)

    # when booking it
    response = book(owner, offer_id=".".join(pieces), customer=customer.id, pet=dog.id)

    # then it is refused
    assert_error(response, 400, "offer_invalid")
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "invented",
    ["segunda às 10h por favor", "o1.1.1.1900000000.G.0.4102444800.AAAAAAAAAAAAAAAAAAAAAAAA", "o1.x.y"],
)
def test_an_invented_offer_is_refused(owner, customer, dog, invented):
    # given an offer id the server never issued
    # when booking it
    response = book(owner, offer_id=invented, customer=customer.id, pet=dog.id)

    # then it is refused
    assert_error(response, 400, "offer_invalid")
    assert not Booking.objects.exists()


def test_an_offer_booked_twice_is_refused_the_second_time(owner, bath, customer, dog):
    # given an offer already booked
    offer_id = search(owner, bath.id, upcoming(MONDAY))[0]["offer_id"]
    assert book(owner, offer_id=offer_id, customer=customer.id, pet=dog.id).status_code == 201

    # when it is booked again
    response = book(owner, offer_id=offer_id, customer=customer.id, pet=dog.id)

    # then the slot is taken (400, not 409)
    assert_error(response, 400, "slot_taken")
    assert Booking.objects.count() == 1


# Booking actions


def test_a_booking_is_confirmed_rescheduled_and_cancelled(owner, bath, customer, dog):
    # given a pending booking
    monday = upcoming(MONDAY)
    slots = search(owner, bath.id, monday)
    booking = book(owner, offer_id=slots[0]["offer_id"], customer=customer.id, pet=dog.id).json()
    actions = f"{API}/bookings/{booking['id']}"

    # when it is confirmed
    confirmed = owner.post(f"{actions}/confirm/", {}, content_type=JSON)
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmed_at"]

    # and rescheduled with a new offer
    later = search(owner, bath.id, monday)[-1]
    rescheduled = owner.post(f"{actions}/reschedule/", {"offer_id": later["offer_id"]}, content_type=JSON)
    assert rescheduled.status_code == 200, rescheduled.content
    assert datetime.fromisoformat(rescheduled.json()["start"]) == datetime.fromisoformat(later["start"])
    assert rescheduled.json()["start"] != booking["start"]
    assert rescheduled.json()["status"] == "confirmed"

    # and cancelled with a reason
    cancelled = owner.post(f"{actions}/cancel/", {"reason": "Cliente viajou"}, content_type=JSON)
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancellation_reason"] == "Cliente viajou"

    # then cancelling again changes nothing
    again = owner.post(f"{actions}/cancel/", {"reason": "de novo"}, content_type=JSON)
    assert again.status_code == 200, again.content
    assert again.json()["status"] == "cancelled"
    assert again.json()["cancellation_reason"] == "Cliente viajou"

    # and a cancelled booking cannot be confirmed
    assert_error(owner.post(f"{actions}/confirm/", {}, content_type=JSON), 400, "invalid_transition")
    stored = Booking.objects.get(pk=booking["id"])
    assert (stored.status, stored.cancellation_reason) == ("cancelled", "Cliente viajou")


# Roles


def _service_payload() -> dict:
    return {
        "name": "Hidratação",
        "category": "bath",
        "duration_minutes": 40,
        "price": "60.00",
        "size_rules": [{"size": "G", "duration_minutes": 50, "price": "80.00"}],
    }


def _closure_payload() -> dict:
    day = upcoming(TUESDAY).isoformat()
    return {"start_date": day, "end_date": day, "reason": "Feriado municipal"}


HOURS = [{"weekday": MONDAY, "start": "09:00", "end": "17:00"}]


@pytest.mark.parametrize("via", ["session", "api_key"])
def test_an_attendant_books_but_cannot_change_the_catalogue_hours_or_closures(as_role, alpha, via):
    # given an attendant (a staff user or an API key)
    client, auth = as_role("attendant", via)

    # when they create a customer and book
    customer = client.post(f"{API}/customers/", {"phone": "11987654321", "name": "Ana"}, content_type=JSON, **auth)
    assert customer.status_code == 201, customer.content
    with tenant_context(alpha):
        bath_id = Service.objects.get(category=Service.Category.BATH).id
    pet = client.post(
        f"{API}/customers/{customer.json()['id']}/pets/", {"name": "Bolt", "size": "M"}, content_type=JSON, **auth
    )
    assert pet.status_code == 201, pet.content
    offer_id = search(client, bath_id, upcoming(MONDAY), size="M", **auth)[0]["offer_id"]
    booking = book(client, offer_id=offer_id, customer=customer.json()["id"], pet=pet.json()["id"], extra=auth)
    assert booking.status_code == 201, booking.content

    # then they may not change services, business hours or closures
    refused = [
        client.post(f"{API}/services/", _service_payload(), content_type=JSON, **auth),
        client.put(f"{API}/business-hours/", HOURS, content_type=JSON, **auth),
        client.post(f"{API}/closures/", _closure_payload(), content_type=JSON, **auth),
    ]
    for response in refused:
        assert_error(response, 403, "permission_denied")
    with tenant_context(alpha):
        assert not Service.objects.filter(name="Hidratação").exists()
        assert BusinessHours.objects.count() == 6
        assert not Closure.objects.exists()


@pytest.mark.parametrize(("role", "via"), [("manager", "session"), ("owner", "session"), ("manager", "api_key")])
def test_managers_change_the_catalogue_hours_and_closures(as_role, alpha, role, via):
    # given a manager or owner (a staff user or an API key)
    client, auth = as_role(role, via)

    # when they create a service, replace the hours and add a closure
    service = client.post(f"{API}/services/", _service_payload(), content_type=JSON, **auth)
    hours = client.put(f"{API}/business-hours/", HOURS, content_type=JSON, **auth)
    closure = client.post(f"{API}/closures/", _closure_payload(), content_type=JSON, **auth)

    # then each change is made
    assert service.status_code == 201, service.content
    assert service.json()["size_rules"] == [{"size": "G", "duration_minutes": 50, "price": "80.00"}]
    assert hours.status_code == 200, hours.content
    assert hours.json() == [{"weekday": 0, "start": "09:00:00", "end": "17:00:00"}]
    assert closure.status_code == 201, closure.content
    with tenant_context(alpha):
        assert Service.objects.filter(name="Hidratação").exists()
        assert list(BusinessHours.objects.values_list("weekday", "start", "end")) == [(0, time(9), time(17))]
        assert Closure.objects.get().reason == "Feriado municipal"


def test_a_resource_named_like_another_is_refused_as_invalid(owner, groomer):
    # given the shop's groomer
    # when a manager creates another resource with the same name
    response = owner.post(f"{API}/resources/", {"name": groomer.name}, content_type=JSON)

    # then it is refused as invalid input, naming the field (not a server error)
    body = assert_error(response, 400, "invalid")
    assert list(body["fields"]) == ["name"]
    assert Resource.objects.filter(name=groomer.name).count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "customers/"), ("post", "customers/"), ("get", "bookings/"), ("put", "business-hours/")],
)
def test_an_anonymous_caller_gets_a_json_error(alpha_client, alpha, method, path):
    # given no session and no API key
    # when calling the API
    response = getattr(alpha_client, method)(f"{API}/{path}", {}, content_type=JSON)

    # then it is refused with the API's error shape
    assert response.status_code in {401, 403}, response.content
    assert response["Content-Type"].startswith(JSON)
    assert_error(response, response.status_code, "not_authenticated")
    with tenant_context(alpha):
        assert BusinessHours.objects.count() == 6


def test_every_error_carries_code_message_and_fields(owner, customer, dog):
    # given the kinds of errors the API answers: a refused booking, an
    # unknown id, an invalid body, a refused role and a missing login
    _api_key, attendant_key = api_key_create(name="Front desk", role="attendant", actor=STAFF)
    errors = {
        "booking error": book(owner, offer_id="nope", customer=customer.id, pet=dog.id),
        "not found": owner.get(f"{API}/pets/987654321/"),
        "validation": owner.post(f"{API}/customers/", {}, content_type=JSON),
        "permission denied": Client(HTTP_HOST=ALPHA.host).post(
            f"{API}/services/", _service_payload(), content_type=JSON, HTTP_AUTHORIZATION=f"Api-Key {attendant_key}"
        ),
        "not authenticated": Client(HTTP_HOST=ALPHA.host).get(f"{API}/customers/"),
    }

    # then every one has the documented shape {"code", "message", "fields"}
    shapes = {kind: sorted(response.json()) for kind, response in errors.items()}
    assert shapes == {kind: ["code", "fields", "message"] for kind in errors}


# API keys


def test_an_api_key_reads_and_books_and_its_bookings_come_from_the_api(alpha, alpha_client, bath, groomer, dog):
    # given an API key, never used
    api_key, key = api_key_create(name="ERP", role="attendant", actor=STAFF)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    assert api_key.last_used_at is None

    # when it lists customers and books directly
    listed = alpha_client.get(f"{API}/customers/", **auth)
    start = at(upcoming(MONDAY), 14)
    booked = book(
        alpha_client, service=bath.id, resource=groomer.id, start=start.isoformat(), customer=dog.customer_id,
        pet=dog.id, extra=auth,
    )  # fmt: skip

    # then both work, the booking's source is the API, and the key's use is recorded
    assert listed.status_code == 200, listed.content
    assert dog.customer.phone in [c["phone"] for c in listed.json()["results"]]
    assert booked.status_code == 201, booked.content
    assert booked.json()["source"] == "api"
    assert datetime.fromisoformat(booked.json()["start"]) == start
    assert booked.json()["created_by"].startswith("api-key:ERP")
    with tenant_context(alpha):
        api_key.refresh_from_db()
        assert api_key.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [
        "revoked",
        "Api-Key not-a-key",
        "Api-Key oxy_deadbeef.c2VjcmV0",
        "Api-Key {prefix}.wrong-secret",  # a real prefix with another secret
        "Api-Key ",
    ],
)
def test_a_revoked_or_bad_api_key_is_refused(alpha, alpha_client, header):
    # given a key that has been revoked, or a header that is not a valid key
    with tenant_context(alpha):
        api_key, key = api_key_create(name="Old ERP", role="manager", actor=STAFF)
        if header == "revoked":
            api_key_revoke(api_key=api_key, actor=STAFF)
            header = f"Api-Key {key}"
    header = header.format(prefix=key.split(".")[0])

    # when it is used
    response = alpha_client.get(f"{API}/customers/", HTTP_AUTHORIZATION=header)

    # then the call is refused
    assert response.status_code in {401, 403}, response.content
    assert response.json()["code"] in {"authentication_failed", "not_authenticated"}
    assert response.json()["message"].strip()
    with tenant_context(alpha):
        api_key.refresh_from_db()
        assert api_key.last_used_at is None


# Business hours and closures in the search


def test_new_business_hours_shape_the_search(owner, bath):
    # given Monday's hours replaced by 13:00-15:00 (and every other day closed)
    response = owner.put(
        f"{API}/business-hours/", [{"weekday": MONDAY, "start": "13:00", "end": "15:00"}], content_type=JSON
    )
    assert response.status_code == 200, response.content
    monday = upcoming(MONDAY)

    # when searching a Monday and a Tuesday
    found = starts(search(owner, bath.id, monday))
    tuesday = search(owner, bath.id, monday + timedelta(days=1))

    # then Monday offers only starts that finish by 15:00, on the 30-minute grid
    duration = timedelta(minutes=ServiceSizeRule.objects.get(service=bath, size="G").duration_minutes)
    expected, start = [], at(monday, 13)
    while start + duration <= at(monday, 15):
        expected.append(start)
        start += timedelta(minutes=30)
    assert expected, "the window should fit at least one bath"
    assert found == expected
    assert tuesday == []


def test_a_closure_removes_that_days_slots(owner, bath):
    # given free slots on Monday and Tuesday
    monday = upcoming(MONDAY)
    tuesday = monday + timedelta(days=1)
    assert search(owner, bath.id, monday)
    assert search(owner, bath.id, tuesday)

    # when Monday is closed
    response = owner.post(
        f"{API}/closures/", {"start_date": monday.isoformat(), "end_date": monday.isoformat(), "reason": "Feriado"},
        content_type=JSON,
    )  # fmt: skip

    # then Monday has no slots left and Tuesday keeps its own
    assert response.status_code == 201, response.content
    assert search(owner, bath.id, monday) == []
    assert search(owner, bath.id, tuesday)
    found = starts(search(owner, bath.id, monday, last_day=tuesday))
    assert found
    assert {start.astimezone(SHOP_TZ).date() for start in found} == {tuesday}


# OpenAPI


def test_the_openapi_schema_lists_the_booking_endpoints(owner):
    # given a signed-in staff user
    # when fetching the schema
    response = owner.get("/api/schema/")

    # then it lists the API's paths
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/v1/bookings/" in schema
    assert "/api/v1/availability/" in schema


def test_the_api_docs_render_without_external_cdns(owner):
    # given a signed-in staff user
    # when opening the docs
    response = owner.get("/api/docs/")

    # then the page renders with its assets served by the shop itself
    assert response.status_code == 200
    assert "cdn" not in response.content.decode().lower()
