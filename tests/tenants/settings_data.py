"""What a browser posts to the Settings pages, and a snapshot of everything
those pages can change in a shop (to show that a refused request changed nothing)."""

from django_tenants.utils import tenant_context

from agents.models import AgentSettings, FaqEntry, OutreachSettings
from bookings.models import BusinessHours, Resource, ResourceHours, Service, ServiceSizeRule
from tenants.models import Organization
from tenants.shop.models import ApiKey, AuditEntry, OwnerNumber, ShopSettings
from tenants.staff.models import User

# Every Settings page that opens without naming a row.
PAGES = ["/settings/", "/settings/hours/", "/settings/services/", "/settings/services/new/", "/settings/resources/",
         "/settings/resources/new/", "/settings/attendant/", "/settings/faq/", "/settings/faq/new/",
         "/settings/owners/", "/settings/api-keys/", "/settings/team/"]  # fmt: skip


def week(*intervals: tuple[int, str, str], prefix: str = "hours") -> dict:
    """A week formset: (weekday, "08:00", "12:00") rows; ("", "") is an empty row."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(intervals)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "70"}  # fmt: skip
    for i, (weekday, start, end) in enumerate(intervals):
        data |= {f"{prefix}-{i}-weekday": str(weekday), f"{prefix}-{i}-start": start, f"{prefix}-{i}-end": end}
    return data


def service(name: str = "Hidratação", **changes) -> dict:
    data = {"name": name, "category": "bath", "description": "", "duration_minutes": "40", "price": "55,00",
            "buffer_after_minutes": "0", "requires_pet": "on", "vaccines_required": ""}  # fmt: skip
    for size in ("P", "M", "G", "GG"):
        data |= {f"minutes_{size}": "", f"price_{size}": ""}
    return data | changes


def resource(name: str = "Sala 2", *, services: tuple[int, ...] = (), hours: tuple = ()) -> dict:
    return {"name": name, "kind": "room", "services": [str(pk) for pk in services]} | week(*hours)


def attendant(**changes) -> dict:
    data = {
        "persona-assistant_name": "Luna", "persona-welcome_message": "Oi! Eu sou a Luna.",
        "agent-model": "", "agent-base_url": "", "agent-monthly_cap_usd": "", "agent-customer_turns_per_minute": "5",
        "agent-handback_idle_minutes": "30", "agent-address": "", "agent-policies": "",
        "agent-daily_summary_enabled": "on", "agent-daily_summary_at": "19:00", "agent-alerts_enabled": "on",
        "agent-weekly_report_enabled": "on", "agent-weekly_report_weekday": "0", "agent-monthly_booking_goal": "",
        "agent-channel_alerts_enabled": "on",
    }  # fmt: skip
    return data | changes


def outreach(**changes) -> dict:
    data = {
        "outreach-window_start": "09:00", "outreach-window_end": "19:00", "outreach-per_customer_per_hour": "1",
        "outreach-per_customer_per_day": "3", "outreach-confirmations_enabled": "on",
        "outreach-reminder_hours": "24, 3", "outreach-vaccine_reminder_days": "5",
        "outreach-post_visit_after_hours": "2",
    }  # fmt: skip
    return data | changes


def shop_rows(organization: Organization) -> dict:
    """Everything the Settings pages can change in the shop, and its audit log."""
    models = [ShopSettings, BusinessHours, Service, ServiceSizeRule, Resource, Resource.services.through,
              ResourceHours, AgentSettings, OutreachSettings, OwnerNumber, ApiKey, User, AuditEntry]  # fmt: skip
    organization.refresh_from_db()
    with tenant_context(organization):
        rows = {model.__name__: list(model.objects.order_by("pk").values()) for model in models}
        rows["FaqEntry"] = list(FaqEntry.objects.order_by("pk").values("pk", "question", "answer"))
    rows["Organization"] = [{"name": organization.name, "timezone": organization.timezone}]
    return rows
