"""API rate limits: one bucket per API key (or staff member) and one per
shop, in Redis; a 429 says when to come back, in the API's error shape."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django_tenants.utils import tenant_context

from tests.conftest import ALPHA, BETA
from tests.fixtures.dashboard import api_key_auth

SERVICES = "/api/v1/services/"


@pytest.fixture(autouse=True)
def _fresh_shop_buckets(alpha, beta):
    # The whole run calls these two shops; start each test with empty buckets.
    for shop in (alpha, beta):
        with tenant_context(shop):
            cache.delete("throttle:shop")


def _calls(client: Client, auth: dict, times: int) -> list[int]:
    return [client.get(SERVICES, **auth).status_code for _ in range(times)]


@override_settings(OXY_API_RATE_PER_KEY="3/min", OXY_API_RATE_PER_SHOP="1000/min")
def test_a_key_that_used_its_rate_waits_and_another_key_does_not(alpha):
    client = Client(HTTP_HOST=ALPHA.host)
    first, second = api_key_auth(alpha, name="ERP", language="en"), api_key_auth(alpha, name="Site", language="en")

    assert _calls(client, first, 3) == [200, 200, 200]
    refused = client.get(SERVICES, **first)

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.json() == {"code": "throttled", "message": refused.json()["message"], "fields": {}}
    assert "Request was throttled" in refused.json()["message"]
    assert _calls(client, second, 3) == [200, 200, 200]


@override_settings(OXY_API_RATE_PER_KEY="1000/min", OXY_API_RATE_PER_SHOP="4/min")
def test_the_shop_bucket_counts_every_key_and_session_of_the_shop(alpha, alpha_team):
    client = Client(HTTP_HOST=ALPHA.host)
    first, second = api_key_auth(alpha, name="ERP", language="en"), api_key_auth(alpha, name="Site", language="en")
    staff = alpha_team("attendant")

    assert _calls(client, first, 2) + _calls(client, second, 1) + _calls(staff, {}, 1) == [200] * 4

    assert client.get(SERVICES, **api_key_auth(alpha, name="Novo", language="en")).status_code == 429
    assert staff.get(SERVICES).status_code == 429


@override_settings(OXY_API_RATE_PER_KEY="1000/min", OXY_API_RATE_PER_SHOP="2/min")
def test_another_shop_is_not_slowed_by_a_busy_one(alpha, beta):
    alpha_client, beta_client = Client(HTTP_HOST=ALPHA.host), Client(HTTP_HOST=BETA.host)
    alpha_key, beta_key = api_key_auth(alpha, name="ERP", language="en"), api_key_auth(beta, name="ERP", language="en")

    assert _calls(alpha_client, alpha_key, 3) == [200, 200, 429]

    assert _calls(beta_client, beta_key, 2) == [200, 200]


def test_the_shop_bucket_is_stored_under_the_shop_schema(alpha):
    # django_tenants.cache.make_key puts the schema first: one bucket per shop.
    with tenant_context(alpha):
        assert cache.make_key("throttle:shop").startswith("shop_alpha:")
