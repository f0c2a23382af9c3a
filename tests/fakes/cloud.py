"""FakeCloudApi: the part of Meta's Graph API (WhatsApp Cloud API) Oxy uses.

Follows /work/shared/providers/whatsapp-cloud-api.md (the "contract"; § = its
sections). Point Oxy's Graph base URL (normally https://graph.facebook.com) at
`fake.base_url`:

    with FakeCloudApi(access_token="token") as fake:
        # Oxy: POST {base_url}/v25.0/{phone_number_id}/messages, Bearer token
        fake.sent_messages()                      # what Oxy sent
        fake.fail_next_send(code=131047)          # the next send is refused
        fake.add_media("3634787748819492", b"...", "image/jpeg")

Routes:
* POST /{version}/{phone_number_id}/messages (§3): text, image/audio/video/
  document/sticker (`link` or `id`), template, interactive (button/list),
  reaction, location, contacts; mark-as-read `{"status": "read", "message_id"}`
  (optionally with `typing_indicator`) → `{"success": true}`. Bodies are checked
  against §3's limits (3 buttons, 20-char titles, 10 rows, …) and refused with
  Graph's error shape. Success → 200 `{"messaging_product", "contacts":
  [{"input", "wa_id"}], "messages": [{"id": "wamid.…"}]}`.
* GET /{version}/{media_id} (§4) → `{messaging_product, url, mime_type, sha256
  (hex), file_size, id}`; GET of that url (on this server, bearer required) →
  the bytes. `expire_media_urls()` makes old urls 404, like the 5-minute expiry.

Every route needs `Authorization: Bearer <access_token>` (or `?access_token=`);
missing or wrong → 401 `{"error": {"type": "OAuthException", "code": 190, …}}`.
Change `fake.access_token` to simulate a revoked token.

Webhooks are not posted by this fake (Meta's webhooks are independent of the
API calls); build them here and post them with the test client:
`load_fixture` / `fixture_signature` for the shared fixtures, `text_webhook` /
`status_webhook` for new ones, `signed_webhook(body, app_secret)` to sign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from tests.fakes.server import FakeServer, RecordedRequest, Reply, route

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
CLOUD_FIXTURES = FIXTURES / "cloudapi"
GRAPH_VERSION = "v25.0"
VERSION_RE = re.compile(r"^v\d+\.\d+$")
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
SEND_TYPES = (*MEDIA_TYPES, "text", "template", "interactive", "reaction", "location", "contacts")
DEFAULT_WABA_ID = "248716593021847"
DEFAULT_DISPLAY_NUMBER = "5521983450012"

# §3 error table: code → (title, error_data.details, error_subcode).
ERRORS: dict[int, tuple[str, str, int | None]] = {
    131047: (
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        None,
    ),
    130429: ("Rate limit hit", "Cloud API message throughput has been reached.", 2494055),
    131056: (
        "(Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone number to the same "
        "phone number in a short period of time.",
        None,
    ),
    131026: ("Message undeliverable", "Message Undeliverable.", None),
    131048: ("Spam rate limit hit", "Message failed to send because there are restrictions on how many messages "
             "can be sent from this phone number.", None),
    131049: ("This message was not delivered to maintain healthy ecosystem engagement.",
             "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.", None),
    131050: ("Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on "
             "WhatsApp from your business.", "Unable to deliver the message.", None),
    131051: ("Unsupported message type", "Message type is not currently supported.", None),
    131057: ("Business Account is in maintenance mode", "Account is in maintenance mode.", None),
    131008: ("Required parameter is missing", "A required parameter is missing.", None),
    131009: ("Parameter value is not valid", "One or more parameter values are invalid.", None),
    368: ("Temporarily blocked for policies violations", "The WhatsApp Business Account is restricted.", None),
    100: ("Invalid parameter", "Invalid parameter.", None),
    4: ("Application request limit reached", "Too many API calls.", None),
    80007: ("Rate limit issues", "The WhatsApp Business Account has reached its rate limit.", None),
}  # fmt: skip


# ==========================================================================
# Fixtures and webhook signing (§1)
# ==========================================================================


def load_fixture(name: str) -> bytes:
    """The exact bytes of shared/fixtures/cloudapi/<name>.json (never re-serialise them)."""
    return (CLOUD_FIXTURES / f"{name.removesuffix('.json')}.json").read_bytes()


def fixture_signature(name: str) -> str:
    """The fixture's X-Hub-Signature-256 value, `sha256=<hex>`."""
    return (CLOUD_FIXTURES / f"{name.removesuffix('.json')}.sig").read_text().strip()


def fixture_names() -> list[str]:
    """Every signed webhook body (verify-get.json describes the GET handshake, not a body)."""
    return sorted(path.stem for path in CLOUD_FIXTURES.glob("*.json") if path.stem != "verify-get")


def fixture_app_secret() -> str:
    """The app secret the fixtures' .sig files were made with."""
    return (CLOUD_FIXTURES / "APP_SECRET.txt").read_text().strip()


def sign(body: bytes, app_secret: str) -> str:
    """`sha256=<hex HMAC-SHA256 of the raw bytes>`, Meta's X-Hub-Signature-256."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signed_webhook(body: bytes, app_secret: str) -> tuple[bytes, dict[str, str]]:
    """The body and the headers Meta would POST it with."""
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(body, app_secret),
        "User-Agent": "facebookexternalua",
    }
    return body, headers


def meta_json(payload: Any) -> bytes:
    """Meta's wire format (§1 "raw bytes"): compact JSON, non-ASCII as lower-case
    `\\uXXXX` (surrogate pairs for emoji), `/` escaped as `\\/`."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


def new_wamid(wa_id: str, *, outbound: bool = True) -> str:
    """A wamid in Meta's layout: ours carry `…ABEY…`, customers' `…ABIY…` (fixtures README)."""
    marker = b"\x11\x18\x12" if outbound else b"\x12\x18\x20"
    tail = secrets.token_hex(9 if outbound else 16).upper().encode()
    raw = b"\x1c\x18" + bytes([len(wa_id)]) + wa_id.encode() + b"\x15\x02\x00" + marker + tail + b"\x00"
    return "wamid." + base64.b64encode(raw).decode()


def webhook_envelope(value: dict, *, waba_id: str = DEFAULT_WABA_ID, field: str = "messages") -> dict:
    """§2: `{"object", "entry": [{"id", "changes": [{"value", "field"}]}]}`."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"value": value, "field": field}]}],
    }


def _metadata(phone_number_id: str, display_phone_number: str) -> dict:
    return {"display_phone_number": display_phone_number, "phone_number_id": phone_number_id}


def text_webhook(
    phone_number_id: str,
    wa_id: str,
    text: str,
    *,
    name: str = "Cliente",
    user_id: str | None = None,
    message_id: str | None = None,
    timestamp: int | None = None,
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER,
) -> bytes:
    """An inbound text (§2.2) in Meta's bytes; sign it with `signed_webhook`."""
    contact: dict[str, Any] = {"profile": {"name": name}, "wa_id": wa_id}
    message: dict[str, Any] = {"from": wa_id}
    if user_id:
        contact["user_id"] = user_id
        message["from_user_id"] = user_id
    message |= {
        "id": message_id or new_wamid(wa_id, outbound=False),
        "timestamp": str(timestamp or int(time.time())),
        "text": {"body": text},
        "type": "text",
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": _metadata(phone_number_id, display_phone_number),
        "contacts": [contact],
        "messages": [message],
    }
    return meta_json(webhook_envelope(value))


def status_webhook(
    phone_number_id: str,
    message_id: str,
    recipient_id: str,
    status: str = "delivered",
    *,
    error_code: int | None = None,
    timestamp: int | None = None,
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER,
) -> bytes:
    """A status for one of our sends (§2.3); `error_code` makes it `failed`
    with that code's error, like status-failed-131047.json."""
    item: dict[str, Any] = {
        "id": message_id,
        "status": "failed" if error_code else status,
        "timestamp": str(timestamp or int(time.time())),
        "recipient_id": recipient_id,
    }
    if error_code:
        title, details, _subcode = ERRORS.get(error_code, ("Error", "", None))
        item["errors"] = [
            {"code": error_code, "title": title, "message": title, "error_data": {"details": details},
             "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}
        ]  # fmt: skip
    elif status in ("sent", "delivered"):
        item["pricing"] = {"billable": False, "pricing_model": "PMP", "category": "service",
                           "type": "free_customer_service"}  # fmt: skip
    value = {
        "messaging_product": "whatsapp",
        "metadata": _metadata(phone_number_id, display_phone_number),
        "statuses": [item],
    }
    return meta_json(webhook_envelope(value))


def graph_error(code: int, *, details: str | None = None, message: str | None = None) -> dict:
    """The Graph error body (§3 "Error response") for `code`."""
    fbtrace_id = base64.b64encode(secrets.token_bytes(16)).decode()[:22]
    if code == 190:
        return {"error": {"message": message or "Invalid OAuth access token - Cannot parse access token",
                          "type": "OAuthException", "code": 190, "fbtrace_id": fbtrace_id}}  # fmt: skip
    title, default_details, subcode = ERRORS.get(code, ("Error", "", None))
    error: dict[str, Any] = {
        "message": message or f"(#{code}) {title}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details or default_details},
    }
    if subcode:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = fbtrace_id
    return {"error": error}


class _Invalid(Exception):
    def __init__(self, code: int, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


def _require(condition: Any, code: int, details: str) -> None:
    if not condition:
        raise _Invalid(code, details)


def _limit(text: Any, maximum: int, where: str, required: bool = True) -> None:
    if text is None and not required:
        return
    _require(isinstance(text, str) and text, 131008, f"Parameter '{where}' is required.")
    _require(len(text) <= maximum, 131009, f"Parameter '{where}' is longer than {maximum} characters.")


# ==========================================================================
# The fake server
# ==========================================================================


class FakeCloudApi(FakeServer):
    """Graph API (Cloud API) for tests. See the module docstring."""

    def __init__(self, access_token: str = "cloud-test-token", *, phone_number_ids: list[str] | None = None) -> None:
        """`phone_number_ids`: if given, sends from any other id fail with
        Graph's "Object with ID … does not exist" (code 100)."""
        super().__init__()
        self.access_token = access_token
        self.phone_number_ids = set(phone_number_ids) if phone_number_ids is not None else None
        self.wa_ids: dict[str, str] = {}  # `to` as sent → wa_id Meta answers with (e.g. a 12-digit BR form)
        self._sent: list[dict] = []
        self._reads: list[dict] = []
        self._send_errors: list[dict] = []
        self._media: dict[str, dict] = {}
        self._media_urls: dict[str, str] = {}  # url hash → media id

    # -- test controls -----------------------------------------------------

    def fail_next_send(
        self, code: int = 131047, http_status: int | None = None, times: int = 1, details: str | None = None
    ) -> None:
        """Refuse the next `times` message sends (not mark-as-read) with Graph
        error `code`: 131047, 130429, 131056, 131026, 190, … HTTP status
        defaults to 401 for 190 and 400 otherwise: key on `code`, not status (§3)."""
        status = http_status or (401 if code == 190 else 400)
        with self._lock:
            self._send_errors.append({"code": code, "status": status, "times": times, "details": details})

    def add_media(self, media_id: str, data: bytes, mime_type: str, *, phone_number_id: str | None = None) -> None:
        """Make `media_id` downloadable (§4)."""
        with self._lock:
            self._media[media_id] = {"data": data, "mime_type": mime_type, "phone_number_id": phone_number_id}

    def expire_media_urls(self) -> None:
        """Every url handed out so far now answers 404 (they live 5 minutes, §4)."""
        with self._lock:
            self._media_urls.clear()

    def sent_messages(self, phone_number_id: str | None = None) -> list[dict]:
        """Accepted sends, oldest first: `{"id", "phone_number_id", "to", "type", "body"}`
        (`body` is the JSON Oxy posted)."""
        with self._lock:
            return [dict(m) for m in self._sent if phone_number_id in (None, m["phone_number_id"])]

    def read_receipts(self, phone_number_id: str | None = None) -> list[dict]:
        """Mark-as-read calls: `{"phone_number_id", "message_id", "typing_indicator"}`."""
        with self._lock:
            return [dict(r) for r in self._reads if phone_number_id in (None, r["phone_number_id"])]

    # -- routes (the attachment route first: `/{version}/{media_id}` would match it) --

    @route("GET", "/whatsapp_business/attachments")
    def _download(self, request: RecordedRequest) -> Reply:
        """§4 step 3: the media bytes, bearer required; expired url → 404."""
        refused = self._authenticate(request)
        if refused:
            return refused
        media_id = self._media_urls.get(request.query.get("hash", ""))
        if media_id is None or media_id != request.query.get("mid"):
            return Reply(404, b"URL signature expired", content_type="text/plain")
        media = self._media[media_id]
        return Reply(200, media["data"], content_type=media["mime_type"])

    @route("POST", "/{version}/{phone_number_id}/messages")
    def _messages(self, request: RecordedRequest, version: str, phone_number_id: str) -> Reply:
        """§3 "Sending"; mark-as-read and typing indicator share this route."""
        if not VERSION_RE.match(version):
            return self.not_found(request)
        refused = self._authenticate(request)
        if refused:
            return refused
        if self.phone_number_ids is not None and phone_number_id not in self.phone_number_ids:
            return self._unknown_object(phone_number_id, "post")
        body = request.json
        try:
            _require(isinstance(body, dict), 100, "The request body must be a JSON object.")
            _require(body.get("messaging_product") == "whatsapp", 100, "The parameter messaging_product is required.")
            if body.get("status") == "read":
                _require(body.get("message_id"), 100, "The parameter message_id is required.")
                self._reads.append(
                    {"phone_number_id": phone_number_id, "message_id": body["message_id"],
                     "typing_indicator": body.get("typing_indicator")}
                )  # fmt: skip
                return Reply.json(200, {"success": True})
            self._validate(body)
        except _Invalid as invalid:
            return Reply.json(400, graph_error(invalid.code, details=invalid.details))
        scripted = self._take_send_error()
        if scripted:
            return Reply.json(scripted["status"], graph_error(scripted["code"], details=scripted["details"]))
        return Reply.json(200, self._accept(phone_number_id, body))

    @route("GET", "/{version}/{media_id}")
    def _media_url(self, request: RecordedRequest, version: str, media_id: str) -> Reply:
        """§4 step 2: the short-lived download url and the media's metadata."""
        if not VERSION_RE.match(version):
            return self.not_found(request)
        refused = self._authenticate(request)
        if refused:
            return refused
        media = self._media.get(media_id)
        wanted_phone = request.query.get("phone_number_id")
        if media is None or (wanted_phone and media["phone_number_id"] not in (None, wanted_phone)):
            return self._unknown_object(media_id, "get")
        url_hash = secrets.token_urlsafe(24)
        self._media_urls[url_hash] = media_id
        expiry = int(time.time()) + 300
        return Reply.json(
            200,
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/whatsapp_business/attachments/?mid={media_id}&ext={expiry}&hash={url_hash}",
                "mime_type": media["mime_type"],
                "sha256": hashlib.sha256(media["data"]).hexdigest(),
                "file_size": len(media["data"]),
                "id": media_id,
            },
        )

    # -- internals -----------------------------------------------------------

    def failure_body(self, status: int) -> Any:
        """Scripted `fail_next(status)`: 401 → token error, 429 → throughput, else Graph's transient error."""
        if status == 401:
            return graph_error(190)
        if status == 429:
            return graph_error(130429)
        return graph_error(2, message="An unexpected error has occurred. Please retry your request later.")

    def not_found(self, request: RecordedRequest) -> Reply:
        return Reply.json(400, graph_error(100, message=f"Unknown path components: {request.path}"))

    def _unknown_object(self, object_id: str, verb: str) -> Reply:
        message = (
            f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation. Please read the Graph API documentation at "
            "https://developers.facebook.com/docs/graph-api"
        )
        body = {"error": {"message": message, "type": "GraphMethodException", "code": 100, "error_subcode": 33,
                          "fbtrace_id": base64.b64encode(secrets.token_bytes(16)).decode()[:22]}}  # fmt: skip
        return Reply.json(400, body)

    def _authenticate(self, request: RecordedRequest) -> Reply | None:
        header = request.headers.get("authorization", "")
        given = header[7:] if header.startswith("Bearer ") else request.query.get("access_token", "")
        if given and hmac.compare_digest(given.encode(), self.access_token.encode()):
            return None
        return Reply.json(401, graph_error(190), headers={"WWW-Authenticate": 'OAuth "Facebook Platform"'})

    def _take_send_error(self) -> dict | None:
        if not self._send_errors:
            return None
        scripted = self._send_errors[0]
        scripted["times"] -= 1
        if scripted["times"] <= 0:
            self._send_errors.pop(0)
        return scripted

    def _accept(self, phone_number_id: str, body: dict) -> dict:
        to = body.get("to")
        if to:
            wa_id = self.wa_ids.get(to) or "".join(ch for ch in str(to) if ch.isdigit())
            contact = {"input": to, "wa_id": wa_id}
        else:  # §3: a BSUID `recipient` instead of `to`
            wa_id = body["recipient"]
            contact = {"input": body["recipient"], "user_id": body["recipient"]}
        wamid = new_wamid(wa_id)
        self._sent.append(
            {"id": wamid, "phone_number_id": phone_number_id, "to": to or body.get("recipient"),
             "type": body.get("type", "text"), "body": body}
        )  # fmt: skip
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": wamid}]}

    def _validate(self, body: dict) -> None:
        """The checks of §3 "Bodies": raises _Invalid with Graph's code."""
        _require(body.get("to") or body.get("recipient"), 100, "The parameter to is required.")
        kind = body.get("type", "text")
        _require(kind in SEND_TYPES, 100, f"Param type must be one of {{{', '.join(SEND_TYPES)}}}.")
        content = body.get(kind)
        _require(isinstance(content, dict), 131008, f"Parameter '{kind}' is required.")
        if kind == "text":
            _limit(content.get("body"), 4096, "text.body")
        elif kind in MEDIA_TYPES:
            has_link, has_id = bool(content.get("link")), bool(content.get("id"))
            _require(has_link or has_id, 131008, f"Parameter '{kind}.link' or '{kind}.id' is required.")
            _require(not (has_link and has_id), 131009, f"Only one of '{kind}.link' and '{kind}.id' is allowed.")
            if has_link:
                _require(
                    str(content["link"]).startswith(("http://", "https://")), 131009, f"'{kind}.link' is not a URL."
                )
            _require(kind not in ("audio", "sticker") or "caption" not in content, 100,
                     f"Param {kind}['caption'] is not a valid parameter.")  # fmt: skip
        elif kind == "template":
            _require(content.get("name"), 131008, "Parameter 'template.name' is required.")
            _require(
                (content.get("language") or {}).get("code"), 131008, "Parameter 'template.language.code' is required."
            )
        elif kind == "reaction":
            _require(content.get("message_id"), 131008, "Parameter 'reaction.message_id' is required.")
            _require("emoji" in content, 131008, "Parameter 'reaction.emoji' is required.")
        elif kind == "interactive":
            self._validate_interactive(content)

    def _validate_interactive(self, content: dict) -> None:
        """§3 reply buttons (≤3, title ≤20, id ≤256) and lists (≤10 sections,
        ≤10 rows in all, title ≤24, id ≤200, description ≤72)."""
        kind = content.get("type")
        _require(kind in ("button", "list", "cta_url", "flow", "product", "product_list"), 131009,
                 "Parameter 'interactive.type' is invalid.")  # fmt: skip
        action = content.get("action")
        _require(isinstance(action, dict), 131008, "Parameter 'interactive.action' is required.")
        if isinstance(content.get("footer"), dict):
            _limit(content["footer"].get("text"), 60, "interactive.footer.text")
        header = content.get("header")
        if isinstance(header, dict) and header.get("type") == "text":
            _limit(header.get("text"), 60, "interactive.header.text")
        if kind == "button":
            _limit((content.get("body") or {}).get("text"), 1024, "interactive.body.text")
            buttons = action.get("buttons")
            _require(
                isinstance(buttons, list) and buttons, 131008, "Parameter 'interactive.action.buttons' is required."
            )
            _require(len(buttons) <= 3, 131009, "Parameter 'interactive.action.buttons' has more than 3 buttons.")
            ids = []
            for index, button in enumerate(buttons):
                reply = (button or {}).get("reply") or {}
                _require(button.get("type") == "reply", 131009, f"buttons[{index}].type must be 'reply'.")
                _limit(reply.get("id"), 256, f"buttons[{index}].reply.id")
                _limit(reply.get("title"), 20, f"buttons[{index}].reply.title")
                ids.append(reply["id"])
            _require(len(set(ids)) == len(ids), 131009, "Button ids must be unique.")
        elif kind == "list":
            _limit((content.get("body") or {}).get("text"), 4096, "interactive.body.text")
            _limit(action.get("button"), 20, "interactive.action.button")
            sections = action.get("sections")
            _require(
                isinstance(sections, list) and sections, 131008, "Parameter 'interactive.action.sections' is required."
            )
            _require(len(sections) <= 10, 131009, "Parameter 'interactive.action.sections' has more than 10 sections.")
            rows = [row for section in sections for row in (section or {}).get("rows") or []]
            _require(rows, 131008, "Each list needs at least one row.")
            _require(len(rows) <= 10, 131009, "A list has at most 10 rows in all.")
            for index, section in enumerate(sections):
                _limit(section.get("title"), 24, f"sections[{index}].title", required=len(sections) > 1)
            for index, row in enumerate(rows):
                _limit(row.get("id"), 200, f"rows[{index}].id")
                _limit(row.get("title"), 24, f"rows[{index}].title")
                _limit(row.get("description"), 72, f"rows[{index}].description", required=False)
