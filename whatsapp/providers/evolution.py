"""Evolution API v2 (Baileys): webhook parsing and normalization, and the
REST client. Contract notes: ../shared/providers/evolution-api.md."""

import hashlib
from datetime import UTC, datetime

import httpx

from .base import (
    ConnectionUpdate,
    Ignored,
    InboundItem,
    InboundMessage,
    MessageEdited,
    MessageRevoked,
    NormalizedEvent,
    PairingStart,
    ProviderError,
    Sender,
    SendResult,
    StatusUpdate,
    shared_transport,
)

WEBHOOK_HEADER = "X-Oxy-Webhook-Secret"
WEBHOOK_EVENTS = [
    "MESSAGES_UPSERT", "MESSAGES_UPDATE", "MESSAGES_DELETE", "MESSAGES_EDITED", "SEND_MESSAGE",
    "CONNECTION_UPDATE", "QRCODE_UPDATED", "LOGOUT_INSTANCE", "REMOVE_INSTANCE",
]  # fmt: skip
HANDLED_EVENTS = {name for name in WEBHOOK_EVENTS} | {"STATUS_INSTANCE"}
# Close reasons after which Baileys must not reconnect (section 6.2).
LOGGED_OUT_REASONS = {401}
FAILED_REASONS = {402, 403, 406}
STATUS = {"SERVER_ACK": "sent", "DELIVERY_ACK": "delivered", "READ": "read", "PLAYED": "read", "ERROR": "failed"}
WRAPPERS = (
    "ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2", "viewOnceMessageV2Extension",
    "documentWithCaptionMessage", "editedMessage",
)  # fmt: skip
IGNORED_CONTENT = {"messageContextInfo", "senderKeyDistributionMessage", "base64", "mediaUrl"}


def event_name(body: dict) -> str:
    """`messages.upsert` and `MESSAGES_UPSERT` are the same event."""
    return str(body.get("event", "")).replace(".", "_").replace("-", "_").upper()


def webhook_items(body: dict, raw: bytes) -> list[InboundItem]:
    """The events of one delivery (Evolution posts one at a time), each with
    the key that makes a retried or concurrent re-delivery a duplicate."""
    name, instance, data = event_name(body), str(body.get("instance", "")), body.get("data")
    if name not in HANDLED_EVENTS:
        return []
    prefix = f"evolution:{instance}"
    if name in {"MESSAGES_UPSERT", "SEND_MESSAGE"} and isinstance(data, dict):
        key = f"{prefix}:{name.lower()}:{data.get('key', {}).get('id', '')}"
    elif name == "MESSAGES_UPDATE" and isinstance(data, dict):
        key = f"{prefix}:status:{data.get('keyId', '')}:{data.get('status', '')}"
    else:
        key = f"{prefix}:{name.lower()}:{hashlib.sha256(raw).hexdigest()}"
    return [InboundItem(route_external_id=instance, dedupe_key=key[:200], event_type=name, payload=body)]


def _jid_kind(jid: str) -> str:
    if jid.endswith("@s.whatsapp.net") or jid.endswith("@c.us"):
        return "phone"
    return jid.rsplit("@", 1)[-1] if "@" in jid else ""


def _sender(key: dict, push_name: str) -> Sender | None:
    jids = [key.get("remoteJid") or "", key.get("remoteJidAlt") or "", key.get("senderPn") or ""]
    kinds = {_jid_kind(jid): jid for jid in jids if jid}
    if set(kinds) & {"g.us", "broadcast", "newsletter"}:
        return None
    phone = kinds.get("phone", "").split("@")[0].split(":")[0] or None
    return Sender(phone=phone, lid=kinds.get("lid"), name=push_name)


def _number(value) -> int:
    # 64-bit ints arrive as numbers, strings or {"low", "high"} objects (section 5.1).
    if isinstance(value, dict):
        return (value.get("high", 0) << 32) + (value.get("low", 0) & 0xFFFFFFFF)
    return int(value or 0)


def _content(message: dict) -> tuple[str, dict]:
    for _depth in range(5):
        wrapper = next((name for name in WRAPPERS if name in message), None)
        if wrapper is None:
            break
        message = message[wrapper].get("message", message[wrapper])
    for name, content in message.items():
        if name not in IGNORED_CONTENT:
            return name, content if isinstance(content, dict) else {"text": content}
    return "", {}


def _message(data: dict) -> NormalizedEvent:
    key = data.get("key", {})
    sender = _sender(key, "" if key.get("fromMe") else data.get("pushName", ""))
    if sender is None:
        return Ignored("group, broadcast or newsletter")
    message = data.get("message") or {}
    name, content = _content(message)
    common = {
        "provider_message_id": key.get("id", ""),
        "sender": sender,
        "timestamp": datetime.fromtimestamp(_number(data.get("messageTimestamp")), tz=UTC),
        "from_me": bool(key.get("fromMe")),
        "reply_to": (data.get("contextInfo") or content.get("contextInfo") or {}).get("stanzaId", ""),
        "media_base64": message.get("base64", ""),
        "media_mime": content.get("mimetype", ""),
    }
    match name:
        case "conversation":
            return InboundMessage(kind="text", text=content["text"], **common)
        case "extendedTextMessage":
            return InboundMessage(kind="text", text=content.get("text", ""), **common)
        case "imageMessage" | "videoMessage" | "documentMessage" | "stickerMessage":
            kind = name.removesuffix("Message")
            data_ = {"filename": content["fileName"]} if content.get("fileName") else {}
            return InboundMessage(kind=kind, text=content.get("caption", ""), data=data_, **common)
        case "audioMessage":
            return InboundMessage(kind="voice" if content.get("ptt") else "audio", **common)
        case "locationMessage" | "liveLocationMessage":
            location = {k: content.get(k) for k in ("degreesLatitude", "degreesLongitude", "name", "address")}
            return InboundMessage(kind="location", text=content.get("name") or "", data=location, **common)
        case "contactMessage":
            return InboundMessage(
                kind="contact", text=content.get("displayName", ""), data={"vcard": content.get("vcard", "")}, **common
            )
        case "reactionMessage":
            target = content.get("key", {}).get("id", "")
            return InboundMessage(kind="reaction", text=content.get("text", ""), data={"target": target}, **common)
        case "buttonsResponseMessage":
            reply = {"id": content.get("selectedButtonId", "")}
            return InboundMessage(
                kind="button_reply", text=content.get("selectedDisplayText", ""), data=reply, **common
            )
        case "listResponseMessage":
            reply = {"id": content.get("singleSelectReply", {}).get("selectedRowId", "")}
            return InboundMessage(kind="list_reply", text=content.get("title", ""), data=reply, **common)
    return InboundMessage(kind="unsupported", data={"type": name}, **common)


def _connection(data: dict) -> NormalizedEvent:
    state, reason = data.get("state"), int(data.get("statusReason") or 0)
    if state == "open":
        phone = str(data.get("wuid", "")).split("@")[0].split(":")[0]
        return ConnectionUpdate(state="connected", phone=phone)
    if state == "connecting":
        return ConnectionUpdate(state="pairing")
    if state in {"close", "refused"}:
        if reason in LOGGED_OUT_REASONS:
            return ConnectionUpdate(state="logged_out", reason=f"logged out on the phone ({reason})")
        if reason in FAILED_REASONS or state == "refused":
            return ConnectionUpdate(state="failed", reason=f"refused by WhatsApp ({reason})")
        return ConnectionUpdate(state="reconnecting", reason=f"connection lost ({reason})")
    return Ignored(f"connection state {state}")


def normalize(item: InboundItem) -> list[NormalizedEvent]:
    body, name = item.payload, item.event_type
    data = body.get("data")
    if name == "MESSAGES_UPSERT":
        return [_message(data)]
    if name == "SEND_MESSAGE":
        return [Ignored("echo of our own send")]
    if name == "MESSAGES_UPDATE":
        status = STATUS.get(str(data.get("status", "")))
        if status is None or (status == "sent" and data.get("message")):
            return [Ignored(f"update without a delivery status ({data.get('status')})")]
        return [StatusUpdate(provider_message_id=data.get("keyId", ""), status=status)]
    if name == "MESSAGES_DELETE":
        return [MessageRevoked(provider_message_id=(data or {}).get("id", ""))]
    if name == "MESSAGES_EDITED":
        if (data or {}).get("type") != "MESSAGE_EDIT":
            return [Ignored(f"protocol message {(data or {}).get('type')}")]
        _name, content = _content(data.get("editedMessage") or {})
        text = content.get("text", "")
        when = datetime.fromtimestamp(_number(data.get("timestampMs")) / 1000, tz=UTC)
        return [MessageEdited(provider_message_id=data["key"]["id"], text=text, timestamp=when)]
    if name == "CONNECTION_UPDATE":
        return [_connection(data or {})]
    if name == "QRCODE_UPDATED":
        qrcode = (data or {}).get("qrcode")
        if not qrcode:
            return [ConnectionUpdate(state="failed", reason=(data or {}).get("message", "QR code limit reached"))]
        return [
            ConnectionUpdate(
                state="pairing", pairing_code=qrcode.get("pairingCode") or "", qr_code=qrcode.get("base64") or ""
            )
        ]
    if name in {"LOGOUT_INSTANCE", "REMOVE_INSTANCE"}:
        return [ConnectionUpdate(state="logged_out", reason=name.lower())]
    return [Ignored(name)]


class EvolutionProvider:
    """REST client for one instance (section 2)."""

    def __init__(self, *, base_url: str, api_key: str, instance: str, instance_token: str, timeout: float = 30) -> None:
        self.instance = instance
        self.global_key = api_key
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            headers={"apikey": instance_token or api_key},
            transport=shared_transport(),
        )

    def _call(
        self, method: str, path: str, *, json: dict | None = None, params: dict | None = None, global_key: bool = False
    ) -> dict | list:
        headers = {"apikey": self.global_key} if global_key else None
        try:
            response = self.client.request(method, path, json=json, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise ProviderError(f"Evolution API unreachable: {type(exc).__name__}", retryable=True) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderError(
                f"Evolution API answered {response.status_code}", retryable=True, code=str(response.status_code)
            )
        if response.status_code >= 400:
            detail = response.json().get("response", {}).get("message", "") if response.content else ""
            raise ProviderError(
                f"Evolution API refused ({response.status_code}): {detail}",
                retryable=False,
                code=str(response.status_code),
            )
        body = response.json() if response.content else {}
        if isinstance(body, dict) and body.get("error") is True:  # some failures come back as 200
            raise ProviderError(f"Evolution API error: {body.get('message')}", retryable=True)
        return body

    def create_instance(self, *, webhook_url: str, webhook_secret: str, instance_token: str) -> dict:
        return self._call("POST", "/instance/create", global_key=True, json={
            "instanceName": self.instance, "integration": "WHATSAPP-BAILEYS", "token": instance_token,
            "qrcode": False, "groupsIgnore": True, "readMessages": False, "readStatus": False, "alwaysOnline": False,
            "webhook": {"url": webhook_url, "byEvents": False, "base64": True,
                        "headers": {WEBHOOK_HEADER: webhook_secret}, "events": WEBHOOK_EVENTS},
        })  # fmt: skip

    def connect(self, *, phone: str = "") -> PairingStart:
        body = self._call("GET", f"/instance/connect/{self.instance}", params={"number": phone} if phone else None)
        if body.get("instance", {}).get("state") == "open":
            return PairingStart(already_connected=True)
        return PairingStart(pairing_code=body.get("pairingCode") or "", qr_code=body.get("base64") or "")

    def connection_state(self) -> str:
        state = self._call("GET", f"/instance/connectionState/{self.instance}").get("instance", {}).get("state")
        return {"open": "connected", "connecting": "pairing"}.get(state, "disconnected")

    def restart(self) -> None:
        self._call("POST", f"/instance/restart/{self.instance}")

    def logout(self) -> None:
        try:
            self._call("DELETE", f"/instance/logout/{self.instance}")
        except ProviderError as exc:
            if "not connected" not in str(exc):
                raise

    def send_text(self, *, to: str, text: str, reply_to: str = "") -> SendResult:
        payload: dict = {"number": to, "text": text, "linkPreview": False}
        if reply_to:
            payload["quoted"] = {"key": {"id": reply_to}}
        body = self._call("POST", f"/message/sendText/{self.instance}", json=payload)
        return SendResult(provider_message_id=body["key"]["id"])

    def send_media(self, *, to: str, kind: str, url: str, caption: str = "", filename: str = "") -> SendResult:
        if kind == "voice":
            body = self._call("POST", f"/message/sendWhatsAppAudio/{self.instance}", json={"number": to, "audio": url})
        else:
            payload = {"number": to, "mediatype": kind, "media": url, "caption": caption}
            if filename:
                payload["fileName"] = filename
            body = self._call("POST", f"/message/sendMedia/{self.instance}", json=payload)
        return SendResult(provider_message_id=body["key"]["id"])

    def find_sent(self, *, to: str, text: str, since: datetime) -> list[str]:
        jid = to if "@" in to else f"{to.lstrip('+')}@s.whatsapp.net"
        body = self._call("POST", f"/chat/findMessages/{self.instance}", json={
            "where": {"key": {"remoteJid": jid, "fromMe": True}, "messageTimestamp": {"gte": since.isoformat()}},
        })  # fmt: skip
        records = body.get("messages", {}).get("records", [])
        return [
            record["key"]["id"]
            for record in records
            if _content(record.get("message") or {})[1].get("text") == text
            and _number(record.get("messageTimestamp")) >= int(since.timestamp())
        ]
