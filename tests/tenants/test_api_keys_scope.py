"""Read-only API keys: they may look at everything their shop's API shows an
attendant, and change nothing; managers offer the scope in Settings and in
the shop's admin."""

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from bookings.models import Customer
from tenants.shop.models import ApiKey
from tests.conftest import ALPHA, BETA
from tests.fixtures.dashboard import api_key_auth

API = "/api/v1"
JSON = "application/json"
READ_ONLY = "This API key is read only: it may not change anything."


@pytest.fixture
def read_key(alpha) -> dict:
    return api_key_auth(alpha, role=ApiKey.Role.READ, name="read integration", language="en")


def test_a_read_key_reads(read_key):
    client = Client(HTTP_HOST=ALPHA.host)

    assert client.get(f"{API}/services/", **read_key).status_code == 200
    assert client.get(f"{API}/customers/", **read_key).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/customers/", {"phone": "11987654321", "name": "Maria"}),
        ("post", "/services/", {"name": "Banho", "category": "bath", "duration_minutes": 40, "price": "60.00"}),
        ("post", "/channels/", {"name": "Loja", "provider": "sandbox"}),
    ],
)
def test_a_read_key_changes_nothing(alpha, read_key, method, path, body):
    client = Client(HTTP_HOST=ALPHA.host)
    with tenant_context(alpha):
        customers = Customer.objects.count()

    response = getattr(client, method)(f"{API}{path}", body, content_type=JSON, **read_key)

    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "message": READ_ONLY, "fields": {}}
    with tenant_context(alpha):
        assert Customer.objects.count() == customers


def test_an_attendant_key_still_writes(alpha):
    # The control: the same request with a writing key is accepted.
    client, attendant_key = Client(HTTP_HOST=ALPHA.host), api_key_auth(alpha, language="en")
    response = client.post(
        f"{API}/customers/", {"phone": "11987654321", "name": "Maria"}, content_type=JSON, **attendant_key
    )
    assert response.status_code == 201


def test_a_read_key_does_not_see_managers_figures(read_key):
    response = Client(HTTP_HOST=ALPHA.host).get(f"{API}/analytics/summary/", **read_key)
    assert response.status_code == 403


def test_a_read_key_of_one_shop_is_unknown_to_another(beta, read_key):
    response = Client(HTTP_HOST=BETA.host).get(f"{API}/services/", **read_key)
    assert response.status_code == 403
    assert response.json()["message"] == "Unknown or revoked API key."


def test_a_manager_creates_a_read_key_in_settings(alpha, alpha_team):
    manager = alpha_team("manager")

    page = manager.get("/settings/api-keys/")
    response = manager.post("/settings/api-keys/", {"name": "Painel da TV", "role": "read"})

    assert 'value="read"' in page.content.decode()
    assert response.status_code == 302
    with tenant_context(alpha):
        assert ApiKey.objects.get(name="Painel da TV").role == ApiKey.Role.READ


def test_the_shop_admin_offers_a_read_key(alpha, alpha_team):
    owner = alpha_team("owner")

    page = owner.get("/admin/shop/apikey/add/")
    owner.post("/admin/shop/apikey/add/", {"name": "Relatórios", "role": "read"})

    assert 'value="read"' in page.content.decode()
    with tenant_context(alpha):
        assert ApiKey.objects.get(name="Relatórios").role == ApiKey.Role.READ
