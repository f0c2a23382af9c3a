"""Aurora: the owner's agent on WhatsApp. She answers only the shop's owner
numbers (the sender's number as the provider gave it), with the owner's
tools; when the LLM cannot answer, a keyword reader covers the same tools."""

import re
import unicodedata
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from bookings.availability import shop_timezone

from . import llm
from .attendant import TurnOutcome, history_messages, tools_loop
from .aurora_tools import (
    AURORA_TOOLS,
    AURORA_TOOLS_BY_NAME,
    agenda,
    business_figures,
    inactive_customers,
    launch_token,
    propose_action,
    recent_handovers,
)
from .models import Campaign
from .offline.parser import parse_message
from .outreach.selectors import campaign_preview, campaign_progress
from .tools import TurnContext, tool_run

PROMPT = """You are Aurora, the business partner of the owner of {shop}, a pet shop / vet clinic, on WhatsApp.
Answer in the owner's language (Brazilian Portuguese unless they write in another), short and clear, \
with the numbers the tools give (never invent or estimate a figure; say when a figure is not available).
To pause or resume the customer attendant: call propose_action, ask the owner to confirm, and call \
confirm_action only when the owner says yes in a later message. A campaign is drafted with draft_campaign, \
shown to the owner (sample and number of customers) and launched with launch_campaign only after their yes.
Now: {now} (shop time)."""


def owner_turn(*, ctx: TurnContext, config: llm.LlmConfig) -> TurnOutcome:
    """Raises LlmUnavailable."""
    now = timezone.localtime(ctx.now, shop_timezone())
    prompt = PROMPT.format(shop=connection.tenant.name, now=f"{now:%A %Y-%m-%d %H:%M}")
    messages = [{"role": "system", "content": prompt}, *history_messages(ctx)]
    return tools_loop(config=config, messages=messages, tools=AURORA_TOOLS,
                      run=lambda name, arguments: tool_run(ctx, name, arguments, AURORA_TOOLS_BY_NAME))  # fmt: skip


# -- offline ------------------------------------------------------------------

_PERIOD_WORDS = [
    ("yesterday", r"\b(ontem|yesterday)\b"),
    ("last_month", r"\b(mes passado|last month)\b"),
    ("this_week", r"\b(semana|week)\b"),
    ("this_month", r"\b(mes|month)\b"),
    ("this_year", r"\b(ano|year)\b"),
    ("today", r"\b(hoje|today)\b"),
]
_YES = r"^(sim|s|confirmo|confirmar|pode|isso|ok|yes|y|confirm)\b"


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def offline_owner_turn(*, ctx: TurnContext) -> TurnOutcome:
    """The common owner questions without an LLM: figures for a period, the
    agenda, inactive customers, hand-overs, pausing and resuming."""
    words = _plain(ctx.unanswered_words)
    english = re.search(r"\b(how|what|show|pause|resume|today|week|month|campaigns?|launch|stop)\b", words)
    with translation.override("en" if english else "pt-br"):
        return TurnOutcome(text=_offline_answer(ctx, words))


def _offline_answer(ctx: TurnContext, words: str) -> str:
    action = _just_proposed(ctx)
    if action and action.startswith("launch_campaign:") and re.search(_YES, words):
        campaign_id = int(action.split(":")[1].split("@")[0])
        result = tool_run(ctx, "launch_campaign", {"campaign_id": campaign_id}, AURORA_TOOLS_BY_NAME)
        return result.get("error") or _("Launched: %(name)s, to %(total)s customers.") % result
    if action and re.search(_YES, words):
        tool_run(ctx, "confirm_action", {"action": action}, AURORA_TOOLS_BY_NAME)
        return _("Done: the attendant is paused.") if action == "pause_attendant" else _("Done: the attendant is back.")
    if re.search(r"\b(campanhas?|campaigns?)\b", words):
        return _campaign_answer(ctx, words)
    if re.search(r"\b(paus\w*|desliga\w*|pause)\b", words):
        propose_action(ctx, "pause_attendant")
        return _("Pause the attendant? Every customer message will go to your team until you resume it. Reply YES.")
    if re.search(r"\b(retom\w*|religa\w*|volt\w*|resume)\b", words):
        propose_action(ctx, "resume_attendant")
        return _("Resume the attendant? It will answer customers again. Reply YES.")
    if "agenda" in words or "schedule" in words:
        parsed = parse_message(ctx.unanswered_words, now=timezone.localtime(ctx.now, shop_timezone()))
        return _agenda_text(agenda(ctx, day=parsed.day.isoformat() if parsed.day else ""))
    if re.search(r"\binativ\w*|\binactive\b|sumid\w*", words):
        found = inactive_customers(ctx, days=60)
        return _("%(count)s customers have not been in touch for %(days)s days.") % found
    if re.search(r"\b(transfer\w*|handover\w*|hand-over\w*|esperando|waiting)\b", words):
        return _handovers_text(recent_handovers(ctx))
    for period, pattern in _PERIOD_WORDS:
        if re.search(pattern, words):
            return figures_text(business_figures(ctx, period=period))
    return _(
        "I can tell you the figures (today, this week, this month), the agenda, inactive customers, the "
        "conversations waiting for your team and how the campaigns are doing, launch, stop or resume a campaign, "
        "and pause or resume the attendant. What would you like?"
    )


def _campaign_answer(ctx: TurnContext, words: str) -> str:
    """Launch a draft (after a yes), stop, resume, or say how the campaigns are doing."""
    number = re.search(r"\d+", words)
    chosen = {"pk": int(number[0])} if number else {}
    for pattern, status in [(r"\b(lanc\w*|dispar\w*|launch\w*|send)\b", Campaign.Status.DRAFT),
                            (r"\b(par\w*|stop\w*)\b", Campaign.Status.RUNNING),
                            (r"\b(retom\w*|continu\w*|resume\w*)\b", Campaign.Status.STOPPED)]:  # fmt: skip
        if not re.search(pattern, words):
            continue
        campaign = Campaign.objects.filter(status=status, **chosen).order_by("-created_at").first()
        if campaign is None:
            return _("No %(status)s campaign to do that with.") % {"status": Campaign.Status(status).label}
        if status == Campaign.Status.DRAFT:
            preview = campaign_preview(campaign=campaign, now=ctx.now)
            ctx.new_actions.append(launch_token(campaign))
            question = _(
                'Launch "%(name)s" to %(count)s customers? For example, they will read:\n%(sample)s\nReply YES.'
            )
            return question % {"name": campaign.name, "count": preview["recipients"], "sample": preview["sample"]}
        tool = "stop_campaign" if status == Campaign.Status.RUNNING else "resume_campaign"
        result = tool_run(ctx, tool, {"campaign_id": campaign.pk}, AURORA_TOOLS_BY_NAME)
        return result.get("error") or _campaigns_text([result])
    campaigns = Campaign.objects.filter(**chosen).order_by("-created_at")[:3]
    if not campaigns:
        return _("No campaign %(number)s.") % {"number": chosen["pk"]} if chosen else _("No campaigns yet.")
    return _campaigns_text([campaign_progress(campaign=campaign) for campaign in campaigns])


def _campaigns_text(campaigns: list[dict]) -> str:
    return "\n".join(
        _("%(name)s (%(campaign)s): %(status_label)s, %(sent)s of %(total)s sent, %(delivered)s delivered, %(read)s "
          "read, %(replied)s replied, %(booked)s booked afterwards.")
        % (c | {"status_label": Campaign.Status(c["status"]).label}) for c in campaigns
    )  # fmt: skip


def _just_proposed(ctx: TurnContext) -> str | None:
    """The action Aurora's last message proposed, if it proposed one."""
    said = next((m for m in ctx.recent if m.direction == m.Direction.OUTBOUND and m.sender_kind == "bot"), None)
    actions = said.data.get("actions", []) if said else []
    return actions[-1] if actions else None


def figures_text(figures: dict) -> str:
    conversations, bookings, ai = figures["conversations"], figures["bookings"], figures["ai"]
    period = figures["period"]
    return _(
        "From %(start)s to %(end)s: %(started)s conversations (%(ai_alone)s by the AI alone, %(handed_over)s handed "
        "to your team), %(made)s bookings, R$ %(booked)s booked and R$ %(completed)s completed, %(cancelled)s "
        "cancellations, %(no_shows)s no-shows. AI cost: US$ %(cost)s."
    ) % {
        "start": _day(period["start"]), "end": _day(period["end"]), "started": conversations["started"],
        "ai_alone": conversations["ai_alone"], "handed_over": conversations["handed_over"], "made": bookings["made"],
        "booked": money(bookings["revenue_booked"]), "completed": money(bookings["revenue_completed"]),
        "cancelled": bookings["cancelled"], "no_shows": bookings["no_shows"], "cost": money(ai["cost"]),
    }  # fmt: skip


def money(amount: str) -> str:
    return number_format(Decimal(amount), decimal_pos=2, force_grouping=True)


def _day(iso: str) -> str:
    return date_format(date.fromisoformat(iso), "SHORT_DATE_FORMAT")


def _agenda_text(found: dict) -> str:
    if not found["bookings"]:
        return _("No bookings on %(day)s.") % {"day": _day(found["day"])}
    lines = [f"{b['time']} {b['service']} - {b['pet'] or b['customer']}" for b in found["bookings"]]
    return _("Agenda for %(day)s:") % {"day": _day(found["day"])} + "\n" + "\n".join(lines)


def _handovers_text(found: dict) -> str:
    if not found["handovers"]:
        return _("No conversation is waiting for your team.")
    lines = [f"{h['customer']}: {h['reason']} ({h['since']})" for h in found["handovers"]]
    return _("Waiting for your team:") + "\n" + "\n".join(lines)
