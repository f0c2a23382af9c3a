"""Meta WhatsApp Cloud API: signature check, batch splitting and
normalization, and the Graph API client.
Contract notes: ../shared/providers/whatsapp-cloud-api.md."""

import hashlib
import hmac
from datetime import UTC, datetime

import httpx

from .base import (
    Ignored,
    InboundItem,
    InboundMessage,
    NormalizedEvent,
    PairingStart,
    ProviderError,
    Sender,
    SendResult,
    StatusUpdate,
    shared_transport,
)

GRAPH_VERSION = "v25.0"
# Codes worth retrying (rate limits, maintenance); everything else is final.
RETRYABLE_CODES = {4, 80007, 130429, 131056, 131057, 131016, 1, 2}
WINDOW_CLOSED = 131047


def signature_valid(raw: bytes, header: str, app_secret: str) -> bool:
    """X-Hub-Signature-256 is an HMAC of the raw bytes, never re-serialized JSON."""
    expected = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256="), expected)


def webhook_items(body: dict) -> list[InboundItem]:
    """One item per message and per status in the batch (up to 1,000 per POST)."""
    items = []
    for entry in body.get("entry", []):
        for change in entry.get("changes", []):
            if change.get("field") != "messages":
                continue
            value = change.get("value", {})
            phone_number_id = str(value.get("metadata", {}).get("phone_number_id", ""))
            contacts = value.get("contacts", [])
            for message in value.get("messages", []):
                items.append(InboundItem(
                    route_external_id=phone_number_id,
                    dedupe_key=f"cloud:{phone_number_id}:message:{message.get('id', '')}"[:200],
                    event_type="message",
                    payload={"message": message, "contacts": contacts},
                ))  # fmt: skip
            for status in value.get("statuses", []):
                items.append(InboundItem(
                    route_external_id=phone_number_id,
                    dedupe_key=f"cloud:{phone_number_id}:status:{status.get('id')}:{status.get('status')}"[:200],
                    event_type="status",
                    payload={"status": status},
                ))  # fmt: skip
    return items


def _sender(message: dict, contacts: list[dict]) -> Sender:
    wa_id = message.get("from")
    contact = next(
        (c for c in contacts if c.get("wa_id") == wa_id or c.get("user_id") == message.get("from_user_id")), {}
    )
    return Sender(
        phone=wa_id, wa_id=wa_id, bsuid=message.get("from_user_id") or contact.get("user_id"),
        name=contact.get("profile", {}).get("name", ""),
    )  # fmt: skip


def _message(payload: dict) -> NormalizedEvent:
    message = payload["message"]
    if message.get("group_id"):
        return Ignored("group chat")
    kind = message.get("type", "")
    content = message.get(kind, {}) if isinstance(message.get(kind), dict) else {}
    common = {
        "provider_message_id": message["id"],
        "sender": _sender(message, payload.get("contacts", [])),
        "timestamp": datetime.fromtimestamp(int(message.get("timestamp", 0)), tz=UTC),
        "reply_to": message.get("context", {}).get("id", ""),
        "media_id": content.get("id", "") if kind in {"image", "video", "audio", "document", "sticker"} else "",
        "media_mime": content.get("mime_type", ""),
    }
    match kind:
        case "text":
            return InboundMessage(kind="text", text=content.get("body", ""), **common)
        case "image" | "video" | "document" | "sticker":
            data = {"filename": content["filename"]} if content.get("filename") else {}
            return InboundMessage(kind=kind, text=content.get("caption", ""), data=data, **common)
        case "audio":
            return InboundMessage(kind="voice" if content.get("voice") else "audio", **common)
        case "location":
            return InboundMessage(kind="location", text=content.get("name", ""), data=content, **common)
        case "contacts":
            names = ", ".join(c.get("name", {}).get("formatted_name", "") for c in message.get("contacts", []))
            return InboundMessage(kind="contact", text=names, data={"contacts": message.get("contacts", [])}, **common)
        case "reaction":
            return InboundMessage(
                kind="reaction", text=content.get("emoji", ""), data={"target": content.get("message_id", "")}, **common
            )
        case "interactive":
            reply = content.get(content.get("type", ""), {})
            kind = "list_reply" if content.get("type") == "list_reply" else "button_reply"
            return InboundMessage(kind=kind, text=reply.get("title", ""), data={"id": reply.get("id", "")}, **common)
        case "button":
            return InboundMessage(
                kind="button_reply", text=content.get("text", ""), data={"id": content.get("payload", "")}, **common
            )
    return InboundMessage(kind="unsupported", data={"type": kind}, **common)


def _status(payload: dict) -> StatusUpdate:
    status = payload["status"]
    errors = status.get("errors") or [{}]
    error = errors[0]
    detail = error.get("error_data", {}).get("details") or error.get("title", "")
    return StatusUpdate(
        provider_message_id=status["id"],
        status={"played": "read"}.get(status["status"], status["status"]),
        timestamp=datetime.fromtimestamp(int(status.get("timestamp", 0)), tz=UTC),
        error=f"{error.get('code')}: {detail}" if status["status"] == "failed" else "",
        error_code=error.get("code"),
    )


def normalize(item: InboundItem) -> list[NormalizedEvent]:
    if item.event_type == "message":
        return [_message(item.payload)]
    if item.event_type == "status":
        return [_status(item.payload)]
    return [Ignored(item.event_type)]


class CloudProvider:
    """Graph API client for one business number (section 3)."""

    def __init__(self, *, base_url: str, phone_number_id: str, access_token: str, timeout: float = 15) -> None:
        self.phone_number_id = phone_number_id
        self.client = httpx.Client(
            base_url=f"{base_url.rstrip('/')}/{GRAPH_VERSION}", timeout=timeout,
            headers={"Authorization": f"Bearer {access_token}"}, transport=shared_transport(),
        )  # fmt: skip

    def _post(self, payload: dict) -> dict:
        try:
            response = self.client.post(
                f"/{self.phone_number_id}/messages", json={"messaging_product": "whatsapp", **payload}
            )
        except httpx.TransportError as exc:
            raise ProviderError(f"Cloud API unreachable: {type(exc).__name__}", retryable=True) from exc
        if response.status_code == 200:
            return response.json()
        error = (response.json() if response.content else {}).get("error", {})
        code = error.get("code")
        detail = error.get("error_data", {}).get("details") or error.get("message", "")
        retryable = code in RETRYABLE_CODES or response.status_code >= 500
        if code == WINDOW_CLOSED:
            detail = "the 24-hour window is closed: only an approved template can be sent"
        raise ProviderError(
            f"Cloud API error {code}: {detail}", retryable=retryable, code=str(code or response.status_code)
        )

    def send_text(self, *, to: str, text: str, reply_to: str = "") -> SendResult:
        payload = {"to": f"+{to.lstrip('+')}", "type": "text", "text": {"body": text, "preview_url": False}}
        if reply_to:
            payload["context"] = {"message_id": reply_to}
        return SendResult(provider_message_id=self._post(payload)["messages"][0]["id"])

    def send_media(self, *, to: str, kind: str, url: str, caption: str = "", filename: str = "") -> SendResult:
        kind = "audio" if kind == "voice" else kind
        media = {"link": url}
        if caption and kind in {"image", "video", "document"}:
            media["caption"] = caption
        if filename and kind == "document":
            media["filename"] = filename
        payload = {"to": f"+{to.lstrip('+')}", "type": kind, kind: media}
        return SendResult(provider_message_id=self._post(payload)["messages"][0]["id"])

    def send_template(self, *, to: str, name: str, language: str = "pt_BR", parameters: list[str] = ()) -> SendResult:
        components = (
            [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}] if parameters else []
        )
        payload = {"to": f"+{to.lstrip('+')}", "type": "template",
                   "template": {"name": name, "language": {"code": language}, "components": components}}  # fmt: skip
        return SendResult(provider_message_id=self._post(payload)["messages"][0]["id"])

    def find_sent(self, *, to: str, text: str, since: datetime) -> list[str]:
        return []  # the Graph API cannot list sent messages

    def connect(self, *, phone: str = "") -> PairingStart:
        return PairingStart(already_connected=True)  # Cloud numbers are connected in Meta's dashboard

    def connection_state(self) -> str:
        return "connected"

    def logout(self) -> None:
        return None

    def download_media(self, media_id: str) -> tuple[bytes, str]:
        try:
            meta = self.client.get(f"/{media_id}").json()
            response = self.client.get(meta["url"])
        except (httpx.TransportError, KeyError) as exc:
            raise ProviderError(f"media {media_id} could not be downloaded", retryable=True) from exc
        if response.status_code != 200:
            raise ProviderError(
                f"media download answered {response.status_code}", retryable=response.status_code >= 500
            )
        return response.content, meta.get("mime_type", "")
