"""Webhooks and alerts in the shop's admin: the delivery log, replay, the
endpoints (their secret never shown) and the alerts raised."""

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenants.shop.admin import ReadOnlyShopModelAdmin, ShopModelAdmin, shop_admin_site
from tenants.shop.services import Actor

from .models import Alert, WebhookDelivery, WebhookEndpoint
from .services.webhooks import webhook_delivery_replay


@admin.register(WebhookEndpoint, site=shop_admin_site)
class WebhookEndpointAdmin(ShopModelAdmin):
    # Created, edited and rotated on Settings → Webhooks (the secret is shown once there).
    list_display = ["url", "description", "events", "active", "created_at"]
    fields = ["url", "description", "events", "active", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # removed on the settings page, through the audited service


@admin.register(WebhookDelivery, site=shop_admin_site)
class WebhookDeliveryAdmin(ReadOnlyShopModelAdmin):
    list_display = ["created_at", "event_type", "endpoint", "status", "attempts", "response_status",
                    "next_attempt_at", "delivered_at"]  # fmt: skip
    list_filter = ["status", "event_type"]
    search_fields = ["event_id"]
    list_select_related = ["endpoint"]
    actions = ["replay"]

    @admin.action(description=_("Send the selected events again"))
    def replay(self, request: HttpRequest, queryset) -> None:
        for delivery in queryset.select_related("endpoint", "replay_of__endpoint"):
            webhook_delivery_replay(delivery=delivery, actor=Actor.staff(request.user))
        messages.success(request, _("%(count)s events queued to be sent again.") % {"count": queryset.count()})


@admin.register(Alert, site=shop_admin_site)
class AlertAdmin(ReadOnlyShopModelAdmin):
    list_display = ["created_at", "kind", "key", "emailed_to", "slack_sent_at", "sent_at", "error"]
    list_filter = ["kind"]
