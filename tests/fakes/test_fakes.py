"""The provider fakes behave like the contracts say, seen through httpx (Oxy's client). No database."""

import hashlib
import hmac
import re

import httpx
import pytest

from tests.fakes.cloud import (
    FakeCloudApi,
    fixture_app_secret,
    fixture_names,
    fixture_signature,
    load_fixture,
    meta_json,
    signed_webhook,
    status_webhook,
    text_webhook,
)
from tests.fakes.evolution import PAIRING_ALPHABET, FakeEvolution, load_evolution_fixture
from tests.fakes.server import FakeServer, RecordedRequest, Reply, route

GLOBAL_KEY = "global-key-for-tests"
TOKEN = "C4F1E9A2-6B3D-4F7A-8E15-9D2C0B7A4E63"
INSTANCE = "bicho-feliz-centro"
SECRET_HEADER = {"X-Oxy-Webhook-Secret": "s3cret"}
EVENTS = ["MESSAGES_UPSERT", "SEND_MESSAGE", "CONNECTION_UPDATE", "QRCODE_UPDATED", "LOGOUT_INSTANCE"]
PHONE_ID = "519382746150394"
CLOUD_TOKEN = "cloud-token-for-tests"


class WebhookSink(FakeServer):
    """Stands in for Oxy's webhook door: records and answers 200."""

    @route("POST", "/webhooks/evolution/{route_token}")
    def _receive(self, request: RecordedRequest, route_token: str) -> Reply:
        return Reply.json(200, {"stored": 1})


@pytest.fixture
def sink():
    with WebhookSink() as server:
        yield server


@pytest.fixture
def evolution():
    with FakeEvolution(global_api_key=GLOBAL_KEY) as fake:
        yield fake


@pytest.fixture
def cloud():
    with FakeCloudApi(access_token=CLOUD_TOKEN) as fake:
        yield fake


def evo(fake: FakeEvolution, key: str = GLOBAL_KEY) -> httpx.Client:
    return httpx.Client(base_url=fake.base_url, headers={"apikey": key}, timeout=5)


def graph(fake: FakeCloudApi, token: str = CLOUD_TOKEN) -> httpx.Client:
    return httpx.Client(base_url=fake.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=5)


# -- Evolution ---------------------------------------------------------------


def test_create_connect_with_a_pairing_code_then_pair_opens_and_posts_the_open_event(evolution, sink):
    hook_url = f"{sink.base_url}/webhooks/evolution/rt-1/"
    with evo(evolution) as client:
        created = client.post(
            "/instance/create",
            json={"instanceName": INSTANCE, "integration": "WHATSAPP-BAILEYS", "token": TOKEN,
                  "webhook": {"url": hook_url, "byEvents": False, "base64": True, "headers": SECRET_HEADER,
                              "events": EVENTS}},
        )  # fmt: skip
        connect = client.get(f"/instance/connect/{INSTANCE}", params={"number": "5511974021188"})
        connecting = client.get(f"/instance/connectionState/{INSTANCE}").json()

        evolution.pair(INSTANCE)

        opened = client.get(f"/instance/connectionState/{INSTANCE}").json()
        connect_again = client.get(f"/instance/connect/{INSTANCE}").json()

    assert created.status_code == 201
    assert created.json()["hash"] == TOKEN
    assert connect.status_code == 200
    code = connect.json()["pairingCode"]
    assert len(code) == 8
    assert set(code) <= set(PAIRING_ALPHABET)
    assert connecting == {"instance": {"instanceName": INSTANCE, "state": "connecting"}}
    assert opened == {"instance": {"instanceName": INSTANCE, "state": "open"}}
    assert connect_again == {"instance": {"instanceName": INSTANCE, "state": "open"}}
    (hook,) = sink.requests
    assert hook.path == "/webhooks/evolution/rt-1/"
    assert hook.headers["x-oxy-webhook-secret"] == "s3cret"
    assert hook.json["event"] == "connection.update"
    assert hook.json["data"]["state"] == "open"
    assert hook.json["data"]["wuid"] == "5511974021188@s.whatsapp.net"
    assert hook.json["apikey"] == TOKEN
    assert hook.json["destination"] == hook_url


def test_create_refuses_missing_integration_webhook_without_events_and_duplicates(evolution):
    base = {"instanceName": INSTANCE, "integration": "WHATSAPP-BAILEYS"}
    with evo(evolution) as client:
        no_integration = client.post("/instance/create", json={"instanceName": INSTANCE})
        no_events = client.post("/instance/create", json=base | {"webhook": {"url": "http://x/"}})
        first = client.post("/instance/create", json=base)
        duplicate = client.post("/instance/create", json=base)

    assert no_integration.status_code == 400
    assert no_integration.json()["response"]["message"] == ["Invalid integration"]
    assert no_events.status_code == 400
    assert first.status_code == 201
    assert duplicate.status_code == 403
    assert duplicate.json()["response"]["message"] == [f'This name "{INSTANCE}" is already in use.']


def test_send_text_is_201_with_a_baileys_id_and_shows_in_find_messages(evolution):
    evolution.add_instance(INSTANCE, token=TOKEN, state="open")
    with evo(evolution, key=TOKEN) as client:
        sent = client.post(f"/message/sendText/{INSTANCE}", json={"number": "5511978123456", "text": "Oi!"})
        message_id = sent.json()["key"]["id"]
        found = client.post(f"/chat/findMessages/{INSTANCE}", json={"where": {"key": {"id": message_id}}})

    assert sent.status_code == 201
    message = sent.json()
    assert re.fullmatch(r"3EB0[0-9A-F]{18}", message_id)
    assert message["key"] == {"remoteJid": "5511978123456@s.whatsapp.net", "fromMe": True, "id": message_id}
    assert message["status"] == "PENDING"
    assert message["message"] == {"conversation": "Oi!"}
    assert isinstance(message["messageTimestamp"], int)
    assert found.status_code == 200
    (record,) = found.json()["messages"]["records"]
    assert record["key"]["id"] == message_id
    assert evolution.sent_messages(INSTANCE)[0]["key"]["id"] == message_id


def test_find_messages_is_newest_first_and_filters_by_chat(evolution):
    evolution.add_instance(INSTANCE, token=TOKEN, state="open")
    evolution.add_message(INSTANCE, load_evolution_fixture("messages-upsert-text")["data"])
    with evo(evolution) as client:
        for text in ("um", "dois"):
            client.post(f"/message/sendText/{INSTANCE}", json={"number": "5521987654321", "text": text})
        chat = client.post(
            f"/chat/findMessages/{INSTANCE}", json={"where": {"key": {"remoteJid": "5521987654321@s.whatsapp.net"}}}
        ).json()["messages"]
        everything = client.post(f"/chat/findMessages/{INSTANCE}", json={}).json()["messages"]

    assert [r["message"]["conversation"] for r in chat["records"]] == ["dois", "um"]
    assert everything["total"] == 3


def test_wrong_or_missing_apikey_is_401_and_unknown_instance_404(evolution):
    evolution.add_instance(INSTANCE, token=TOKEN, state="open")
    evolution.add_instance("other-shop", token="OTHER-TOKEN", state="open")
    unauthorized = {"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}}
    with httpx.Client(base_url=evolution.base_url, timeout=5) as client:
        missing = client.get(f"/instance/connectionState/{INSTANCE}")
        wrong = client.get(f"/instance/connectionState/{INSTANCE}", headers={"apikey": "nope"})
        other_token = client.get(f"/instance/connectionState/{INSTANCE}", headers={"apikey": "OTHER-TOKEN"})
        create_with_token = client.post(
            "/instance/create", json={"instanceName": "x", "integration": "WHATSAPP-BAILEYS"}, headers={"apikey": TOKEN}
        )
        unknown = client.get("/instance/connectionState/nobody", headers={"apikey": GLOBAL_KEY})
        listed = client.get("/instance/fetchInstances", headers={"apikey": TOKEN})

    for response in (missing, wrong, other_token, create_with_token):
        assert response.status_code == 401
        assert response.json() == unauthorized
    assert unknown.status_code == 404
    assert unknown.json()["response"]["message"] == ['The "nobody" instance does not exist']
    assert [row["name"] for row in listed.json()] == [INSTANCE]


def test_flat_webhook_set_body_is_400_and_the_nested_one_201(evolution):
    evolution.add_instance(INSTANCE, token=TOKEN)
    flat = {"url": "http://oxy.test/hook/", "enabled": True, "webhookByEvents": False, "events": EVENTS}
    with evo(evolution, key=TOKEN) as client:
        refused = client.post(f"/webhook/set/{INSTANCE}", json=flat)
        nested = client.post(f"/webhook/set/{INSTANCE}", json={"webhook": flat | {"headers": SECRET_HEADER}})

    assert refused.status_code == 400
    assert refused.json()["response"]["message"] == ['instance requires property "webhook"']
    assert nested.status_code == 201
    assert nested.json()["url"] == "http://oxy.test/hook/"
    assert evolution.webhook_config(INSTANCE)["headers"] == SECRET_HEADER


def test_drop_401_posts_status_logout_and_close_but_a_transient_drop_posts_nothing(sink):
    posted = []
    with FakeEvolution(GLOBAL_KEY, webhook_transport=lambda url, body, headers: posted.append(body) or 200) as fake:
        fake.add_instance(INSTANCE, token=TOKEN, state="open", webhook_url=f"{sink.base_url}/webhooks/evolution/t/")
        fake.drop(INSTANCE, status_reason=428)
        after_transient = (fake.state(INSTANCE), len(posted))
        fake.pair(INSTANCE)
        fake.drop(INSTANCE, status_reason=401)

    assert after_transient == ("close", 0)
    events = [fake.deliveries[i].event for i in range(len(fake.deliveries))]
    assert events == ["connection.update", "status.instance", "logout.instance", "connection.update"]
    close = fake.deliveries[-1].body
    assert close["data"] == {"instance": INSTANCE, "state": "close", "statusReason": 401}
    assert fake.deliveries[2].body["data"] is None
    assert len(posted) == 4


def test_deliver_rewrites_the_fixture_to_the_instance_and_respects_the_events_filter(evolution, sink):
    evolution.add_instance(
        "shop-2", token="T2", state="open", webhook_url=f"{sink.base_url}/webhooks/evolution/t2/",
        webhook_headers=SECRET_HEADER, events=["MESSAGES_UPSERT"],
    )  # fmt: skip

    status = evolution.deliver("shop-2", "messages-upsert-text")
    filtered = evolution.deliver("shop-2", "connection-update-open")

    assert status == 200
    assert filtered is None
    (hook,) = sink.requests
    assert hook.json["instance"] == "shop-2"
    assert hook.json["apikey"] == "T2"
    assert hook.json["data"]["key"]["id"] == load_evolution_fixture("messages-upsert-text")["data"]["key"]["id"]


def test_sends_queue_a_send_message_echo_until_flushed(evolution, sink):
    evolution.add_instance(INSTANCE, token=TOKEN, state="open", webhook_url=f"{sink.base_url}/webhooks/evolution/t/")
    with evo(evolution) as client:
        sent = client.post(f"/message/sendText/{INSTANCE}", json={"number": "5511978123456", "text": "Oi"}).json()

    assert [body["event"] for body in evolution.pending_webhooks()] == ["send.message"]
    assert sink.requests == []
    assert evolution.flush_webhooks() == [200]
    assert sink.requests[0].json["data"]["key"]["id"] == sent["key"]["id"]


def test_logout_of_a_closed_instance_is_400_and_rotate_qr_posts_the_new_code(evolution, sink):
    evolution.add_instance(INSTANCE, token=TOKEN, webhook_url=f"{sink.base_url}/webhooks/evolution/t/")
    with evo(evolution) as client:
        closed_logout = client.delete(f"/instance/logout/{INSTANCE}")
        first = client.get(f"/instance/connect/{INSTANCE}", params={"number": "5511974021188"}).json()
    evolution.discard_webhooks()

    rotated = evolution.rotate_qr(INSTANCE)

    assert closed_logout.status_code == 400
    assert "is not connected" in closed_logout.json()["response"]["message"][0]
    assert rotated["count"] == first["count"] + 1
    (hook,) = sink.requests
    assert hook.json["event"] == "qrcode.updated"
    assert hook.json["data"]["qrcode"]["pairingCode"] == rotated["pairingCode"]
    assert "sender" not in hook.json


# -- the server base ---------------------------------------------------------


def test_scripted_failures_then_success_and_delay_makes_the_client_time_out(evolution):
    evolution.add_instance(INSTANCE, token=TOKEN, state="open")
    evolution.fail_next(status=503, times=2)
    with evo(evolution) as client:
        statuses = [client.get(f"/instance/connectionState/{INSTANCE}").status_code for _ in range(3)]
        evolution.delay_next(1.0)
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"/instance/connectionState/{INSTANCE}", timeout=0.2)
        evolution.disconnect_next()
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(f"/instance/connectionState/{INSTANCE}")

    assert statuses == [503, 503, 200]
    assert len(evolution.requests_to("/instance/connectionState/")) == 5
    assert evolution.requests[0].headers["apikey"] == GLOBAL_KEY


# -- Cloud API ---------------------------------------------------------------


def test_cloud_text_send_is_accepted_with_a_wamid(cloud):
    body = {"messaging_product": "whatsapp", "to": "+5521984417730", "type": "text", "text": {"body": "Olá"}}
    with graph(cloud) as client:
        response = client.post(f"/v25.0/{PHONE_ID}/messages", json=body)

    assert response.status_code == 200
    payload = response.json()
    assert payload["messaging_product"] == "whatsapp"
    assert payload["contacts"] == [{"input": "+5521984417730", "wa_id": "5521984417730"}]
    assert payload["messages"][0]["id"].startswith("wamid.")
    assert cloud.sent_messages()[0]["body"] == body


def test_cloud_scripted_131047_has_graphs_error_shape_and_applies_once(cloud):
    cloud.fail_next_send(code=131047)
    body = {"messaging_product": "whatsapp", "to": "+5521986601234", "type": "text", "text": {"body": "Oi"}}
    with graph(cloud) as client:
        refused = client.post(f"/v25.0/{PHONE_ID}/messages", json=body)
        accepted = client.post(f"/v25.0/{PHONE_ID}/messages", json=body)

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == 131047
    assert error["type"] == "OAuthException"
    assert error["message"] == "(#131047) Re-engagement message"
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert "24 hours" in error["error_data"]["details"]
    assert "fbtrace_id" in error
    assert accepted.status_code == 200


def test_cloud_bad_or_missing_token_is_401_code_190(cloud):
    body = {"messaging_product": "whatsapp", "to": "+5521984417730", "type": "text", "text": {"body": "Oi"}}
    with graph(cloud, token="wrong") as client:
        wrong = client.post(f"/v25.0/{PHONE_ID}/messages", json=body)
    with httpx.Client(base_url=cloud.base_url, timeout=5) as client:
        missing = client.post(f"/v25.0/{PHONE_ID}/messages", json=body)

    for response in (wrong, missing):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == 190
        assert response.json()["error"]["type"] == "OAuthException"
    assert cloud.sent_messages() == []


def test_cloud_checks_interactive_limits_and_marks_read(cloud):
    buttons = [{"type": "reply", "reply": {"id": f"b{i}", "title": f"Opção {i}"}} for i in range(4)]
    interactive = {"type": "button", "body": {"text": "Escolha"}, "action": {"buttons": buttons}}
    too_many = {
        "messaging_product": "whatsapp",
        "to": "+5521984417730",
        "type": "interactive",
        "interactive": interactive,
    }
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"}
    with graph(cloud) as client:
        refused = client.post(f"/v25.0/{PHONE_ID}/messages", json=too_many)
        marked = client.post(f"/v25.0/{PHONE_ID}/messages", json=read)

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == 131009
    assert marked.json() == {"success": True}
    assert cloud.read_receipts()[0]["message_id"] == "wamid.X"


@pytest.mark.parametrize("name", fixture_names())
def test_every_cloud_fixture_signature_verifies_against_its_bytes(name):
    secret = fixture_app_secret().encode()
    expected = "sha256=" + hmac.new(secret, load_fixture(name), hashlib.sha256).hexdigest()

    assert hmac.compare_digest(fixture_signature(name), expected)
    assert signed_webhook(load_fixture(name), fixture_app_secret())[1]["X-Hub-Signature-256"] == expected


def test_built_webhooks_use_metas_escaping():
    body = text_webhook(PHONE_ID, "5521984417730", "Olá 😿 a/b")
    failed = status_webhook(PHONE_ID, "wamid.X", "5521986601234", error_code=131047)

    assert b"Ol\\u00e1 \\ud83d\\ude3f a\\/b" in body
    assert b'"code":131047' in failed
    assert meta_json({"a": "é"}) == b'{"a":"\\u00e9"}'


def test_cloud_media_download_requires_the_bearer_and_urls_expire(cloud):
    cloud.add_media("3634787748819492", b"\xff\xd8jpeg-bytes", "image/jpeg")
    with graph(cloud) as client:
        meta = client.get("/v25.0/3634787748819492").json()
        downloaded = client.get(meta["url"])
        with httpx.Client(timeout=5) as anonymous:
            without_bearer = anonymous.get(meta["url"])
        unknown = client.get("/v25.0/999")
        cloud.expire_media_urls()
        expired = client.get(meta["url"])

    assert meta["mime_type"] == "image/jpeg"
    assert meta["file_size"] == len(b"\xff\xd8jpeg-bytes")
    assert meta["sha256"] == hashlib.sha256(b"\xff\xd8jpeg-bytes").hexdigest()
    assert downloaded.status_code == 200
    assert downloaded.content == b"\xff\xd8jpeg-bytes"
    assert downloaded.headers["content-type"] == "image/jpeg"
    assert without_bearer.status_code == 401
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == 100
    assert expired.status_code == 404
