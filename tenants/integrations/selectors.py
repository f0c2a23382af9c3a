from django.db.models import QuerySet

from .models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("created_at")


def webhook_delivery_recent(*, limit: int = 50) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.select_related("endpoint").order_by("-created_at", "-pk")[:limit]
