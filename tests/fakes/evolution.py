"""FakeEvolution: an Evolution API v2.3.7 (Baileys) server for tests.

Speaks the REST contract in /work/shared/providers/evolution-api.md (the
"contract" below; § = its sections) for what Oxy needs, and posts webhooks the
way 2.3.x does. Point Oxy's Evolution base URL at `fake.base_url`:

    with FakeEvolution(global_api_key="global-key") as fake:
        fake.base_url                      # the Evolution server URL for Oxy
        ...                                # Oxy creates + connects an instance
        fake.pair("shop-1")                # the owner typed the pairing code
        fake.sent_messages("shop-1")       # what Oxy sent, oldest first

Rules it enforces (§1): `apikey` header; the global key works everywhere, an
instance token only on its own instance's routes (and fetchInstances, which
then lists only that instance); /instance/create needs the global key. Guards
run in Evolution's order: unknown instance (404) and duplicate name on create
(403) are answered before the key is checked. Errors have Evolution's shape
`{"status", "error", "response": {"message": [...]}}` (401: message is the
string "Unauthorized"). Body validation mimics its JSON-Schema messages, e.g.
`instance requires property "webhook"`.

Webhooks (§3): one event per POST, the configured `webhook.headers` verbatim
(`jwt_key` becomes `Authorization: Bearer <HS256 JWT>`, §8), filtered by the
configured `events`, `<url>/<event-name>` when `byEvents`. `date_time` is
São Paulo wall time labelled Z, like the real server. Events the *server*
would emit by itself while answering a request (`send.message` after a send,
`connection.update`/`qrcode.updated` after connect, logout/delete events) are
queued, not posted from the server thread: see `pending_webhooks()` and
`flush_webhooks()`. The test controls (`pair`, `drop`, `rotate_qr`, `deliver`)
post at once, in the caller's thread. Webhooks go through `webhook_transport`
(default: real HTTP via urllib; `tests.fakes.server.django_client_transport`
for a Django test client).

Known simplifications: one fake server = one Evolution server; no Brazilian
ninth-digit rewriting of numbers (the JID is the digits given); no retries of
failed webhooks (the delivery log keeps the status); no multipart uploads.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from tests.fakes.server import FakeServer, RecordedRequest, Reply, Transport, route, urllib_transport

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"

PAIRING_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"  # §6.1, Baileys bytesToCrockford
TERMINAL_REASONS = {401, 402, 403, 406}  # §6.2 codesToNotReconnect (2.3.x)
MEDIA_TYPES = ("image", "document", "video", "audio")
DEFAULT_WUID_NUMBER = "5511974021188"

# §3 "Event filter": the enable names Evolution 2.3.x accepts in `webhook.events`.
ALL_EVENTS = [
    "APPLICATION_STARTUP", "QRCODE_UPDATED", "MESSAGES_SET", "MESSAGES_UPSERT", "MESSAGES_EDITED",
    "MESSAGES_UPDATE", "MESSAGES_DELETE", "SEND_MESSAGE", "SEND_MESSAGE_UPDATE", "CONTACTS_SET",
    "CONTACTS_UPSERT", "CONTACTS_UPDATE", "PRESENCE_UPDATE", "CHATS_SET", "CHATS_UPSERT", "CHATS_UPDATE",
    "CHATS_DELETE", "GROUPS_UPSERT", "GROUP_UPDATE", "GROUP_PARTICIPANTS_UPDATE", "CONNECTION_UPDATE",
    "LABELS_EDIT", "LABELS_ASSOCIATION", "CALL", "TYPEBOT_START", "TYPEBOT_CHANGE_STATUS", "REMOVE_INSTANCE",
    "LOGOUT_INSTANCE", "INSTANCE_CREATE", "INSTANCE_DELETE", "STATUS_INSTANCE",
]  # fmt: skip

# A real 1x1 PNG, standing in for the QR image.
QR_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def load_evolution_fixture(name: str) -> dict:
    """A fixture from shared/fixtures/evolution/ as a dict (`name` with or without `.json`)."""
    stem = name.removesuffix(".json")
    return json.loads((FIXTURES / "evolution" / f"{stem}.json").read_text(encoding="utf-8"))


def event_enable_name(event: str) -> str:
    """`messages.upsert` → `MESSAGES_UPSERT` (§3: `event.replace(/[.-]/g,'_').toUpperCase()`)."""
    return event.replace(".", "_").replace("-", "_").upper()


def new_message_id() -> str:
    """A Baileys 7 `generateMessageIDV2` id: `3EB0` + 18 upper-case hex (22 chars,
    like `3EB040766A96BE10B99F3C` in send-message.json)."""
    return "3EB0" + secrets.token_hex(9).upper()


def new_pairing_code() -> str:
    return "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(8))


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def evolution_date_time() -> str:
    """§3: local São Paulo wall time labelled `Z` (3 h behind UTC), as 2.3.x sends it."""
    wall = datetime.now(UTC) - timedelta(hours=3)
    return wall.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def jwt_hs256(key: str, ttl: int = 600) -> str:
    """§8 `webhook.headers.jwt_key`: HS256 over {iat, exp, app, action}."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iat": now, "exp": now + ttl, "app": "evolution", "action": "webhook"}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def number_to_jid(number: str) -> str:
    """§2 notes, createJid: full JIDs stay; otherwise the digits (`+`, spaces,
    parentheses, dashes dropped) at `@s.whatsapp.net`, 18+ digits a group.
    Unlike Evolution, Brazilian/Mexican numbers are not rewritten."""
    if "@" in number:
        return number
    digits = "".join(ch for ch in number.split(":")[0] if ch.isdigit())
    return f"{digits}@g.us" if len(digits) >= 18 else f"{digits}@s.whatsapp.net"


@dataclass
class Delivery:
    """One webhook POST the fake made (or queued). `status` is None until sent."""

    instance: str
    event: str
    url: str
    headers: dict[str, str]
    body: dict
    status: int | None = None

    @property
    def raw(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class EvolutionInstance:
    name: str
    token: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    integration: str = "WHATSAPP-BAILEYS"
    number: str | None = None  # given at create (for pairing codes)
    state: str = "close"  # open | connecting | close
    qrcode: dict | None = None  # current {pairingCode, code, base64, count}
    webhook: dict | None = None  # the stored webhook row (§2 "Set webhook" response)
    settings: dict = field(default_factory=dict)
    wuid: str | None = None  # our own JID once paired
    profile_name: str | None = None
    profile_picture_url: str | None = None
    disconnection_reason: int | None = None
    disconnection_at: str | None = None
    messages: list[dict] = field(default_factory=list)  # findMessages store, oldest first
    sent: list[dict] = field(default_factory=list)  # what the API sent, oldest first
    read_marks: list[dict] = field(default_factory=list)
    media: dict[str, dict] = field(default_factory=dict)  # message id → getBase64FromMediaMessage reply
    created_at: str = field(default_factory=iso_now)


class FakeEvolution(FakeServer):
    """Evolution API v2.3.7 for tests. See the module docstring."""

    def __init__(
        self,
        global_api_key: str = "evolution-global-key",
        *,
        webhook_transport: Transport | None = None,
        expose_token: bool = True,
        honor_delays: bool = True,
        server_url: str | None = None,
        version: str = "2.3.7",
    ) -> None:
        """`expose_token`: put the instance token in each webhook's `apikey`
        (AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES=true, §8). `honor_delays`: a
        send's `delay` (ms) holds the HTTP answer like the real server (§2 notes)."""
        super().__init__()
        self.global_api_key = global_api_key
        self.webhook_transport: Transport = webhook_transport or urllib_transport
        self.expose_token = expose_token
        self.honor_delays = honor_delays
        self.version = version
        self._server_url = server_url
        self.instances: dict[str, EvolutionInstance] = {}
        self.not_on_whatsapp: set[str] = set()  # digits; sends to them answer 400 exists:false
        self.deliveries: list[Delivery] = []  # every webhook POSTed, in order
        self._outbox: list[Delivery] = []

    @property
    def server_url(self) -> str:
        return self._server_url or self.base_url

    # ======================================================================
    # Test controls (run in the test's thread)
    # ======================================================================

    def add_instance(
        self,
        name: str,
        *,
        token: str | None = None,
        state: str = "close",
        number: str | None = None,
        webhook_url: str | None = None,
        webhook_headers: dict[str, str] | None = None,
        events: list[str] | None = None,
        by_events: bool = False,
    ) -> EvolutionInstance:
        """Seed an instance without the API (as if Oxy had created it earlier)."""
        with self._lock:
            instance = EvolutionInstance(name=name, token=token or str(uuid.uuid4()).upper(), number=number)
            instance.settings = self._settings({})
            if webhook_url:
                hook = {"url": webhook_url, "headers": webhook_headers or {}, "byEvents": by_events, "events": events}
                instance.webhook = self._webhook_row(instance, hook)
            if state == "open":
                instance.wuid = f"{number or DEFAULT_WUID_NUMBER}@s.whatsapp.net"
            instance.state = state
            self.instances[name] = instance
            return instance

    def state(self, instance: str) -> str:
        with self._lock:
            return self._instance(instance).state

    def token(self, instance: str) -> str:
        with self._lock:
            return self._instance(instance).token

    def webhook_config(self, instance: str) -> dict | None:
        with self._lock:
            return copy.deepcopy(self._instance(instance).webhook)

    def pairing_code(self, instance: str) -> str | None:
        with self._lock:
            qrcode = self._instance(instance).qrcode
            return qrcode.get("pairingCode") if qrcode else None

    def pair(
        self,
        instance: str,
        *,
        number: str | None = None,
        profile_name: str = "Bicho Feliz Pet Shop",
        profile_picture_url: str | None = "https://pps.whatsapp.net/v/t61.24694-24/fake.jpg",
    ) -> int | None:
        """The phone linked (§6.1 "Paired / reconnected"): state → open, and a
        `connection.update` open event like connection-update-open.json.
        Returns the webhook's HTTP status (None when no webhook is configured)."""
        with self._lock:
            inst = self._instance(instance)
            digits = number or inst.number or _digits_of(inst.wuid) or DEFAULT_WUID_NUMBER
            inst.state = "open"
            inst.qrcode = None
            inst.wuid = f"{digits}@s.whatsapp.net"
            inst.profile_name = profile_name
            inst.profile_picture_url = profile_picture_url
            data = {
                "instance": inst.name,
                "wuid": inst.wuid,
                "profileName": profile_name,
                "profilePictureUrl": profile_picture_url,
                "state": "open",
                "statusReason": 200,
            }
            deliveries = self._prepare(inst, "connection.update", data)
        return self._send(deliveries)

    def drop(self, instance: str, status_reason: int = 401) -> int | None:
        """The socket closed with Baileys `DisconnectReason` `status_reason` (§6.2).

        401/402/403/406 are terminal: `status.instance`, `logout.instance` (null)
        and `connection.update` close are posted, in that order. Any other code
        posts nothing (2.3.x reconnects silently); state still becomes "close"
        here, so a health poll sees it; `pair()` simulates the reconnect.
        Returns the last webhook's status (None if nothing was posted)."""
        with self._lock:
            inst = self._instance(instance)
            deliveries = self._close(inst, status_reason)
        return self._send(deliveries)

    def rotate_qr(self, instance: str) -> dict:
        """A new QR / pairing code (§6.1, every 45 s): posts `qrcode.updated`.
        Returns the new `{pairingCode, code, base64, count}`."""
        with self._lock:
            inst = self._instance(instance)
            if inst.state == "open":
                raise ValueError(f"instance {instance!r} is open: nothing to rotate")
            count = (inst.qrcode or {}).get("count", 0) + 1
            number = (inst.qrcode or {}).get("_number") or inst.number
            inst.state = "connecting"
            inst.qrcode = self._new_qrcode(number, count)
            deliveries = self._prepare(inst, "qrcode.updated", {"qrcode": self._qrcode_event(inst)})
            current = _public_qrcode(inst.qrcode)
        self._send(deliveries)
        return current

    def deliver(self, instance: str, fixture: str | dict) -> int | None:
        """POST a webhook body to the instance's webhook: a fixture name from
        shared/fixtures/evolution/ or a dict (a full body, or just
        `{"event", "data"}`: the envelope is filled in). `instance` (and
        `data.instance`, `data.qrcode.instance`, `data.instanceId`),
        `destination`, `apikey`, `server_url` and, once paired, `sender` are
        rewritten to this instance. Returns the HTTP status, or None when the
        instance's `events` filter drops the event (as Evolution would)."""
        body = load_evolution_fixture(fixture) if isinstance(fixture, str) else copy.deepcopy(fixture)
        with self._lock:
            inst = self._instance(instance)
            if not inst.webhook:
                raise RuntimeError(f"instance {instance!r} has no webhook configured")
            data = body.get("data")
            if isinstance(data, dict):
                if "instance" in data:
                    data["instance"] = inst.name
                if "instanceId" in data:
                    data["instanceId"] = inst.id
                if isinstance(data.get("qrcode"), dict) and "instance" in data["qrcode"]:
                    data["qrcode"]["instance"] = inst.name
            deliveries = self._prepare(inst, body["event"], data, template=body)
        if not deliveries:
            return None
        return self._send(deliveries)

    def sent_messages(self, instance: str) -> list[dict]:
        """The message objects the API answered sends with, oldest first."""
        with self._lock:
            return copy.deepcopy(self._instance(instance).sent)

    def read_marks(self, instance: str) -> list[dict]:
        """Keys accepted by markMessageAsRead (`@lid` keys are dropped, as ≤2.3.7 does)."""
        with self._lock:
            return copy.deepcopy(self._instance(instance).read_marks)

    def add_message(self, instance: str, message: dict) -> None:
        """Put a message object (e.g. a fixture's `data`) in Evolution's store,
        so findMessages returns it, without a webhook (a "missed" message)."""
        with self._lock:
            self._instance(instance).messages.append(copy.deepcopy(message))

    def add_media(
        self,
        instance: str,
        message_id: str,
        data: bytes,
        mimetype: str,
        *,
        file_name: str | None = None,
        caption: str | None = None,
    ) -> None:
        """What POST /chat/getBase64FromMediaMessage returns for `message_id`."""
        kind = mimetype.split("/")[0]
        media_type = {"image": "imageMessage", "audio": "audioMessage", "video": "videoMessage"}.get(
            kind, "documentMessage"
        )
        with self._lock:
            self._instance(instance).media[message_id] = {
                "mediaType": media_type,
                "fileName": file_name,
                "caption": caption,
                "size": {"fileLength": len(data), "height": None, "width": None},
                "mimetype": mimetype,
                "base64": base64.b64encode(data).decode(),
                "buffer": None,
            }

    def pending_webhooks(self, instance: str | None = None) -> list[dict]:
        """Bodies of the webhooks the server queued while answering requests."""
        with self._lock:
            return [copy.deepcopy(d.body) for d in self._outbox if instance in (None, d.instance)]

    def flush_webhooks(self, instance: str | None = None) -> list[int]:
        """POST the queued webhooks in order; returns their HTTP statuses."""
        with self._lock:
            ready = [d for d in self._outbox if instance in (None, d.instance)]
            self._outbox = [d for d in self._outbox if d not in ready]
        for delivery in ready:
            self._send([delivery])
        return [d.status for d in ready]

    def discard_webhooks(self) -> None:
        with self._lock:
            self._outbox.clear()

    # ======================================================================
    # Routes: instance (§2; §6 for connection states)
    # ======================================================================

    @route("GET", "/")
    def _root(self, request: RecordedRequest) -> Reply:
        return Reply.json(
            200,
            {"status": 200, "message": "Welcome to the Evolution API, it is working!", "version": self.version,
             "clientName": "evolution_exchange", "manager": f"{self.server_url}/manager",
             "documentation": "https://doc.evolution-api.com"},
        )  # fmt: skip

    @route("POST", "/instance/create")
    def _create(self, request: RecordedRequest) -> Reply:
        """§2 "Create instance": global key; 403 duplicate (checked before the
        key, as instanceLoggedGuard runs first); integration required; a
        `webhook` with a url but no `events` fails with 400 and creates nothing."""
        body = request.json if isinstance(request.json, dict) else {}
        name = body.get("instanceName")
        if name and name in self.instances:
            return self._error(403, [f'This name "{name}" is already in use.'])
        if not self._is_global(request):
            return self._unauthorized()
        if not isinstance(request.json, dict):
            return self._error(400, ["Unexpected token in JSON body"])
        if not name:
            return self._error(400, ['instance requires property "instanceName"'])
        if body.get("integration") != "WHATSAPP-BAILEYS":  # the only integration this fake speaks
            return self._error(400, ["Invalid integration"])
        webhook = body.get("webhook")
        if webhook is not None and not isinstance(webhook, dict):
            return self._error(400, ["webhook is not of a type(s) object"])
        if webhook and webhook.get("url"):
            if "events" not in webhook or webhook["events"] is None:
                return self._error(400, ["TypeError: Cannot read properties of undefined (reading 'length')"])
            bad = self._bad_events(webhook["events"], "webhook.events")
            if bad:
                return self._error(400, bad)

        token = body.get("token") or str(uuid.uuid4()).upper()
        inst = EvolutionInstance(name=name, token=token, number=_clean_number(body.get("number")))
        inst.settings = self._settings(body)
        if webhook and webhook.get("url"):
            inst.webhook = self._webhook_row(inst, webhook | {"enabled": True})
        self.instances[name] = inst
        reply: dict[str, Any] = {
            "instance": {
                "instanceName": inst.name,
                "instanceId": inst.id,
                "integration": inst.integration,
                "webhookWaBusiness": None,
                "accessTokenWaBusiness": "",
                "status": inst.state,
            },
            "hash": inst.token,
            "webhook": {
                "webhookUrl": (inst.webhook or {}).get("url"),
                "webhookHeaders": (inst.webhook or {}).get("headers"),
                "webhookByEvents": (inst.webhook or {}).get("webhookByEvents", False),
                "webhookBase64": (inst.webhook or {}).get("webhookBase64", False),
            },
            "websocket": {"enabled": False},
            "rabbitmq": {"enabled": False},
            "nats": {"enabled": False},
            "sqs": {"enabled": False},
            "settings": inst.settings,
        }
        if body.get("qrcode"):
            self._start_connecting(inst, inst.number)
            reply["instance"]["status"] = inst.state
            reply["qrcode"] = _public_qrcode(inst.qrcode)
        return Reply.json(201, reply)

    @route("GET", "/instance/connect/{instance}")
    def _connect(self, request: RecordedRequest, instance: str) -> Reply:
        """§2 "Connect": close → connecting with a fresh code (`?number=` gives a
        pairing code); connecting → the current code, `number` ignored
        (EV#2197); open → `{"instance": {instanceName, state: "open"}}`."""
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        if inst.state == "open":
            return Reply.json(200, {"instance": {"instanceName": inst.name, "state": "open"}})
        if inst.state == "close":
            self._start_connecting(inst, _clean_number(request.query.get("number")) or inst.number)
        return Reply.json(200, _public_qrcode(inst.qrcode))

    @route("GET", "/instance/connectionState/{instance}")
    def _connection_state(self, request: RecordedRequest, instance: str) -> Reply:
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        return Reply.json(200, {"instance": {"instanceName": inst.name, "state": inst.state}})

    @route("POST", "/instance/restart/{instance}")
    def _restart(self, request: RecordedRequest, instance: str) -> Reply:
        """§2 "Restart": POST (v1 was PUT); on a closed instance HTTP 200
        `{"error": true, "message": "[object Object]"}`; otherwise like connect."""
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        if inst.state == "close":
            return Reply.json(200, {"error": True, "message": "[object Object]"})
        if inst.state == "open":
            return Reply.json(200, {"instance": {"instanceName": inst.name, "state": "open"}})
        return Reply.json(200, _public_qrcode(inst.qrcode))

    @route("DELETE", "/instance/logout/{instance}")
    def _logout(self, request: RecordedRequest, instance: str) -> Reply:
        """§2 "Logout": 400 when already closed (2.3.x is not idempotent);
        queues the loggedOut (401) webhooks of §6.1."""
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        if inst.state == "close":
            return self._error(400, [f'The "{inst.name}" instance is not connected'])
        self._outbox.extend(self._close(inst, 401))
        return Reply.json(200, {"status": "SUCCESS", "error": False, "response": {"message": "Instance logged out"}})

    @route("DELETE", "/instance/delete/{instance}")
    def _delete(self, request: RecordedRequest, instance: str) -> Reply:
        """§2 "Delete": logs out first if connected; queues `instance.delete`
        and `remove.instance`."""
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        if inst.state != "close":
            self._outbox.extend(self._close(inst, 401))
        self._outbox.extend(self._prepare(inst, "instance.delete", {"instanceName": inst.name, "instanceId": inst.id}))
        self._outbox.extend(self._prepare(inst, "remove.instance", None))
        del self.instances[inst.name]
        return Reply.json(200, {"status": "SUCCESS", "error": False, "response": {"message": "Instance deleted"}})

    @route("GET", "/instance/fetchInstances")
    def _fetch_instances(self, request: RecordedRequest) -> Reply:
        """§2 "List instances": the global key lists all; an instance token only
        the instances owning it. Filters: instanceName, instanceId, number."""
        key = request.headers.get("apikey")
        if not key:
            return self._unauthorized()
        if _same(key, self.global_api_key):
            visible = list(self.instances.values())
        else:
            visible = [i for i in self.instances.values() if _same(key, i.token)]
            if not visible:
                return self._unauthorized()
        query = request.query
        if "instanceName" in query:
            visible = [i for i in visible if i.name == query["instanceName"]]
        if "instanceId" in query:
            visible = [i for i in visible if i.id == query["instanceId"]]
        if "number" in query:
            visible = [i for i in visible if i.number == query["number"]]
        return Reply.json(200, [self._instance_row(i) for i in visible])

    # ======================================================================
    # Routes: webhook (§2 "Set webhook", "Read webhook")
    # ======================================================================

    @route("POST", "/webhook/set/{instance}")
    def _webhook_set(self, request: RecordedRequest, instance: str) -> Reply:
        """Nested `{"webhook": {...}}` only; the docs' flat body is rejected
        with 400 `instance requires property "webhook"` (EV#1657); `enabled`
        and `url` required; omitted `events` → 500 TypeError; `[]` = all."""
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        body = request.json if isinstance(request.json, dict) else {}
        webhook = body.get("webhook")
        if not isinstance(webhook, dict):
            return self._error(400, ['instance requires property "webhook"'])
        missing = [f'webhook requires property "{key}"' for key in ("enabled", "url") if key not in webhook]
        if missing:
            return self._error(400, missing)
        if webhook.get("events") is None:
            return self._error(500, ["TypeError: Cannot read properties of undefined (reading 'length')"])
        bad = self._bad_events(webhook["events"], "webhook.events")
        if bad:
            return self._error(400, bad)
        inst.webhook = self._webhook_row(inst, webhook, previous=inst.webhook)
        return Reply.json(201, inst.webhook)

    @route("GET", "/webhook/find/{instance}")
    def _webhook_find(self, request: RecordedRequest, instance: str) -> Reply:
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        return Reply.json(200, inst.webhook)

    # ======================================================================
    # Routes: message (§2 "Send text", "Send media", "Send voice note", "React")
    # ======================================================================

    @route("POST", "/message/sendText/{instance}")
    def _send_text(self, request: RecordedRequest, instance: str) -> Reply:
        """201 message object (§5.2): `key.id` 3EB0…, fromMe, status PENDING.
        The v1 body (`textMessage: {text}`) fails: `instance requires property "text"`."""
        checked = self._send_preamble(request, instance, required=("number", "text"))
        if isinstance(checked, Reply):
            return checked
        inst, body = checked
        jid = number_to_jid(str(body["number"]))
        message = self._message(inst, jid, {"conversation": body["text"]}, "conversation", body)
        return self._sent(inst, message, body)

    @route("POST", "/message/sendMedia/{instance}")
    def _send_media(self, request: RecordedRequest, instance: str) -> Reply:
        """Flat v2 body `{number, mediatype, media, mimetype?, caption?, fileName?}`;
        `media` is an http(s) URL or raw base64 (a `data:` prefix is refused)."""
        checked = self._send_preamble(request, instance, required=("number", "mediatype", "media"))
        if isinstance(checked, Reply):
            return checked
        inst, body = checked
        mediatype = body["mediatype"]
        if mediatype not in MEDIA_TYPES:
            return self._error(400, [f"mediatype is not one of enum values: {','.join(MEDIA_TYPES)}"])
        size, problem = _media_size(body["media"])
        if problem:
            return self._error(400, [problem])
        if mediatype == "document" and not body.get("fileName") and not _is_url(body["media"]):
            return self._error(400, ["TypeError: Cannot read properties of null (reading '1')"])
        default_mime = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg"}
        content: dict[str, Any] = {
            "url": f"https://mmg.whatsapp.net/o1/v/t62.7118-24/{secrets.token_hex(8)}.enc",
            "mimetype": body.get("mimetype") or default_mime.get(mediatype, "application/octet-stream"),
            "fileLength": size,
        }
        if body.get("caption"):
            content["caption"] = body["caption"]
        if mediatype == "document":
            content["fileName"] = body.get("fileName") or body["media"].rsplit("/", 1)[-1]
            content["title"] = content["fileName"]
        message_type = f"{mediatype}Message"
        jid = number_to_jid(str(body["number"]))
        message = self._message(inst, jid, {message_type: content}, message_type, body)
        return self._sent(inst, message, body)

    @route("POST", "/message/sendWhatsAppAudio/{instance}")
    def _send_audio(self, request: RecordedRequest, instance: str) -> Reply:
        """`{number, audio, encoding?}` → 201 with `audioMessage.ptt = true`."""
        checked = self._send_preamble(request, instance, required=("number", "audio"))
        if isinstance(checked, Reply):
            return checked
        inst, body = checked
        size, problem = _media_size(body["audio"])
        if problem:
            return self._error(400, [problem])
        content = {
            "url": f"https://mmg.whatsapp.net/v/t62.7117-24/{secrets.token_hex(8)}.enc",
            "mimetype": "audio/ogg; codecs=opus",
            "fileLength": size,
            "seconds": 1,
            "ptt": True,
        }
        jid = number_to_jid(str(body["number"]))
        message = self._message(inst, jid, {"audioMessage": content}, "audioMessage", body)
        return self._sent(inst, message, body)

    @route("POST", "/message/sendReaction/{instance}")
    def _send_reaction(self, request: RecordedRequest, instance: str) -> Reply:
        checked = self._send_preamble(request, instance, required=("key", "reaction"), check_number=False)
        if isinstance(checked, Reply):
            return checked
        inst, body = checked
        key = body["key"] if isinstance(body["key"], dict) else {}
        missing = [f'key requires property "{name}"' for name in ("id", "remoteJid") if not key.get(name)]
        if missing:
            return self._error(400, missing)
        reaction = {"key": key, "text": body["reaction"], "senderTimestampMs": int(time.time() * 1000)}
        content = {"reactionMessage": reaction}
        message = self._message(inst, key["remoteJid"], content, "reactionMessage", {})
        return self._sent(inst, message, body)

    # ======================================================================
    # Routes: chat (§2 "Mark read", "Typing", "Check numbers", "Download media", "Backfill")
    # ======================================================================

    @route("POST", "/chat/markMessageAsRead/{instance}")
    def _mark_read(self, request: RecordedRequest, instance: str) -> Reply:
        """201 `{message: "Read messages", read: "success"}`; keys whose
        remoteJid is `@lid` are silently dropped (≤2.3.7)."""
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        body = request.json if isinstance(request.json, dict) else {}
        keys = body.get("readMessages")
        if not isinstance(keys, list):
            return self._error(400, ['instance requires property "readMessages"'])
        for key in keys:
            if not isinstance(key, dict) or not all(k in key for k in ("id", "fromMe", "remoteJid")):
                return self._error(400, ['readMessages[0] requires property "id"'])
        inst.read_marks.extend(copy.deepcopy(k) for k in keys if k["remoteJid"].endswith(("@s.whatsapp.net", "@g.us")))
        return Reply.json(201, {"message": "Read messages", "read": "success"})

    @route("POST", "/chat/sendPresence/{instance}")
    def _send_presence(self, request: RecordedRequest, instance: str) -> Reply:
        """201 `{presence}`, answered after `delay` ms (the real call blocks)."""
        checked = self._send_preamble(request, instance, required=("number", "presence", "delay"))
        if isinstance(checked, Reply):
            return checked
        inst, body = checked
        return Reply.json(201, {"presence": body["presence"]}, wait=self._wait(body))

    @route("POST", "/chat/whatsappNumbers/{instance}")
    def _whatsapp_numbers(self, request: RecordedRequest, instance: str) -> Reply:
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        numbers = (request.json or {}).get("numbers") if isinstance(request.json, dict) else None
        if not isinstance(numbers, list):
            return self._error(400, ['instance requires property "numbers"'])
        return Reply.json(200, [self._on_whatsapp(str(n)) for n in numbers])

    @route("POST", "/chat/getBase64FromMediaMessage/{instance}")
    def _get_base64(self, request: RecordedRequest, instance: str) -> Reply:
        """201 `{mediaType, fileName, caption, size, mimetype, base64, buffer}`
        for media registered with `add_media`; else 400 "Message not found"."""
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        body = request.json if isinstance(request.json, dict) else {}
        message_id = ((body.get("message") or {}).get("key") or {}).get("id")
        if not message_id:
            return self._error(400, ['instance requires property "message"'])
        media = inst.media.get(message_id)
        if media is None:
            return self._error(400, ["Message not found"])
        return Reply.json(201, media)

    @route("POST", "/chat/findMessages/{instance}")
    def _find_messages(self, request: RecordedRequest, instance: str) -> Reply:
        """200 `{messages: {total, pages, currentPage, records}}`, newest first.
        `where.key.{id, remoteJid, fromMe}` and `where.messageTimestamp.{gte, lte}`
        (ISO); `page` (1-based) and `offset` (page size, default 50)."""
        inst = self._guard(request, instance)
        if isinstance(inst, Reply):
            return inst
        body = request.json if isinstance(request.json, dict) else {}
        where = body.get("where") or {}
        key_filter = where.get("key") or {}
        stamp_filter = where.get("messageTimestamp") or {}
        records = []
        for position, message in enumerate(inst.messages):
            key = message.get("key") or {}
            if any(key.get(name) != key_filter[name] for name in ("id", "remoteJid", "fromMe") if name in key_filter):
                continue
            stamp = message.get("messageTimestamp") or 0
            if "gte" in stamp_filter and stamp < _epoch(stamp_filter["gte"]):
                continue
            if "lte" in stamp_filter and stamp > _epoch(stamp_filter["lte"]):
                continue
            records.append((stamp, position, message))
        records.sort(key=lambda item: (item[0], item[1]), reverse=True)
        size = int(body.get("offset") or 50)
        page = int(body.get("page") or 1)
        window = records[(page - 1) * size : page * size]
        return Reply.json(
            200,
            {
                "messages": {
                    "total": len(records),
                    "pages": -(-len(records) // size) if records else 0,
                    "currentPage": page,
                    "records": [self._record(inst, message) for _, _, message in window],
                }
            },
        )

    # ======================================================================
    # Internals
    # ======================================================================

    def failure_body(self, status: int) -> Any:
        return _error_body(status, [HTTPStatus(status).phrase])

    def not_found(self, request: RecordedRequest) -> Reply:
        return self._error(404, [f"Cannot {request.method} {request.path}"])

    def _instance(self, name: str) -> EvolutionInstance:
        try:
            return self.instances[name]
        except KeyError:
            raise KeyError(f"FakeEvolution has no instance {name!r}") from None

    def _error(self, status: int, message: Any) -> Reply:
        return Reply.json(status, _error_body(status, message))

    def _unauthorized(self) -> Reply:
        return Reply.json(401, {"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}})

    def _is_global(self, request: RecordedRequest) -> bool:
        key = request.headers.get("apikey")
        return bool(key) and _same(key, self.global_api_key)

    def _guard(self, request: RecordedRequest, name: str) -> EvolutionInstance | Reply:
        """instanceExistsGuard (404) then the apikey guard (401), §1."""
        inst = self.instances.get(name)
        if inst is None:
            return self._error(404, [f'The "{name}" instance does not exist'])
        key = request.headers.get("apikey")
        if not key or not (_same(key, self.global_api_key) or _same(key, inst.token)):
            return self._unauthorized()
        return inst

    def _send_preamble(
        self, request: RecordedRequest, name: str, required: tuple[str, ...], check_number: bool = True
    ) -> tuple[EvolutionInstance, dict] | Reply:
        """Guards, required body properties, an open socket, and (for sends to a
        `number`) the onWhatsApp check: 400 `[{jid, exists: false, number}]`."""
        inst = self._guard(request, name)
        if isinstance(inst, Reply):
            return inst
        if not isinstance(request.json, dict):
            return self._error(400, ["Unexpected token in JSON body"])
        body = request.json
        missing = [f'instance requires property "{key}"' for key in required if key not in body]
        if missing:
            return self._error(400, missing)
        if inst.state != "open":
            return self._error(400, ["Error: Connection Closed"])
        if check_number:
            answer = self._on_whatsapp(str(body["number"]))
            if not answer["exists"]:
                return self._error(400, [answer])
        return inst, body

    def _on_whatsapp(self, number: str) -> dict:
        jid = number_to_jid(number)
        user = jid.split("@")[0]
        exists = jid.endswith(("@g.us", "@lid")) or (user.isdigit() and user not in self.not_on_whatsapp)
        return {"jid": jid, "exists": exists, "number": number}

    def _message(self, inst: EvolutionInstance, jid: str, content: dict, message_type: str, body: dict) -> dict:
        context: dict[str, Any] = {
            "mentionedJid": [number_to_jid(str(n)) for n in body.get("mentioned") or []],
            "groupMentions": [],
        }
        quoted = body.get("quoted")
        if isinstance(quoted, dict) and isinstance(quoted.get("key"), dict):
            target = quoted["key"].get("id")
            original = next((m for m in inst.messages if (m.get("key") or {}).get("id") == target), None)
            context["stanzaId"] = target
            context["participant"] = quoted["key"].get("remoteJid") or (inst.wuid or jid)
            context["quotedMessage"] = quoted.get("message") or (original or {}).get("message") or {}
        return {
            "key": {"remoteJid": jid, "fromMe": True, "id": new_message_id()},
            "pushName": "Você",
            "status": "PENDING",
            "message": content,
            "contextInfo": context,
            "messageType": message_type,
            "messageTimestamp": int(time.time()),
            "instanceId": inst.id,
            "source": "web",
        }

    def _sent(self, inst: EvolutionInstance, message: dict, body: dict) -> Reply:
        """Store, queue the `send.message` echo (§5.2) and answer 201."""
        inst.sent.append(copy.deepcopy(message))
        inst.messages.append(copy.deepcopy(message))
        self._outbox.extend(self._prepare(inst, "send.message", copy.deepcopy(message)))
        return Reply.json(201, message, wait=self._wait(body))

    def _wait(self, body: dict) -> float:
        delay = body.get("delay")
        if not self.honor_delays or not isinstance(delay, int | float) or delay <= 0:
            return 0.0
        return delay / 1000

    def _record(self, inst: EvolutionInstance, message: dict) -> dict:
        """A findMessages record: the message plus Evolution's DB columns."""
        key_id = (message.get("key") or {}).get("id", "")
        db_id = "cm" + hashlib.sha1(f"{inst.id}:{key_id}".encode(), usedforsecurity=False).hexdigest()[:23]
        return {"id": db_id, **copy.deepcopy(message), "MessageUpdate": []}

    def _settings(self, body: dict) -> dict:
        names = ("rejectCall", "groupsIgnore", "alwaysOnline", "readMessages", "readStatus", "syncFullHistory")
        settings: dict[str, Any] = {name: bool(body.get(name, False)) for name in names}
        settings["msgCall"] = body.get("msgCall", "")
        settings["wavoipToken"] = ""
        return settings

    def _bad_events(self, events: Any, where: str) -> list[str]:
        if not isinstance(events, list):
            return [f"{where} is not of a type(s) array"]
        return [
            f"{where}[{index}] is not one of enum values: {','.join(ALL_EVENTS)}"
            for index, event in enumerate(events)
            if event not in ALL_EVENTS
        ]

    def _webhook_row(self, inst: EvolutionInstance, webhook: dict, previous: dict | None = None) -> dict:
        now = iso_now()
        return {
            "id": (previous or {}).get("id") or "cm" + secrets.token_hex(12)[:23],
            "url": webhook["url"],
            "headers": dict(webhook.get("headers") or {}),
            "enabled": bool(webhook.get("enabled", True)),
            "events": list(webhook.get("events") or []) or list(ALL_EVENTS),
            "webhookByEvents": bool(webhook.get("byEvents", False)),
            "webhookBase64": bool(webhook.get("base64", False)),
            "createdAt": (previous or {}).get("createdAt") or now,
            "updatedAt": now,
            "instanceId": inst.id,
        }

    def _instance_row(self, inst: EvolutionInstance) -> dict:
        return {
            "id": inst.id,
            "name": inst.name,
            "connectionStatus": inst.state,
            "ownerJid": inst.wuid,
            "profileName": inst.profile_name,
            "profilePicUrl": inst.profile_picture_url,
            "integration": inst.integration,
            "number": inst.number,
            "businessId": None,
            "token": inst.token,
            "clientName": "evolution_exchange",
            "disconnectionReasonCode": inst.disconnection_reason,
            "disconnectionObject": (
                json.dumps({"error": {"output": {"statusCode": inst.disconnection_reason}}})
                if inst.disconnection_reason
                else None
            ),
            "disconnectionAt": inst.disconnection_at,
            "createdAt": inst.created_at,
            "updatedAt": iso_now(),
            "Chatwoot": None,
            "Proxy": None,
            "Rabbitmq": None,
            "Nats": None,
            "Sqs": None,
            "Websocket": None,
            "Setting": {"id": "cm" + inst.id.replace("-", "")[:23], **inst.settings, "instanceId": inst.id},
            "_count": {"Message": len(inst.messages), "Contact": 0, "Chat": 0},
        }

    def _new_qrcode(self, number: str | None, count: int) -> dict:
        ref = base64.b64encode(secrets.token_bytes(48)).decode()
        keys = ",".join(base64.b64encode(secrets.token_bytes(32)).decode() for _ in range(3))
        return {
            "pairingCode": new_pairing_code() if number else None,
            "code": f"2@{ref},{keys}",
            "base64": QR_PNG,
            "count": count,
            "_number": number,
        }

    def _qrcode_event(self, inst: EvolutionInstance) -> dict:
        qrcode = inst.qrcode or {}
        return {"instance": inst.name, "pairingCode": qrcode.get("pairingCode"), "code": qrcode.get("code"),
                "base64": qrcode.get("base64")}  # fmt: skip

    def _start_connecting(self, inst: EvolutionInstance, number: str | None) -> None:
        """close → connecting: the socket starts and the first QR arrives (§6.1)."""
        inst.state = "connecting"
        inst.qrcode = self._new_qrcode(number, 1)
        connecting = {"instance": inst.name, "state": "connecting", "statusReason": 200}
        self._outbox.extend(self._prepare(inst, "connection.update", connecting))
        self._outbox.extend(self._prepare(inst, "qrcode.updated", {"qrcode": self._qrcode_event(inst)}))

    def _close(self, inst: EvolutionInstance, status_reason: int) -> list[Delivery]:
        """State → close; the webhooks 2.3.x posts for `status_reason` (§6.1)."""
        inst.state = "close"
        inst.qrcode = None
        inst.disconnection_reason = status_reason
        inst.disconnection_at = iso_now()
        if status_reason not in TERMINAL_REASONS:
            return []
        status = {
            "instance": inst.name,
            "status": "closed",
            "disconnectionAt": inst.disconnection_at,
            "disconnectionReasonCode": status_reason,
            "disconnectionObject": json.dumps({"error": {"output": {"statusCode": status_reason}}}),
        }
        close = {"instance": inst.name, "state": "close", "statusReason": status_reason}
        return [
            *self._prepare(inst, "status.instance", status),
            *self._prepare(inst, "logout.instance", None),
            *self._prepare(inst, "connection.update", close),
        ]

    def _prepare(self, inst: EvolutionInstance, event: str, data: Any, template: dict | None = None) -> list[Delivery]:
        """The delivery for one event, or [] when the instance has no enabled
        webhook or its `events` filter drops it (§3). Call under the lock."""
        hook = inst.webhook
        if not hook or not hook.get("enabled") or event_enable_name(event) not in hook["events"]:
            return []
        url = hook["url"]
        if hook.get("webhookByEvents"):
            # Evolution concatenates as is: a trailing slash in `url` gives `//`.
            url = f"{url}/{event_enable_name(event).replace('_', '-').lower()}"
        body: dict[str, Any] = copy.deepcopy(template) if template else {}
        body.update({"event": event, "instance": inst.name, "data": data, "destination": hook["url"]})
        body.setdefault("date_time", evolution_date_time())
        if inst.wuid:
            body["sender"] = inst.wuid
        body["server_url"] = self.server_url
        body["apikey"] = inst.token if self.expose_token else None
        headers = {"Content-Type": "application/json"}
        for name, value in (hook.get("headers") or {}).items():
            if name == "jwt_key":
                headers["Authorization"] = f"Bearer {jwt_hs256(str(value))}"
            else:
                headers[name] = str(value)
        return [Delivery(instance=inst.name, event=event, url=url, headers=headers, body=body)]

    def _send(self, deliveries: list[Delivery]) -> int | None:
        """POST outside the lock (Oxy's handler may call this fake back)."""
        status = None
        for delivery in deliveries:
            delivery.status = self.webhook_transport(delivery.url, delivery.raw, dict(delivery.headers))
            status = delivery.status
            with self._lock:
                self.deliveries.append(delivery)
        return status


def _error_body(status: int, message: Any) -> dict:
    return {"status": status, "error": HTTPStatus(status).phrase, "response": {"message": message}}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _public_qrcode(qrcode: dict | None) -> dict:
    if not qrcode:
        return {"count": 0}
    return {key: value for key, value in qrcode.items() if not key.startswith("_")}


def _clean_number(number: Any) -> str | None:
    if not number:
        return None
    return "".join(ch for ch in str(number) if ch.isdigit()) or None


def _digits_of(jid: str | None) -> str | None:
    return jid.split("@")[0].split(":")[0] if jid else None


def _is_url(media: Any) -> bool:
    return isinstance(media, str) and media.startswith(("http://", "https://"))


def _media_size(media: Any) -> tuple[int, str | None]:
    """(decoded size, error) for a URL or raw base64 `media` (§2 "Send media")."""
    if _is_url(media):
        return 0, None
    try:
        return len(base64.b64decode(str(media), validate=True)), None
    except (binascii.Error, ValueError):
        return 0, "Owned media must be a url or base64"


def _epoch(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
