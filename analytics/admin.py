"""Analytics in each shop's admin: the facts and conversation records, read
only (they are written by the services, and rebuilt by a command)."""

from django.contrib import admin

from tenants.shop.admin import ReadOnlyShopModelAdmin, shop_admin_site

from .models import AnalyticsEvent, ConversationRecord, ExportJob


@admin.register(AnalyticsEvent, site=shop_admin_site)
class AnalyticsEventAdmin(ReadOnlyShopModelAdmin):
    list_display = ["day", "kind", "occurred_at", "value", "dims"]
    list_filter = ["kind"]
    date_hierarchy = "day"


@admin.register(ConversationRecord, site=shop_admin_site)
class ConversationRecordAdmin(ReadOnlyShopModelAdmin):
    list_display = ["started_at", "conversation", "handled_by", "messages_in", "messages_out", "booking_value"]
    list_filter = ["handled_by"]
    date_hierarchy = "day"
    list_select_related = ["conversation__customer", "conversation__channel"]


@admin.register(ExportJob, site=shop_admin_site)
class ExportJobAdmin(ReadOnlyShopModelAdmin):
    list_display = ["created_at", "kind", "start", "end", "status", "percent", "requested_by", "error"]
    list_filter = ["kind", "status"]
