"""What the rest of Oxy calls when something a shop's systems may want to
hear about happens: one call per event point, inside the producer's
transaction. Payloads carry ids and what the shop itself sees in the
dashboard; never a secret."""

from ..models import WebhookEvent
from .webhooks import webhook_event_emit


def booking_event_emit(*, booking, created: bool = False) -> int:
    """booking.created, booking.cancelled, or booking.changed (moved,
    confirmed, completed, no-show): one event per saved state."""
    if created:
        event, event_id = WebhookEvent.BOOKING_CREATED, f"booking.created:{booking.pk}"
    elif booking.status == booking.Status.CANCELLED:
        event, event_id = WebhookEvent.BOOKING_CANCELLED, f"booking.cancelled:{booking.pk}"
    else:
        event, event_id = WebhookEvent.BOOKING_CHANGED, f"booking.changed:{booking.pk}:{booking.updated_at.isoformat()}"

    def data() -> dict:
        return {"booking": {
            "id": booking.pk, "status": booking.status, "start": booking.start.isoformat(),
            "end": booking.end.isoformat(), "price": str(booking.price), "source": booking.source,
            "cancellation_reason": booking.cancellation_reason,
            "service": {"id": booking.service_id, "name": booking.service.name},
            "resource": {"id": booking.resource_id, "name": booking.resource.name},
            "customer": _customer(booking.customer),
            "pet": {"id": booking.pet_id, "name": booking.pet.name} if booking.pet_id else None,
        }}  # fmt: skip

    return webhook_event_emit(event=event, event_id=event_id, data=data, at=booking.updated_at)


def handover_event_emit(*, conversation) -> int:
    """conversation.handed_over: a person should answer now."""
    at = conversation.owner_changed_at

    def data() -> dict:
        return {"conversation": {"id": conversation.pk, "reason": conversation.handover_reason,
                                 "customer": _customer(conversation.customer)}}  # fmt: skip

    return webhook_event_emit(event=WebhookEvent.CONVERSATION_HANDED_OVER,
                              event_id=f"conversation.handed_over:{conversation.pk}:{at.isoformat()}", data=data,
                              at=at)  # fmt: skip


def message_received_emit(*, message) -> int:
    """message.received: a customer wrote (not the shop's own phone)."""
    if message.direction != message.Direction.INBOUND:
        return 0

    def data() -> dict:
        conversation = message.conversation
        return {"message": {
            "id": message.pk, "conversation": conversation.pk, "kind": message.kind, "text": message.text,
            "received_at": (message.provider_timestamp or message.created_at).isoformat(),
            "customer": _customer(conversation.customer),
        }}  # fmt: skip

    return webhook_event_emit(event=WebhookEvent.MESSAGE_RECEIVED, event_id=f"message.received:{message.pk}",
                              data=data)  # fmt: skip


def _customer(customer) -> dict:
    return {"id": customer.pk, "name": customer.name, "phone": customer.phone}
