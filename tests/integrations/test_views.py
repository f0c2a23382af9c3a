"""Settings → Webhooks and alerts: managers add, test, rotate, replay and
remove; a secret is shown once; attendants are refused; another shop can
neither see nor change alpha's endpoints and deliveries."""

import re

import pytest
from django_tenants.utils import tenant_context

from tenants.integrations.models import AlertSettings, WebhookDelivery, WebhookEndpoint
from tenants.integrations.services.webhooks import webhook_endpoint_create, webhook_test_send
from tenants.shop.models import AuditEntry
from tests.fixtures.bookings import STAFF


def test_a_manager_adds_an_endpoint_and_sees_its_secret_once(alpha, alpha_team, receiver):
    client = alpha_team("manager")

    response = client.post("/settings/webhooks/", {"url": receiver.url(), "description": "ERP",
                                                   "events": ["booking.created", "message.received"], "active": "on"},
                           follow=True)  # fmt: skip

    secret = re.search(r"whsec_[A-Za-z0-9_\-]+", response.content.decode()).group()
    with tenant_context(alpha):
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.secret == secret
        assert endpoint.events == ["booking.created", "message.received"]
        assert AuditEntry.objects.filter(action="webhook.created").exists()
    assert secret not in client.get("/settings/webhooks/").content.decode()


def test_in_production_a_private_address_is_refused_with_a_clear_error(alpha, alpha_team, settings):
    settings.OXY_OUTBOUND_ALLOW_PRIVATE = False
    client = alpha_team("manager")

    response = client.post("/settings/webhooks/", {"url": "http://127.0.0.1:6379/", "events": ["booking.created"]})

    assert response.status_code == 200
    assert "endereço privado ou local" in response.content.decode()
    with tenant_context(alpha):
        assert not WebhookEndpoint.objects.exists()


def test_a_manager_sends_a_test_event_and_replays_it(alpha, alpha_team, receiver):
    client = alpha_team("manager")
    with tenant_context(alpha):
        endpoint, _secret = webhook_endpoint_create(url=receiver.url(), events=["booking.created"], actor=STAFF)

    assert client.post(f"/settings/webhooks/{endpoint.pk}/test/").status_code == 302
    with tenant_context(alpha):
        test = WebhookDelivery.objects.get(event_type="webhook.test")
    assert client.post(f"/settings/webhooks/deliveries/{test.pk}/replay/").status_code == 302

    with tenant_context(alpha):
        assert WebhookDelivery.objects.get(replay_of=test).payload == test.payload
    page = client.get("/settings/webhooks/").content.decode()
    assert "webhook.test" in page
    assert receiver.url() in page


def test_a_manager_rotates_and_removes_an_endpoint(alpha, alpha_team, receiver):
    client = alpha_team("manager")
    with tenant_context(alpha):
        endpoint, old = webhook_endpoint_create(url=receiver.url(), events=["booking.created"], actor=STAFF)

    response = client.post(f"/settings/webhooks/{endpoint.pk}/rotate/", follow=True)
    new = re.search(r"whsec_[A-Za-z0-9_\-]+", response.content.decode()).group()
    assert new != old
    client.post(f"/settings/webhooks/{endpoint.pk}/remove/")

    with tenant_context(alpha):
        assert not WebhookEndpoint.objects.exists()


def test_alert_settings_are_saved_and_the_slack_url_never_shown(alpha, alpha_team, slack):
    client = alpha_team("owner")

    client.post("/settings/webhooks/alerts/", {"emails": "ops@alpha.test, owner@alpha.test",
                                               "slack_webhook_url": slack.url})  # fmt: skip

    with tenant_context(alpha):
        saved = AlertSettings.objects.get()
        assert (saved.emails, saved.slack_webhook_url) == (["ops@alpha.test", "owner@alpha.test"], slack.url)
    assert "secret-token" not in client.get("/settings/webhooks/").content.decode()


@pytest.fixture
def alpha_hook(alpha, receiver):
    with tenant_context(alpha):
        endpoint, _secret = webhook_endpoint_create(url=receiver.url(), events=["booking.created"], actor=STAFF)
        delivery = webhook_test_send(endpoint=endpoint, actor=STAFF)
    return endpoint, delivery


def _routes(endpoint_id: int, delivery_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/settings/webhooks/"), ("post", "/settings/webhooks/"),
        ("get", f"/settings/webhooks/{endpoint_id}/"), ("post", f"/settings/webhooks/{endpoint_id}/"),
        ("post", f"/settings/webhooks/{endpoint_id}/remove/"), ("post", f"/settings/webhooks/{endpoint_id}/rotate/"),
        ("post", f"/settings/webhooks/{endpoint_id}/test/"),
        ("post", f"/settings/webhooks/deliveries/{delivery_id}/replay/"), ("post", "/settings/webhooks/alerts/"),
    ]  # fmt: skip


def _alpha_rows(alpha) -> tuple:
    with tenant_context(alpha):
        endpoints = list(WebhookEndpoint.objects.values_list("pk", "url", "secret", "events", "active"))
        return endpoints, list(WebhookDelivery.objects.values_list("pk", "status")), AlertSettings.objects.count()


def test_an_attendant_is_refused_every_webhook_page(alpha, alpha_team, alpha_hook):
    client = alpha_team("attendant")
    before = _alpha_rows(alpha)

    for method, path in _routes(alpha_hook[0].pk, alpha_hook[1].pk):
        assert (
            getattr(client, method)(path, {"url": "https://evil.test/", "events": ["booking.created"]}).status_code
            == 403
        ), path  # noqa: E501

    assert _alpha_rows(alpha) == before


def test_another_shop_cannot_see_or_change_alphas_webhooks(alpha, beta, beta_team, alpha_hook, receiver):
    client = beta_team("manager")
    before = _alpha_rows(alpha)
    endpoint, delivery = alpha_hook

    page = client.get("/settings/webhooks/").content.decode()
    assert receiver.url() not in page
    assert "webhook.test" not in page
    for method, path in _routes(endpoint.pk, delivery.pk)[2:8]:
        assert getattr(client, method)(path, {"url": "https://evil.test/"}).status_code == 404, path

    assert _alpha_rows(alpha) == before
    with tenant_context(beta):
        assert not WebhookDelivery.objects.exists()
