"""Server-issued slot offers.

An offer id names one bookable slot (service, resource, start, pet size,
pet) and when it expires, signed with a key derived from SECRET_KEY and bound
to the shop's schema. Nothing is stored: an invented or altered id fails the
signature, an old one fails the expiry, and booking from a valid one still
re-checks the slot at commit time.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from .errors import BookingError

_VERSION = "o1"


@cache
def _offer_key(secret_key: str) -> bytes:
    return hashlib.sha256(f"oxy.booking-offer:{secret_key}".encode()).digest()


def _signature(payload: str, schema: str | None = None, key: bytes | None = None) -> str:
    message = f"{schema or connection.schema_name}|{payload}".encode()
    digest = hmac.digest(key or _offer_key(settings.SECRET_KEY), message, "sha256")
    return base64.urlsafe_b64encode(digest[:18]).decode()


def offer_signing_key() -> bytes:
    return _offer_key(settings.SECRET_KEY)


@dataclass(frozen=True)
class Offer:
    service_id: int
    resource_id: int
    start: datetime
    size: str
    pet_id: int | None
    expires_at: datetime

    def encode(self) -> str:
        payload = ".".join(
            [
                _VERSION,
                str(self.service_id),
                str(self.resource_id),
                str(int(self.start.timestamp())),
                self.size,
                str(self.pet_id or 0),
                str(int(self.expires_at.timestamp())),
            ]
        )
        return f"{payload}.{_signature(payload)}"


def offer_encode_fast(
    *,
    service_id: int,
    resource_id: int,
    start_ts: int,
    size: str,
    pet_id: int | None,
    expires_ts: int,
    schema: str,
    key: bytes,
) -> str:
    """`Offer.encode` for the search's hot loop: no datetimes, no lookups."""
    payload = f"{_VERSION}.{service_id}.{resource_id}.{start_ts}.{size}.{pet_id or 0}.{expires_ts}"
    return f"{payload}.{_signature(payload, schema, key)}"


def offer_decode(offer_id: str, *, now: datetime) -> Offer:
    payload, _dot, signature = offer_id.rpartition(".")
    if not payload or not hmac.compare_digest(signature.encode(), _signature(payload).encode()):
        raise BookingError("offer_invalid", _("This offer is not one we issued. Please search for free slots again."))
    version, service_id, resource_id, start_ts, size, pet_id, expires_ts = payload.split(".")
    offer = Offer(
        service_id=int(service_id),
        resource_id=int(resource_id),
        start=datetime.fromtimestamp(int(start_ts), tz=UTC),
        size=size,
        pet_id=int(pet_id) or None,
        expires_at=datetime.fromtimestamp(int(expires_ts), tz=UTC),
    )
    if offer.expires_at <= now:
        raise BookingError("offer_expired", _("This offer has expired. Please search for free slots again."))
    return offer
