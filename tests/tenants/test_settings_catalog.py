"""Services (price and duration by pet size) and resources, as a manager edits them."""

from datetime import time
from decimal import Decimal

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from bookings.models import Resource, ResourceHours, Service
from bookings.services import resource_create, service_create
from tenants.shop.models import AuditEntry
from tests.fixtures.bookings import STAFF
from tests.tenants import settings_data as data


@pytest.fixture
def manager(alpha_team):
    client = alpha_team("manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def spa(alpha) -> Service:
    with tenant_context(alpha):
        return service_create(
            name="Spa", category="bath", duration_minutes=60, price=Decimal("80.00"),
            size_rules={"P": (50, Decimal("70.00")), "G": (80, Decimal("110.00"))}, actor=STAFF,
        )  # fmt: skip


def rules_of(organization, name: str) -> dict[str, tuple[int, Decimal]]:
    with tenant_context(organization):
        service = Service.objects.get(name=name)
        return {rule.size: (rule.duration_minutes, rule.price) for rule in service.size_rules.all()}


def test_the_services_page_lists_prices_and_durations_by_size(manager, spa):
    page = manager.get("/settings/services/").content.decode()

    assert f'<a href="/settings/services/{spa.pk}/">Spa</a>' in page
    assert "R$ 80.00" in page
    assert "small (P): 50 min, R$ 70.00" in page
    assert "large (G): 80 min, R$ 110.00" in page


def test_a_manager_adds_a_service_with_prices_by_size(alpha, manager):
    body = data.service("Hidratação", price="55,50", minutes_P="30", price_P="45,90", minutes_GG="60", price_GG="90")

    response = manager.post("/settings/services/new/", body, follow=True)

    assert response.redirect_chain == [("/settings/services/", 302)]
    assert "“Hidratação” saved." in response.content.decode()
    with tenant_context(alpha):
        service = Service.objects.get(name="Hidratação")
        assert (service.duration_minutes, service.price, service.active) == (40, Decimal("55.50"), True)
        assert AuditEntry.objects.filter(action="service.created", target=f"service:{service.pk}").exists()
    assert rules_of(alpha, "Hidratação") == {"P": (30, Decimal("45.90")), "GG": (60, Decimal("90.00"))}


def test_editing_a_service_shows_its_rules_and_replaces_them(alpha, manager, spa):
    form = manager.get(f"/settings/services/{spa.pk}/").content.decode()
    assert 'name="minutes_G" value="80"' in form
    assert 'name="price_G" value="110.00"' in form

    body = data.service("Spa Premium", price="95", minutes_M="65", price_M="99")  # P and G left empty
    response = manager.post(f"/settings/services/{spa.pk}/", body)

    assert response.status_code == 302
    with tenant_context(alpha):
        spa.refresh_from_db()
    assert (spa.name, spa.price) == ("Spa Premium", Decimal("95.00"))
    assert rules_of(alpha, "Spa Premium") == {"M": (65, Decimal("99.00"))}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": "Spa"}, ["name"]),  # another service has this name
        ({"duration_minutes": "0", "price": "-1"}, ["duration_minutes", "price"]),
        ({"minutes_G": "70"}, ["price_G"]),  # a size needs both
    ],
    ids=["name-taken", "zero-and-negative", "half-a-size"],
)
def test_an_invalid_service_is_shown_again_and_nothing_is_saved(alpha, manager, spa, changes, fields):
    before = data.shop_rows(alpha)

    response = manager.post("/settings/services/new/", data.service(**{"name": "Tosa Higiênica"} | changes))

    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == fields
    page = response.content.decode()
    assert 'class="errorlist' in page
    assert f'value="{changes.get("name", "Tosa Higiênica")}"' in page  # what was typed is kept
    assert data.shop_rows(alpha) == before


def test_a_manager_stops_offering_a_service_and_offers_it_again(alpha, manager, spa):
    response = manager.post(f"/settings/services/{spa.pk}/active/", {"active": "0"}, follow=True)

    assert "“Spa” is no longer offered." in response.content.decode()
    assert "not offered" in response.content.decode()
    with tenant_context(alpha):
        assert Service.objects.get(pk=spa.pk).active is False

    manager.post(f"/settings/services/{spa.pk}/active/", {"active": "1"})

    with tenant_context(alpha):
        assert Service.objects.get(pk=spa.pk).active is True


def test_a_manager_adds_a_resource_with_its_services_and_own_hours(alpha, manager, spa):
    body = data.resource("Mesa 2", services=(spa.pk,), hours=[(0, "09:00", "12:00"), (0, "14:00", "17:00")])

    response = manager.post("/settings/resources/new/", body, follow=True)

    assert response.redirect_chain == [("/settings/resources/", 302)]
    assert "“Mesa 2” saved." in response.content.decode()
    with tenant_context(alpha):
        resource = Resource.objects.get(name="Mesa 2")
        assert resource.kind == "room"
        assert list(resource.services.values_list("name", flat=True)) == ["Spa"]
        hours = list(resource.hours.order_by("start").values_list("weekday", "start", "end"))
    assert hours == [(0, time(9), time(12)), (0, time(14), time(17))]


def test_a_resource_with_every_day_left_empty_follows_the_shops_hours(alpha, manager):
    with tenant_context(alpha):
        resource = resource_create(name="Mesa 3", hours=[(2, time(10), time(15))], actor=STAFF)
    assert 'value="10:00"' in manager.get(f"/settings/resources/{resource.pk}/").content.decode()

    response = manager.post(f"/settings/resources/{resource.pk}/", data.resource("Mesa 3", hours=[(2, "", "")]))

    assert response.status_code == 302
    with tenant_context(alpha):
        assert not ResourceHours.objects.filter(resource=resource).exists()
        assert AuditEntry.objects.filter(action="resource.updated", target=f"resource:{resource.pk}").exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (data.resource("Mesa 2", hours=[(1, "10:00", "12:00"), (1, "11:30", "13:00")]), ("hours", "start")),
        (data.resource(""), ("form", "name")),
    ],
    ids=["overlapping-hours", "no-name"],
)
def test_an_invalid_resource_is_shown_again_and_nothing_is_saved(alpha, manager, body, errors):
    before = data.shop_rows(alpha)

    response = manager.post("/settings/resources/new/", body)

    assert response.status_code == 200
    where, field = errors
    if where == "hours":
        assert [list(form.errors) for form in response.context["formset"].forms if form.errors] == [[field]]
        assert 'value="11:30"' in response.content.decode()
    else:
        assert list(response.context["form"].errors) == [field]
    assert data.shop_rows(alpha) == before


def test_a_manager_deactivates_a_resource(alpha, manager):
    with tenant_context(alpha):
        resource = resource_create(name="Mesa 4", actor=STAFF)

    response = manager.post(f"/settings/resources/{resource.pk}/active/", {"active": "0"}, follow=True)

    assert "“Mesa 4” no longer takes bookings." in response.content.decode()
    with tenant_context(alpha):
        assert Resource.objects.get(pk=resource.pk).active is False
