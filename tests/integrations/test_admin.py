"""The shop admin's delivery log: replay as an action, alpha's only."""

from django_tenants.utils import tenant_context

from tenants.integrations.models import WebhookDelivery
from tenants.integrations.services.webhooks import webhook_endpoint_create, webhook_test_send
from tests.fixtures.bookings import STAFF


def _delivery(alpha, receiver) -> WebhookDelivery:
    with tenant_context(alpha):
        endpoint, _secret = webhook_endpoint_create(url=receiver.url(), events=["booking.created"], actor=STAFF)
        return webhook_test_send(endpoint=endpoint, actor=STAFF)


def test_a_manager_replays_a_delivery_from_the_admin(alpha, alpha_team, receiver):
    delivery = _delivery(alpha, receiver)
    client = alpha_team("manager")
    changelist = "/admin/integrations/webhookdelivery/"

    assert "webhook.test" in client.get(changelist).content.decode()
    response = client.post(changelist, {"action": "replay", "_selected_action": [delivery.pk]})

    assert response.status_code == 302
    with tenant_context(alpha):
        assert WebhookDelivery.objects.filter(replay_of=delivery).count() == 1


def test_another_shops_admin_cannot_see_or_replay_alphas_deliveries(alpha, beta, beta_team, receiver):
    delivery = _delivery(alpha, receiver)
    client = beta_team("manager")
    changelist = "/admin/integrations/webhookdelivery/"

    assert "webhook.test" not in client.get(changelist).content.decode()
    assert client.get(f"{changelist}{delivery.pk}/change/").status_code in (302, 404)
    client.post(changelist, {"action": "replay", "_selected_action": [delivery.pk]})

    with tenant_context(alpha):
        assert WebhookDelivery.objects.count() == 1
    with tenant_context(beta):
        assert not WebhookDelivery.objects.exists()
