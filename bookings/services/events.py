"""Telling the shop's open dashboards that a booking was made or changed,
once the change is committed. A dashboard that misses one reloads what it
shows, so a failure to announce is logged, never raised."""

import logging

from oxy.realtime import dashboard_event_send
from oxy.schemas import on_commit_in_this_schema
from tenants.integrations.services.events import booking_event_emit

from ..models import Booking

logger = logging.getLogger(__name__)


def booking_announce(booking: Booking, *, event: str) -> None:
    """`event`: "booking.created" or "booking.updated" (moved, cancelled,
    confirmed, completed, no-show)."""
    data = {"booking": booking.pk, "status": booking.status, "start": booking.start.isoformat(),
            "resource": booking.resource_id}  # fmt: skip

    def send() -> None:
        try:
            dashboard_event_send(event=event, data=data)
        except Exception:  # noqa: BLE001 - the booking is saved; a reload shows it
            logger.warning("dashboard event %s for booking %s not sent", event, data["booking"])

    on_commit_in_this_schema(send)
    booking_event_emit(booking=booking, created=event == "booking.created")  # the shop's own systems (webhooks)
