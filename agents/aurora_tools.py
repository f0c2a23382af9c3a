"""What Aurora can do for the owner, as typed tools. Figures come from
analytics (one definition of every number); actions that change the shop
are proposed first and run only when the owner confirms that exact proposal
in a later message (the server checks it was shown, as with slot offers)."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from analytics.selectors import shop_summary
from bookings.availability import shop_timezone
from bookings.models import Booking, Service, Species
from bookings.selectors import customers_inactive
from tenants.shop.services import Actor, audit_record
from whatsapp.models import Conversation

from .models import AgentSettings, Campaign
from .outreach.campaigns import CampaignError, campaign_draft_create, campaign_launch, campaign_resume, campaign_stop
from .outreach.selectors import campaign_preview, campaign_progress
from .tools import DAY, Tool, ToolError, TurnContext, params

AURORA = Actor("ai", "Aurora")
PERIODS = ("today", "yesterday", "this_week", "last_7_days", "this_month", "last_month", "this_year", "custom")
ACTIONS = {"pause_attendant", "resume_attendant"}


def period_days(period: str, *, today: date, day_from: str = "", day_to: str = "") -> tuple[date, date]:
    """The first and last day of a named period, in the shop's calendar."""
    match period:
        case "today":
            return today, today
        case "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        case "this_week":
            return today - timedelta(days=today.weekday()), today
        case "last_7_days":
            return today - timedelta(days=6), today
        case "this_month":
            return today.replace(day=1), today
        case "last_month":
            last = today.replace(day=1) - timedelta(days=1)
            return last.replace(day=1), last
        case "this_year":
            return today.replace(month=1, day=1), today
        case "custom":
            try:
                start, end = date.fromisoformat(day_from), date.fromisoformat(day_to or day_from)
            except ValueError as exc:
                raise ToolError("day_from and day_to must be YYYY-MM-DD.") from exc
            if end < start:
                raise ToolError("day_to is before day_from.")
            return start, end
    raise ToolError(f"Unknown period; use one of {', '.join(PERIODS)}.")


def _today(ctx: TurnContext) -> date:
    return timezone.localtime(ctx.now, shop_timezone()).date()


def business_figures(ctx: TurnContext, period: str, day_from: str = "", day_to: str = "") -> dict:
    start, end = period_days(period, today=_today(ctx), day_from=day_from, day_to=day_to)
    return period_figures(start=start, end=end, now=ctx.now)


def period_figures(*, start: date, end: date, now: datetime) -> dict:
    """The figures the owner reads (analytics' own), for days in the shop's calendar."""
    summary = shop_summary(start=start, end=end, now=now)
    conversations, bookings = summary["conversations"], summary["bookings"]
    return {
        "period": summary["period"],
        "messages": {"in": summary["messages"]["in"], "out": summary["messages"]["out"]},
        "conversations": {key: conversations[key] for key in (
            "started", "ai_alone", "handed_over", "human_only", "unanswered", "converted", "conversion_rate",
            "first_response_ai_s", "first_response_human_s")},
        "bookings": {key: bookings[key] for key in (
            "made", "by_source", "revenue_booked", "revenue_completed", "completed", "average_ticket", "cancelled",
            "no_shows", "no_show_rate", "top_services")},
        "customers": {key: summary["customers"][key] for key in ("new", "returning")},
        "ai": summary["ai"],
    }  # fmt: skip


def agenda(ctx: TurnContext, day: str = "") -> dict:
    try:
        on = date.fromisoformat(day) if day else _today(ctx)
    except ValueError as exc:
        raise ToolError("day must be YYYY-MM-DD.") from exc
    tz = shop_timezone()
    day_start = datetime.combine(on, time.min, tz)
    bookings = (
        Booking.objects.filter(start__gte=day_start, start__lt=day_start + timedelta(days=1))
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("service", "pet", "customer")
        .order_by("start")
    )
    return {
        "day": on.isoformat(),
        "bookings": [
            {
                "time": f"{timezone.localtime(b.start, tz):%H:%M}",
                "service": b.service.name,
                "pet": b.pet.name if b.pet else "",
                "customer": b.customer.name or b.customer.phone,
                "status": b.status,
            }
            for b in bookings[:40]
        ],  # fmt: skip
    }


def inactive_customers(ctx: TurnContext, days: int = 60) -> dict:
    if not 1 <= days <= 3650:
        raise ToolError("days must be between 1 and 3650.")
    since = ctx.now - timedelta(days=days)
    inactive = customers_inactive(since=since).order_by("-last_interaction_at")
    return {
        "days": days,
        "count": inactive.count(),
        "examples": [
            {
                "name": c.name or c.phone,
                "last_contact": c.last_interaction_at.date().isoformat() if c.last_interaction_at else None,
            }
            for c in inactive[:10]
        ],  # fmt: skip
    }


def recent_handovers(ctx: TurnContext, limit: int = 5) -> dict:
    handed = (
        Conversation.objects.filter(owner=Conversation.Owner.HUMAN)
        .exclude(pk=ctx.conversation.pk)
        .select_related("customer")
        .order_by("-owner_changed_at")[: max(1, min(limit, 20))]
    )
    return {"handovers": [{"customer": c.customer.name or c.customer.phone, "reason": c.handover_reason,
                           "since": timezone.localtime(c.owner_changed_at, shop_timezone()).strftime("%d/%m %H:%M")
                           if c.owner_changed_at else None} for c in handed]}  # fmt: skip


def propose_action(ctx: TurnContext, action: str) -> dict:
    if action not in ACTIONS:
        raise ToolError(f"Unknown action; use one of {', '.join(sorted(ACTIONS))}.")
    ctx.new_actions.append(action)
    return {"proposed": action, "note": "Ask the owner to confirm; run confirm_action only after their yes."}


def confirm_action(ctx: TurnContext, action: str) -> dict:
    if action not in ctx.actions_shown:
        raise ToolError("That action was not proposed to the owner yet: propose it and wait for their yes.")
    attendant_pause_set(paused=action == "pause_attendant", actor=AURORA, now=ctx.now)
    return {"done": action}


def attendant_pause_set(*, paused: bool, actor: Actor, now) -> AgentSettings:
    """Pause (every customer message goes to a person) or resume the
    attendant; effective from the next customer message."""
    shop, _created = AgentSettings.objects.get_or_create(singleton=True)
    shop.attendant_paused_at = now if paused else None
    shop.save(update_fields=["attendant_paused_at"])
    audit_record(actor=actor, action="attendant.pause" if paused else "attendant.resume", target="attendant")
    return shop


def draft_campaign(
    ctx: TurnContext, name: str, text: str, inactive_days: int | None = None, species: str = "",
    last_service: str = "", vaccine_due_within_days: int | None = None, tag: str = "", daily_cap: int = 100,
    starts_at: str = "",
) -> dict:  # fmt: skip
    service = None
    if last_service:
        service = Service.objects.filter(name__icontains=last_service).order_by("pk").first()
        if service is None:
            raise ToolError(f"No service called {last_service!r}.")
    try:
        start = datetime.fromisoformat(starts_at).replace(tzinfo=shop_timezone()) if starts_at else None
    except ValueError as exc:
        raise ToolError("starts_at must be YYYY-MM-DDTHH:MM, shop time.") from exc
    try:
        campaign = campaign_draft_create(
            name=name, text=text, actor=AURORA, inactive_days=inactive_days, species=species, last_service=service,
            vaccine_due_within_days=vaccine_due_within_days, tag=tag, daily_cap=daily_cap, starts_at=start,
        )  # fmt: skip
    except CampaignError as exc:
        raise ToolError(str(exc)) from exc
    ctx.new_actions.append(launch_token(campaign))
    note = "Show the owner the sample and how many customers it reaches; launch only after their yes."
    return {"campaign_id": campaign.pk, **campaign_preview(campaign=campaign, now=ctx.now), "note": note}


def launch_token(campaign: Campaign) -> str:
    """What the owner confirms: this campaign as it is now (an edit makes a new revision)."""
    return f"launch_campaign:{campaign.pk}@{campaign.revision}"


def _campaign(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise ToolError("No campaign with that id.")
    return campaign


def launch_campaign(ctx: TurnContext, campaign_id: int) -> dict:
    campaign = _campaign(campaign_id)
    if launch_token(campaign) not in ctx.actions_shown:
        raise ToolError("This draft, as it is now, was not shown to the owner: show it and wait for their yes.")
    try:
        campaign = campaign_launch(campaign_id=campaign.pk, revision=campaign.revision, actor=AURORA, now=ctx.now)
    except CampaignError as exc:
        raise ToolError(str(exc)) from exc
    return campaign_progress(campaign=campaign)


def campaign_status(ctx: TurnContext, campaign_id: int | None = None) -> dict:
    campaigns = [_campaign(campaign_id)] if campaign_id else Campaign.objects.order_by("-created_at")[:3]
    return {"campaigns": [campaign_progress(campaign=campaign) for campaign in campaigns]}


def stop_campaign(ctx: TurnContext, campaign_id: int) -> dict:
    return _campaign_change(lambda: campaign_stop(campaign_id=_campaign(campaign_id).pk, actor=AURORA))


def resume_campaign(ctx: TurnContext, campaign_id: int) -> dict:
    return _campaign_change(lambda: campaign_resume(campaign_id=_campaign(campaign_id).pk, actor=AURORA, now=ctx.now))


def _campaign_change(change) -> dict:
    try:
        return campaign_progress(campaign=change())
    except CampaignError as exc:
        raise ToolError(str(exc)) from exc


_PERIOD = {"type": "string", "enum": list(PERIODS)}
_ACTION = {"type": "string", "enum": sorted(ACTIONS)}
AURORA_TOOLS = [
    Tool("business_figures", "The shop's figures for a period: messages, conversations (AI alone, handed over, "
         "human only), bookings by source, revenue, cancellations, no-shows, AI cost.",
         params({"period": _PERIOD, "day_from": DAY, "day_to": DAY}, ("period",)), business_figures),
    Tool("agenda", "The bookings of a day (today if no day).", params({"day": DAY}), agenda),
    Tool("inactive_customers", "Customers with no contact for N days.",
         params({"days": {"type": "integer"}}), inactive_customers),
    Tool("recent_handovers", "Conversations waiting on a person, newest first.",
         params({"limit": {"type": "integer"}}), recent_handovers),
    Tool("draft_campaign", "Draft a WhatsApp campaign for a segment (every condition given must hold; opted-out "
         "customers are never included). Text placeholders: {name}, {pet}, {shop}. Returns the recipients and a "
         "sample; the owner must confirm before launch_campaign.",
         params({"name": {"type": "string"}, "text": {"type": "string"},
                 "inactive_days": {"type": "integer", "description": "no contact for this many days"},
                 "species": {"type": "string", "enum": list(Species.values)},
                 "last_service": {"type": "string", "description": "name of the service of their last visit"},
                 "vaccine_due_within_days": {"type": "integer"}, "tag": {"type": "string"},
                 "daily_cap": {"type": "integer"},
                 "starts_at": {"type": "string", "description": "YYYY-MM-DDTHH:MM shop time; empty: at launch"}},
                ("name", "text")), draft_campaign),
    Tool("launch_campaign", "Launch a drafted campaign the owner confirmed, after it was shown in an earlier message.",
         params({"campaign_id": {"type": "integer"}}, ("campaign_id",)), launch_campaign),
    Tool("campaign_status", "Progress and results of a campaign (or the latest three): sent, delivered, read, "
         "replied, booked afterwards.", params({"campaign_id": {"type": "integer"}}), campaign_status),
    Tool("stop_campaign", "Stop sending a campaign.", params({"campaign_id": {"type": "integer"}}, ("campaign_id",)),
         stop_campaign),
    Tool("resume_campaign", "Resume a stopped campaign.",
         params({"campaign_id": {"type": "integer"}}, ("campaign_id",)), resume_campaign),
    Tool("propose_action", "Propose pausing or resuming the customer attendant (the owner must confirm).",
         params({"action": _ACTION}, ("action",)), propose_action),
    Tool("confirm_action", "Run an action the owner confirmed, after it was proposed in an earlier message.",
         params({"action": _ACTION}, ("action",)), confirm_action),
]  # fmt: skip
AURORA_TOOLS_BY_NAME = {tool.name: tool for tool in AURORA_TOOLS}
