"""The built-in provider for development and demos: the dashboard's phone
simulator plays the customer, and pairing is simulated (the code shown in
the dashboard is typed into the simulator). After the inbox, it follows the
same path as a real provider."""

import secrets
import uuid
from datetime import UTC, datetime

from .base import (
    ConnectionUpdate,
    Ignored,
    InboundItem,
    InboundMessage,
    NormalizedEvent,
    PairingStart,
    Sender,
    SendResult,
)

PAIRING_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"  # WhatsApp's, as Evolution shows it


def new_pairing_code() -> str:
    return "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(8))


def simulator_message_item(*, channel_external_id: str, phone: str, name: str, text: str) -> InboundItem:
    message_id = f"sandbox-{uuid.uuid4().hex}"
    return InboundItem(
        route_external_id=channel_external_id,
        dedupe_key=f"sandbox:{channel_external_id}:message:{message_id}",
        event_type="message",
        payload={
            "id": message_id,
            "from": phone,
            "name": name,
            "text": text,
            "timestamp": datetime.now(UTC).timestamp(),
        },
    )


def simulator_paired_item(*, channel_external_id: str, phone: str) -> InboundItem:
    return InboundItem(
        route_external_id=channel_external_id,
        dedupe_key=f"sandbox:{channel_external_id}:paired:{uuid.uuid4().hex}",
        event_type="paired",
        payload={"phone": phone},
    )


def normalize(item: InboundItem) -> list[NormalizedEvent]:
    payload = item.payload
    if item.event_type == "message":
        return [
            InboundMessage(
                provider_message_id=payload["id"],
                sender=Sender(phone=payload["from"].lstrip("+"), name=payload.get("name", "")),
                timestamp=datetime.fromtimestamp(payload["timestamp"], tz=UTC),
                kind="text",
                text=payload["text"],
            )
        ]
    if item.event_type == "paired":
        return [ConnectionUpdate(state="connected", phone=payload["phone"].lstrip("+"))]
    return [Ignored(item.event_type)]


class SandboxProvider:
    def __init__(self, *, channel_external_id: str) -> None:
        self.external_id = channel_external_id

    def send_text(self, *, to: str, text: str, reply_to: str = "") -> SendResult:
        return SendResult(provider_message_id=f"sandbox-out-{uuid.uuid4().hex}")

    def send_media(self, *, to: str, kind: str, url: str, caption: str = "", filename: str = "") -> SendResult:
        return SendResult(provider_message_id=f"sandbox-out-{uuid.uuid4().hex}")

    def find_sent(self, *, to: str, text: str, since: datetime) -> list[str]:
        return []

    def connect(self, *, phone: str = "") -> PairingStart:
        return PairingStart(pairing_code=new_pairing_code())

    def connection_state(self) -> str:
        return "unknown"  # the sandbox's state is whatever the simulator last did

    def logout(self) -> None:
        return None
