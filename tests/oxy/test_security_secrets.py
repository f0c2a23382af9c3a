"""Stored secrets (channel credentials, the Meta app secret, the shop's LLM
key, its rotated secrets) never come back in an API answer, an admin page, a
settings page or an error."""

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from agents.models import AgentSettings
from agents.settings_services import llm_key_set
from tenants.shop.models import TenantSecret
from tests.conftest import ALPHA
from tests.fixtures.bookings import STAFF
from tests.fixtures.dashboard import api_key_auth

ACCESS_TOKEN, APP_SECRET, LLM_KEY = "EAAG-cloud-access-token-0001", "meta-app-secret-0002", "sk-llm-secret-0003"


@pytest.fixture
def secrets_set(alpha) -> tuple[dict, list[str]]:
    auth = api_key_auth(alpha, role="manager")
    with tenant_context(alpha):
        llm_key_set(api_key=LLM_KEY, actor=STAFF)
        stored = [ACCESS_TOKEN, APP_SECRET, LLM_KEY, *TenantSecret.objects.values_list("value", flat=True)]
    return auth, stored


def _shown_nowhere(text: str, secrets: list[str]) -> None:
    leaked = [secret for secret in secrets if secret and secret in text]
    assert leaked == []


def test_the_api_never_answers_a_secret(alpha, secrets_set):
    auth, secrets = secrets_set
    client = Client(HTTP_HOST=ALPHA.host)
    created = client.post("/api/v1/channels/", {"name": "Cloud", "provider": "cloud", "external_id": "1234567890",
                                                "access_token": ACCESS_TOKEN, "app_secret": APP_SECRET},
                          content_type="application/json", **auth)  # fmt: skip
    refused = client.post("/api/v1/channels/", {"name": "", "provider": "cloud", "access_token": ACCESS_TOKEN},
                          content_type="application/json", **auth)  # fmt: skip
    answers = [created, refused]
    answers += [client.get(f"/api/v1/{path}", **auth) for path in ("channels/", "services/", "customers/")]
    answers.append(client.get("/api/schema/", **auth))

    assert created.status_code == 201
    assert refused.status_code == 400
    for answer in answers:
        _shown_nowhere(answer.content.decode(), secrets)


def test_the_pages_staff_see_never_show_a_secret(alpha, alpha_team, secrets_set):
    _auth, secrets = secrets_set
    owner = alpha_team("owner")
    with tenant_context(alpha):
        agent_settings = AgentSettings.objects.get()
        tenant_secret = TenantSecret.objects.first()
    paths = ["/admin/agents/agentsettings/", f"/admin/agents/agentsettings/{agent_settings.pk}/change/",
             "/admin/shop/tenantsecret/", f"/admin/shop/tenantsecret/{tenant_secret.pk}/change/",
             "/settings/attendant/", "/channels/"]  # fmt: skip

    for path in paths:
        page = owner.get(path)
        assert page.status_code == 200, path
        _shown_nowhere(page.content.decode(), secrets)
