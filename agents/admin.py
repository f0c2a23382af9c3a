"""The agents in each shop's admin: its settings (model, key, spend cap,
address, policies), its questions and answers, and the log of AI turns."""

from django.contrib import admin
from django.db import models

from tenants.shop.admin import ReadOnlyShopModelAdmin, ShopModelAdmin, shop_admin_site

from .models import AgentSettings, AIInteraction, FaqEntry


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
