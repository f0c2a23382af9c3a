"""The webhook doors: authenticate, store durably (once), answer."""

import json

import pytest

from tests.fixtures.whatsapp import WEBHOOK_SECRET, cloud_fixture, evolution_fixture
from whatsapp.inbox.models import InboundEvent


def post_evolution(client, route, body, secret=WEBHOOK_SECRET):
    headers = {"HTTP_X_OXY_WEBHOOK_SECRET": secret} if secret is not None else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(f"/webhooks/evolution/{route.token}/", data, content_type="application/json", **headers)


def post_cloud(client, route, raw, signature):
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature is not None else {}
    return client.post(f"/webhooks/cloud/{route.token}/", raw, content_type="application/json", **headers)


def test_an_evolution_message_is_stored_once_however_often_it_is_delivered(public_client, evolution_channel):
    _channel, route = evolution_channel
    body = evolution_fixture("messages-upsert-text")

    responses = [post_evolution(public_client, route, body) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.json()["stored"] for r in responses] == [1, 0, 0]
    event = InboundEvent.objects.get(route=route)
    assert event.status == InboundEvent.Status.PENDING
    assert event.schema_name == "shop_alpha"


@pytest.mark.parametrize(
    ("secret", "status"),
    [(None, 401), ("wrong", 403)],
)
def test_evolution_without_the_right_secret_is_refused_and_nothing_stored(
    public_client, evolution_channel, secret, status
):
    _channel, route = evolution_channel

    response = post_evolution(public_client, route, evolution_fixture("messages-upsert-text"), secret=secret)

    assert response.status_code == status
    assert not InboundEvent.objects.exists()


def test_evolution_body_for_another_instance_or_with_another_apikey_is_refused(public_client, evolution_channel):
    _channel, route = evolution_channel
    other_instance = evolution_fixture("messages-upsert-text") | {"instance": "someone-else"}
    other_key = evolution_fixture("messages-upsert-text") | {"apikey": "not-the-token"}

    assert post_evolution(public_client, route, other_instance).status_code == 403
    assert post_evolution(public_client, route, other_key).status_code == 403
    assert not InboundEvent.objects.exists()


def test_unknown_route_is_404_and_nothing_stored(public_client, evolution_channel):
    response = public_client.post("/webhooks/evolution/no-such-route/", "{}", content_type="application/json",
                                  HTTP_X_OXY_WEBHOOK_SECRET=WEBHOOK_SECRET)  # fmt: skip

    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_authenticated_malformed_json_is_400_and_kept_for_inspection(public_client, evolution_channel):
    _channel, route = evolution_channel

    response = post_evolution(public_client, route, b'{"event": "messages.upsert", "data": ')

    assert response.status_code == 400
    kept = InboundEvent.objects.get()
    assert kept.status == InboundEvent.Status.MALFORMED
    assert kept.raw_body.startswith('{"event"')


def test_events_we_do_not_handle_are_200_and_not_stored(public_client, evolution_channel):
    _channel, route = evolution_channel
    body = {"event": "presence.update", "instance": route.external_id, "data": {"id": "x"}}

    response = post_evolution(public_client, route, body)

    assert response.status_code == 200
    assert not InboundEvent.objects.exists()


def test_cloud_batch_is_split_into_one_event_per_message(public_client, cloud_channel):
    _channel, route = cloud_channel
    raw, signature = cloud_fixture("batch-two-customers")

    response = post_cloud(public_client, route, raw, signature)

    assert response.status_code == 200
    assert InboundEvent.objects.filter(route=route).count() == 2


@pytest.mark.parametrize(("tamper", "status"), [("missing", 401), ("wrong", 403), ("body", 403)])
def test_cloud_signature_is_checked_over_the_raw_bytes(public_client, cloud_channel, tamper, status):
    _channel, route = cloud_channel
    raw, signature = cloud_fixture("text")
    if tamper == "missing":
        signature = None
    elif tamper == "wrong":
        signature = "sha256=" + "0" * 64
    else:
        raw = raw.replace(b"emerg", b"EMERG")

    assert post_cloud(public_client, route, raw, signature).status_code == status
    assert not InboundEvent.objects.exists()


def test_cloud_verification_handshake(public_client, cloud_channel):
    _channel, route = cloud_channel
    url = f"/webhooks/cloud/{route.token}/"

    ok = public_client.get(
        url, {"hub.mode": "subscribe", "hub.challenge": "1734852096", "hub.verify_token": route.verify_token}
    )
    wrong = public_client.get(url, {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "nope"})

    assert (ok.status_code, ok.content, ok["Content-Type"]) == (200, b"1734852096", "text/plain")
    assert wrong.status_code == 403


def test_a_suspended_shop_refuses_but_keeps_the_event(public_client, evolution_channel, alpha):
    _channel, route = evolution_channel
    alpha.status, alpha.suspended_at = "suspended", alpha.created_at
    alpha.save()

    response = post_evolution(public_client, route, evolution_fixture("messages-upsert-text"))

    assert response.status_code == 503
    assert response["Retry-After"]
    assert InboundEvent.objects.filter(route=route, status="pending").count() == 1
