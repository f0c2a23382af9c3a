"""Another shop can neither see nor change alpha's agenda through the API.

Every route of bookings/api/urls.py, with every method its view answers, is
called three ways: with beta's owner session on alpha's host, with a beta API
key on alpha's host (both refused: they are unknown in alpha's schema), and
with alpha's ids on beta's own host (404: those rows do not exist there).
Alpha's owner calling the same table on alpha's host is the control: each
call works, so a refusal or a 404 above is isolation, not a typo. After every
write attempt alpha's rows are compared with what they were."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from bookings.api.urls import urlpatterns
from bookings.availability import find_slots
from bookings.models import (
    Booking,
    BusinessHours,
    Closure,
    Customer,
    Pet,
    Resource,
    ResourceHours,
    Service,
    ServiceSizeRule,
    Vaccination,
)
from bookings.services import (
    booking_create,
    closure_create,
    customer_get_or_create,
    pet_register,
    resource_create,
    service_create,
    vaccination_record,
)
from tenants.shop.models import AuditEntry
from tenants.shop.services import api_key_create
from tests.conftest import ALPHA, BETA, login
from tests.fixtures.bookings import STAFF

API = "/api/v1"
JSON = "application/json"
SHOP_TZ = ZoneInfo("America/Sao_Paulo")
MONDAY, THURSDAY, SUNDAY = 0, 3, 6


def upcoming(weekday: int) -> date:
    """The first such weekday at least two days from today in São Paulo."""
    day = datetime.now(SHOP_TZ).date() + timedelta(days=2)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def last_weekday() -> date:
    """The last Monday-to-Friday before today in São Paulo."""
    day = datetime.now(SHOP_TZ).date() - timedelta(days=1)
    while day.weekday() > 4:
        day -= timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHOP_TZ)


@dataclass
class AlphaWorld:
    """Rows that exist only in alpha, with markers to look for elsewhere."""

    customer: Customer
    pet: Pet
    service: Service
    resource: Resource
    closure: Closure
    booking: Booking  # in the past, pending: every action applies to it
    upcoming_booking: Booking
    bath: Service
    groomer: Resource

    @property
    def ids(self) -> dict[str, Any]:
        return {
            "customer": self.customer.id, "pet": self.pet.id, "service": self.service.id,
            "resource": self.resource.id, "closure": self.closure.id, "booking": self.booking.id,
            "monday": upcoming(MONDAY).isoformat(),
        }  # fmt: skip


@pytest.fixture
def world(alpha, beta) -> AlphaWorld:
    with tenant_context(alpha):
        bath = Service.objects.get(category=Service.Category.BATH)
        groomer = Resource.objects.get()
        customer, _created = customer_get_or_create(phone="+5511976543210", name="Cliente Exclusiva Alpha", actor=STAFF)
        pet = pet_register(customer=customer, name="Pipoca Alpha", species="dog", size="G", actor=STAFF)
        vaccination_record(pet=pet, vaccine="V10", applied_on=date(2025, 1, 10), due_on=date(2026, 1, 10), actor=STAFF)
        service = service_create(
            name="Spa Exclusivo Alpha", category="bath", duration_minutes=60, price=Decimal("99.00"),
            size_rules={"G": (60, Decimal("120.00"))}, actor=STAFF,
        )  # fmt: skip
        resource = resource_create(name="Tosadora Exclusiva Alpha", service_ids=[service.id], actor=STAFF)
        closure = closure_create(
            start_date=upcoming(THURSDAY), end_date=upcoming(THURSDAY), reason="Reforma exclusiva alpha", actor=STAFF
        )
        BusinessHours.objects.create(weekday=SUNDAY, start=time(9), end=time(11))  # alpha alone opens on Sundays
        past = at(last_weekday(), 10)
        book = {"service": bath, "resource": groomer, "customer": customer, "pet": pet, "actor": STAFF}
        booking = booking_create(start=past, now=past - timedelta(days=1), **book)
        upcoming_booking = booking_create(start=at(upcoming(MONDAY), 10), **book)
        made = AlphaWorld(customer, pet, service, resource, closure, booking, upcoming_booking, bath, groomer)
    with tenant_context(beta):
        # Ids are per schema: the test means something only if beta has no row with these ids.
        for model, row in [(Customer, customer), (Pet, pet), (Service, service), (Resource, resource),
                           (Closure, closure), (Booking, booking)]:  # fmt: skip
            assert not model.objects.filter(pk=row.pk).exists(), f"beta happens to have {model.__name__} {row.pk}"
    return made


def alpha_rows(alpha) -> dict[str, list[dict]]:
    """Everything the API could change in alpha, and its audit log."""
    models = [Customer, Pet, Vaccination, Service, ServiceSizeRule, Resource, Resource.services.through,
              ResourceHours, BusinessHours, Closure, Booking, AuditEntry]  # fmt: skip
    with tenant_context(alpha):
        return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # formatted with AlphaWorld.ids
    body: Callable[[AlphaWorld], Any] | None  # for writes
    works: int  # alpha's owner on alpha's host

    @property
    def is_write(self) -> bool:
        return self.method != "get"

    @property
    def names_alpha_rows(self) -> bool:
        return "{" in self.path.split("?")[0]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def call(self, client: Client, world: AlphaWorld, **extra):
        path = f"{API}/{self.path.format(**world.ids)}"
        if self.body is None:
            return getattr(client, self.method)(path, **extra)
        return getattr(client, self.method)(path, self.body(world), content_type=JSON, **extra)


ENDPOINTS = [
    Endpoint("get", "customers/", None, 200),
    Endpoint("post", "customers/", lambda w: {"phone": "+5511955554444", "name": "Intrusa"}, 201),
    Endpoint("get", "customers/{customer}/", None, 200),
    Endpoint("patch", "customers/{customer}/", lambda w: {"name": "Alterada", "phone": "+5511955554444"}, 200),
    Endpoint("get", "customers/{customer}/pets/", None, 200),
    Endpoint("post", "customers/{customer}/pets/", lambda w: {"name": "Intruso", "size": "P"}, 201),
    Endpoint("get", "pets/{pet}/", None, 200),
    Endpoint("patch", "pets/{pet}/", lambda w: {"size": "P", "name": "Renomeado"}, 200),
    Endpoint("get", "pets/{pet}/vaccinations/", None, 200),
    Endpoint("post", "pets/{pet}/vaccinations/", lambda w: {"vaccine": "Raiva", "applied_on": "2025-02-01"}, 201),
    Endpoint("get", "services/", None, 200),
    Endpoint(
        "post",
        "services/",
        lambda w: {"name": "Serviço Intruso", "category": "other", "duration_minutes": 30, "price": "10.00"},
        201,
    ),  # fmt: skip
    Endpoint("get", "services/{service}/", None, 200),
    Endpoint("patch", "services/{service}/", lambda w: {"price": "1.00", "active": False}, 200),
    Endpoint("get", "resources/", None, 200),
    Endpoint("post", "resources/", lambda w: {"name": "Recurso Intruso"}, 201),
    Endpoint("get", "resources/{resource}/", None, 200),
    Endpoint("patch", "resources/{resource}/", lambda w: {"name": "Renomeado", "active": False}, 200),
    Endpoint("get", "business-hours/", None, 200),
    Endpoint("put", "business-hours/", lambda w: [], 200),
    Endpoint("get", "closures/", None, 200),
    Endpoint(
        "post",
        "closures/",
        lambda w: {
            "start_date": upcoming(MONDAY).isoformat(),
            "end_date": upcoming(MONDAY).isoformat(),
            "reason": "Fechado por intrusa",
        },
        201,
    ),  # fmt: skip
    Endpoint("delete", "closures/{closure}/", None, 204),
    Endpoint("get", "availability/?service={service}&size=G&from={monday}&to={monday}", None, 200),
    Endpoint("get", "bookings/", None, 200),
    Endpoint(
        "post",
        "bookings/",
        lambda w: {
            "service": w.bath.id,
            "resource": w.groomer.id,
            "start": at(upcoming(MONDAY), 15).isoformat(),
            "customer": w.customer.id,
            "pet": w.pet.id,
        },
        201,
    ),  # fmt: skip
    Endpoint("get", "bookings/{booking}/", None, 200),
    Endpoint("post", "bookings/{booking}/confirm/", lambda w: {}, 200),
    Endpoint("post", "bookings/{booking}/cancel/", lambda w: {"reason": "cancelado por intrusa"}, 200),
    Endpoint("post", "bookings/{booking}/no-show/", lambda w: {}, 200),
    Endpoint("post", "bookings/{booking}/complete/", lambda w: {}, 200),
    Endpoint("post", "bookings/{booking}/reschedule/", lambda w: {"start": at(upcoming(MONDAY), 14).isoformat()}, 200),
]
NAMING_ALPHA_ROWS = [endpoint for endpoint in ENDPOINTS if endpoint.names_alpha_rows]


def test_the_table_covers_every_route_and_method_of_the_api():
    # given the routes of bookings/api/urls.py and the methods their views answer
    routes = set()
    for pattern in urlpatterns:
        view = pattern.callback.view_class
        route = re.sub(r"<int:(\w+?)_id>", r"{\1}", str(pattern.pattern))
        routes |= {(method, route) for method in ("get", "post", "put", "patch", "delete") if hasattr(view, method)}

    # then this module calls each of them
    assert {(endpoint.method, endpoint.path.split("?")[0]) for endpoint in ENDPOINTS} == routes


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_alphas_owner_reaches_every_endpoint_on_alphas_host(alpha, alpha_client, world, endpoint):
    # given alpha's owner signed in on alpha's host (the control for the tests below)
    login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)

    # when calling the endpoint
    response = endpoint.call(alpha_client, world)

    # then it works on alpha's rows
    assert response.status_code == endpoint.works, response.content


def _assert_refused(response, world: AlphaWorld) -> None:
    assert response.status_code in {401, 403}, response.content
    body = response.json()
    assert body["code"] in {"not_authenticated", "authentication_failed"}, body
    assert body["message"].strip()
    for marker in (world.customer.phone, world.customer.name, world.pet.name, world.service.name):
        assert marker not in response.content.decode()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_betas_owner_session_is_anonymous_on_alphas_host(alpha, beta, world, endpoint):
    # given beta's owner signed in (a session in beta's schema) calling alpha's host
    intruder = login(Client(HTTP_HOST=ALPHA.host), beta, email=BETA.owner_email, password=BETA.owner_password)
    before = alpha_rows(alpha)

    # when calling the endpoint
    response = endpoint.call(intruder, world)

    # then the call is refused and alpha is unchanged
    _assert_refused(response, world)
    assert alpha_rows(alpha) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_a_beta_api_key_is_unknown_on_alphas_host(alpha, beta, alpha_client, world, endpoint):
    # given a manager key of beta (it could change anything in beta)
    with tenant_context(beta):
        _api_key, key = api_key_create(name="Beta ERP", role="manager", actor=STAFF)
    before = alpha_rows(alpha)

    # when it calls the endpoint on alpha's host
    response = endpoint.call(alpha_client, world, HTTP_AUTHORIZATION=f"Api-Key {key}")

    # then the call is refused and alpha is unchanged
    _assert_refused(response, world)
    assert alpha_rows(alpha) == before


def test_betas_session_and_key_work_on_betas_own_host(beta, beta_client):
    # given beta's owner session and one of beta's keys (the control for the two tests above)
    with tenant_context(beta):
        _api_key, key = api_key_create(name="Beta ERP", role="manager", actor=STAFF)

    # when each calls beta's own host
    by_key = beta_client.get(f"{API}/customers/", HTTP_AUTHORIZATION=f"Api-Key {key}")
    login(beta_client, beta, email=BETA.owner_email, password=BETA.owner_password)
    by_session = beta_client.get(f"{API}/customers/")

    # then both are accepted
    assert by_key.status_code == 200, by_key.content
    assert by_session.status_code == 200, by_session.content


@pytest.mark.parametrize("endpoint", NAMING_ALPHA_ROWS, ids=str)
def test_alphas_ids_do_not_exist_on_betas_host(alpha, beta, beta_client, world, endpoint):
    # given beta's owner signed in on beta's own host
    login(beta_client, beta, email=BETA.owner_email, password=BETA.owner_password)
    before = alpha_rows(alpha)

    # when calling an endpoint with the id of one of alpha's rows
    response = endpoint.call(beta_client, world)

    # then the row is not found, and alpha is unchanged
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    assert world.customer.phone not in response.content.decode()
    assert alpha_rows(alpha) == before


LISTS = [
    # path on either host, what to collect from the answer, the alpha-only value it must not show on beta
    ("customers/", lambda body: {c["phone"] for c in body["results"]}, lambda w: w.customer.phone),
    ("customers/?search=Exclusiva", lambda body: {c["phone"] for c in body["results"]}, lambda w: w.customer.phone),
    ("customers/?search=11976543210", lambda body: {c["phone"] for c in body["results"]}, lambda w: w.customer.phone),
    ("services/?include_inactive=true", lambda body: {s["name"] for s in body}, lambda w: w.service.name),
    ("resources/", lambda body: {r["name"] for r in body}, lambda w: w.resource.name),
    ("business-hours/", lambda body: {h["weekday"] for h in body}, lambda w: SUNDAY),
    ("closures/", lambda body: {c["reason"] for c in body}, lambda w: w.closure.reason),
    ("bookings/", lambda body: {b["customer"]["phone"] for b in body["results"]}, lambda w: w.customer.phone),
]


@pytest.mark.parametrize(("path", "collect", "alpha_only"), LISTS, ids=[path for path, *_rest in LISTS])
def test_betas_lists_do_not_show_alphas_rows(alpha, beta, alpha_client, beta_client, world, path, collect, alpha_only):
    # given both owners signed in on their own hosts
    login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)
    login(beta_client, beta, email=BETA.owner_email, password=BETA.owner_password)

    # when each lists
    on_alpha = alpha_client.get(f"{API}/{path}")
    on_beta = beta_client.get(f"{API}/{path}")

    # then alpha sees its row and beta does not
    assert on_alpha.status_code == 200, on_alpha.content
    assert on_beta.status_code == 200, on_beta.content
    assert alpha_only(world) in collect(on_alpha.json())
    assert alpha_only(world) not in collect(on_beta.json())


def test_alphas_bookings_and_closures_leave_betas_slots_free(alpha, beta, alpha_client, beta_client, world):
    # given alpha's groomer booked on Monday at 10:00 and alpha closed on Thursday
    login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)
    login(beta_client, beta, email=BETA.owner_email, password=BETA.owner_password)
    monday, thursday = upcoming(MONDAY), upcoming(THURSDAY)
    with tenant_context(beta):
        beta_bath = Service.objects.get(category=Service.Category.BATH).id

    def starts(client, service_id, day):
        query = {"service": service_id, "size": "G", "from": day.isoformat(), "to": day.isoformat()}
        response = client.get(f"{API}/availability/", query)
        assert response.status_code == 200, response.content
        return [datetime.fromisoformat(slot["start"]) for slot in response.json()]

    # when each shop searches those days
    # then alpha's own agenda shows them taken, and beta's does not
    assert world.upcoming_booking.start not in starts(alpha_client, world.bath.id, monday)
    assert starts(alpha_client, world.bath.id, thursday) == []
    assert world.upcoming_booking.start in starts(beta_client, beta_bath, monday)
    assert starts(beta_client, beta_bath, thursday)


REFERENCES = [
    # a write on beta's host whose body names alpha's rows, and the field beta refuses
    ("get", "availability/", lambda w: {"service": w.service.id, "size": "G", "from": upcoming(MONDAY).isoformat(),
                                        "to": upcoming(MONDAY).isoformat()}, {"service"}),
    ("post", "bookings/", lambda w: {"service": w.bath.id, "resource": w.resource.id, "customer": w.customer.id,
                                     "pet": w.pet.id, "start": at(upcoming(MONDAY), 15).isoformat()},
     {"customer", "pet", "resource"}),
    ("post", "closures/", lambda w: {"start_date": "2031-01-01", "end_date": "2031-01-01", "reason": "x",
                                     "resource": w.resource.id}, {"resource"}),
    ("post", "resources/", lambda w: {"name": "Recurso", "services": [w.service.id]}, {"services"}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "fields"), REFERENCES, ids=[f"{m} {p}" for m, p, *_ in REFERENCES])
def test_alphas_ids_in_a_body_on_betas_host_are_invalid(alpha, beta, beta_client, world, method, path, body, fields):
    # given beta's owner signed in on beta's own host
    login(beta_client, beta, email=BETA.owner_email, password=BETA.owner_password)
    before = alpha_rows(alpha)

    # when a request names alpha's rows
    if method == "get":
        response = beta_client.get(f"{API}/{path}", body(world))
    else:
        response = beta_client.post(f"{API}/{path}", body(world), content_type=JSON)

    # then those fields are refused as unknown, and alpha is unchanged
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert fields <= set(response.json()["fields"])
    assert alpha_rows(alpha) == before


def test_an_offer_from_alpha_cannot_be_booked_on_betas_host(alpha, beta, beta_client, world):
    # given an offer alpha's search issued, and a customer with a large dog in beta
    with tenant_context(alpha):
        offer_id = find_slots(service=world.bath, size="G", start=upcoming(MONDAY), end=upcoming(MONDAY))[0].offer_id
    with tenant_context(beta):
        customer, _created = customer_get_or_create(phone="+5521976543210", name="Cliente Beta", actor=STAFF)
        pet = pet_register(customer=customer, name="Rex", species="dog", size="G", actor=STAFF)
    login(beta_client, beta, email=BETA.owner_email, password=BETA.owner_password)
    before = alpha_rows(alpha)

    # when beta books it
    response = beta_client.post(
        f"{API}/bookings/", {"offer_id": offer_id, "customer": customer.id, "pet": pet.id}, content_type=JSON
    )

    # then the offer is not one beta issued, and neither shop gets a booking
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "offer_invalid"
    assert alpha_rows(alpha) == before
    with tenant_context(beta):
        assert not Booking.objects.exists()
