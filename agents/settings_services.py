"""Writes behind the Settings pages about the agents: the attendant's
persona, model and key, spend cap and limits, Aurora's reports, what the
shop sends on its own, and the shop's questions and answers.

The shop's own LLM key is written only by `llm_key_set` / `llm_key_remove`
(stored encrypted) and is never logged or returned."""

from django.db import transaction

from tenants.shop.models import ShopSettings
from tenants.shop.services import Actor, audit_record

from .models import AgentSettings, FaqEntry, OutreachSettings

PERSONA_FIELDS = {"assistant_name", "welcome_message"}
AGENT_FIELDS = {
    "model", "base_url", "monthly_cap_usd", "customer_turns_per_minute", "handback_idle_minutes", "address",
    "policies", "daily_summary_enabled", "daily_summary_at", "alerts_enabled", "weekly_report_enabled",
    "weekly_report_weekday", "monthly_booking_goal", "channel_alerts_enabled",
}  # fmt: skip
OUTREACH_FIELDS = {
    "confirmations_enabled", "reminder_hours", "vaccine_reminders_enabled", "vaccine_reminder_days",
    "post_visit_enabled", "post_visit_after_hours", "per_customer_per_hour", "per_customer_per_day",
    "window_start", "window_end",
}  # fmt: skip


def agent_settings_current() -> AgentSettings:
    """The shop's agent settings (an unsaved default until first saved)."""
    return AgentSettings.objects.first() or AgentSettings()


def _apply(row, changes: dict, editable: set[str]) -> list[str]:
    """Set the changes on the row, validate it; the names of the fields whose value changed."""
    unknown = set(changes) - editable
    if unknown:
        raise ValueError(f"not editable here: {', '.join(sorted(unknown))}")
    changed = sorted(field for field, value in changes.items() if getattr(row, field) != value)
    for field, value in changes.items():
        setattr(row, field, value)
    row.full_clean()
    row.save()
    return changed


@transaction.atomic
def attendant_settings_update(*, persona: dict, agent: dict, actor: Actor) -> AgentSettings:
    """How the attendant presents itself (`ShopSettings`) and how the agents
    work (`AgentSettings`), saved together."""
    shop = ShopSettings.objects.select_for_update().filter(singleton=True).first() or ShopSettings()
    settings, _created = AgentSettings.objects.select_for_update().get_or_create(singleton=True)
    changed = _apply(shop, persona, PERSONA_FIELDS) + _apply(settings, agent, AGENT_FIELDS)
    audit_record(actor=actor, action="attendant.settings_updated", target="attendant", data={"fields": changed})
    return settings


@transaction.atomic
def llm_key_set(*, api_key: str, actor: Actor) -> None:
    """The shop's own key for its LLM endpoint, in place of the deployment's."""
    api_key = api_key.strip()
    if not api_key:
        raise ValueError("an empty key: use llm_key_remove")
    settings, _created = AgentSettings.objects.select_for_update().get_or_create(singleton=True)
    settings.api_key = api_key
    settings.save(update_fields=["api_key"])
    audit_record(actor=actor, action="attendant.llm_key_set", target="attendant")  # never the key itself


@transaction.atomic
def llm_key_remove(*, actor: Actor) -> None:
    """Forget the shop's key: the deployment's key (if any) answers again."""
    settings = AgentSettings.objects.select_for_update().filter(singleton=True).first()
    if settings is None or not settings.api_key:
        return
    settings.api_key = ""
    settings.save(update_fields=["api_key"])
    audit_record(actor=actor, action="attendant.llm_key_removed", target="attendant")


@transaction.atomic
def outreach_settings_update(*, actor: Actor, **changes) -> OutreachSettings:
    rules, _created = OutreachSettings.objects.select_for_update().get_or_create(singleton=True)
    changed = _apply(rules, changes, OUTREACH_FIELDS)
    audit_record(actor=actor, action="outreach.settings_updated", target="outreach", data={"fields": changed})
    return rules


@transaction.atomic
def faq_entry_create(*, question: str, answer: str, actor: Actor) -> FaqEntry:
    entry = FaqEntry(question=question.strip(), answer=answer.strip())
    entry.full_clean()
    entry.save()
    audit_record(actor=actor, action="faq.created", target=f"faq:{entry.pk}", data={"question": entry.question})
    return entry


@transaction.atomic
def faq_entry_update(*, entry: FaqEntry, question: str, answer: str, actor: Actor) -> FaqEntry:
    entry.question, entry.answer = question.strip(), answer.strip()
    entry.full_clean()
    entry.save(update_fields=["question", "answer"])
    audit_record(actor=actor, action="faq.updated", target=f"faq:{entry.pk}", data={"question": entry.question})
    return entry


@transaction.atomic
def faq_entry_delete(*, entry: FaqEntry, actor: Actor) -> None:
    audit_record(actor=actor, action="faq.deleted", target=f"faq:{entry.pk}", data={"question": entry.question})
    entry.delete()
