"""Reads on the public inbox."""

from datetime import datetime

from django.db.models import QuerySet

from .models import InboundEvent


def inbound_events_purgeable(*, before: datetime) -> QuerySet:
    """Events received before `before` that may go: never one still to
    process, nor a failed one kept for support."""
    return InboundEvent.objects.filter(
        status__in=[InboundEvent.Status.PROCESSED, InboundEvent.Status.IGNORED], received_at__lt=before
    )
