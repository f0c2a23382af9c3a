"""One interface for every WhatsApp provider.

Webhooks become `InboundItem`s at the door (one per message, status or
connection change, each with its dedupe key), and `normalize` turns an item
into the provider-independent events below. Sending goes through `Provider`
methods that raise `ProviderError` saying whether a retry can help.
"""

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import httpx

_transports: dict[int, httpx.HTTPTransport] = {}


def shared_transport() -> httpx.HTTPTransport:
    """This process's connection pool for provider APIs. A client that built
    its own would load the TLS certificates (~45 ms) on every send."""
    transport = _transports.get(os.getpid())  # a forked child builds its own
    if transport is None:
        transport = _transports[os.getpid()] = httpx.HTTPTransport(
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50)
        )
    return transport


@dataclass(frozen=True)
class InboundItem:
    """One event of a webhook delivery, as stored in the inbox."""

    route_external_id: str
    dedupe_key: str
    event_type: str
    payload: dict


@dataclass(frozen=True)
class Sender:
    """Every id the provider gave for the person on the other side."""

    phone: str | None = None  # E.164 digits, no '+', as WhatsApp gives them
    lid: str | None = None  # "...@lid"
    wa_id: str | None = None
    bsuid: str | None = None
    name: str = ""


@dataclass(frozen=True)
class InboundMessage:
    provider_message_id: str
    sender: Sender
    timestamp: datetime
    kind: str  # text, image, video, audio, voice, document, sticker, location, contact, reaction, ...
    text: str = ""
    from_me: bool = False  # sent from the business phone itself: a person on the shop's side
    data: dict = field(default_factory=dict)
    reply_to: str = ""
    # Where the media can be fetched: base64 content, or a provider media id.
    media_base64: str = ""
    media_id: str = ""
    media_mime: str = ""


@dataclass(frozen=True)
class MessageEdited:
    provider_message_id: str
    text: str
    timestamp: datetime


@dataclass(frozen=True)
class MessageRevoked:
    provider_message_id: str


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str
    status: str  # sent, delivered, read, failed
    timestamp: datetime | None = None
    error: str = ""
    error_code: int | None = None


@dataclass(frozen=True)
class ConnectionUpdate:
    state: str  # pairing, connected, reconnecting, logged_out, failed
    reason: str = ""
    pairing_code: str = ""
    qr_code: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Ignored:
    why: str


NormalizedEvent = InboundMessage | MessageEdited | MessageRevoked | StatusUpdate | ConnectionUpdate | Ignored


class ProviderError(Exception):
    def __init__(self, message: str, *, retryable: bool, code: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str


@dataclass(frozen=True)
class PairingStart:
    pairing_code: str = ""
    qr_code: str = ""
    already_connected: bool = False


class Provider(Protocol):
    def send_text(self, *, to: str, text: str, reply_to: str = "") -> SendResult: ...

    def send_media(self, *, to: str, kind: str, url: str, caption: str = "", filename: str = "") -> SendResult: ...

    def find_sent(self, *, to: str, text: str, since: datetime) -> list[str]:
        """Ids of messages we already sent to `to` with this text since `since`
        (to settle a send whose outcome a crash hid); [] if unknown."""
        ...

    def connect(self, *, phone: str = "") -> PairingStart: ...

    def connection_state(self) -> str: ...

    def logout(self) -> None: ...
