"""The agents in each shop's admin: its settings (model, key, spend cap,
address, policies), its questions and answers, the log of AI turns, and
what the shop sends on its own (automations, follow-ups, campaigns)."""

from django.contrib import admin
from django.db import models

from tenants.shop.admin import ReadOnlyShopModelAdmin, ShopModelAdmin, shop_admin_site

from .models import AgentSettings, AIInteraction, Campaign, CampaignRecipient, FaqEntry, FollowUp, OutreachSettings


@admin.register(AgentSettings, site=shop_admin_site)
class AgentSettingsAdmin(ShopModelAdmin):
    list_display = ["model", "monthly_cap_usd", "customer_turns_per_minute"]
    # The key is set from the environment or the shell, never shown back.
    exclude = ["api_key"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(FaqEntry, site=shop_admin_site)
class FaqEntryAdmin(ShopModelAdmin):
    list_display = ["question"]
    search_fields = ["question", "answer"]


@admin.register(AIInteraction, site=shop_admin_site)
class AIInteractionAdmin(ReadOnlyShopModelAdmin):
    list_display = ["created_at", "conversation", "agent", "outcome", "model", "prompt_tokens", "cost_usd",
                    "latency_ms"]  # fmt: skip
    list_filter = ["agent", "outcome"]
    list_select_related = ["conversation__customer", "conversation__channel"]


@admin.register(OutreachSettings, site=shop_admin_site)
class OutreachSettingsAdmin(ShopModelAdmin):
    list_display = ["window_start", "window_end", "per_customer_per_hour", "per_customer_per_day", "reminder_hours"]


@admin.register(FollowUp, site=shop_admin_site)
class FollowUpAdmin(ReadOnlyShopModelAdmin):
    list_display = ["due_at", "kind", "customer", "status", "reason", "sent_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["customer"]


class CampaignRecipientInline(admin.TabularInline):
    model = CampaignRecipient
    fields = ["customer", "status", "reason", "sent_at"]
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Campaign, site=shop_admin_site)
class CampaignAdmin(ReadOnlyShopModelAdmin):
    """Read-only: a campaign is launched by the owner's confirmation, not from here."""

    list_display = ["name", "status", "created_at", "launched_at", "finished_at", "daily_cap"]
    list_filter = ["status"]
    inlines = [CampaignRecipientInline]
