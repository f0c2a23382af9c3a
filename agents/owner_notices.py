"""What Aurora tells the owner on her own: a daily summary and, on the
chosen weekday, last week's report at the shop's chosen time; alerts when
no-shows or cancellations run above the last four weeks' normal; a note
when the month's bookings reach the goal; an alert when a WhatsApp number
disconnects. Each notice is recorded once per kind and key (the day, the
week, the month, the disconnection), so a scheduler that runs every minute,
restarts or runs late sends it once."""

import logging
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from analytics.models import AnalyticsEvent
from analytics.selectors import rollup_totals
from bookings.availability import shop_timezone
from bookings.services import customer_get_or_create
from oxy.realtime import dashboard_event_send
from oxy.schemas import on_commit_in_this_schema
from tenants.shop.models import OwnerNumber
from tenants.shop.selectors import shop_settings_current
from whatsapp.models import Channel, ChannelStateChange
from whatsapp.services.outbound import SendRefused, message_outbound_create

from .aurora import figures_text, money
from .aurora_tools import AURORA, period_figures
from .models import AgentSettings, OwnerNotice
from .outreach.delivery import NotNow, Undeliverable, conversation_to_reach

logger = logging.getLogger(__name__)

BASELINE_WEEKS = 4
# Above normal: half as many again as a usual week, and at least two more.
ALERT_FACTOR, ALERT_MARGIN = 1.5, 2


def owner_notices_due(*, now: datetime | None = None) -> list[str]:
    """Send this shop's notices that are due; the kinds sent."""
    now = now or timezone.now()
    shop = AgentSettings.objects.first() or AgentSettings()
    local = timezone.localtime(now, shop_timezone())
    day = local.date()
    with translation.override(shop_settings_current().language):
        due = [*_channel_alerts(shop, now=now), *_booking_goal(shop, day=day, now=now)]
        if local.time() >= shop.daily_summary_at:  # the day's notices go out together, at the owner's chosen time
            due += [*_daily_notices(shop, day=day, now=now), *_weekly_report(shop, day=day, now=now)]
    return [kind for kind, key, text in due if owner_notice_send(kind=kind, key=key, text=text)]


Notice = tuple[str, str, str]  # kind, key, text


def _sent(kind: str, key: str) -> bool:
    return OwnerNotice.objects.filter(kind=kind, key=key).exists()


def _daily_notices(shop: AgentSettings, *, day: date, now: datetime) -> list[Notice]:
    key, due = day.isoformat(), []
    if shop.daily_summary_enabled and not _sent(OwnerNotice.Kind.DAILY_SUMMARY, key):
        figures = period_figures(start=day, end=day, now=now)
        due.append((OwnerNotice.Kind.DAILY_SUMMARY, key, _("Aurora's daily summary.") + "\n" + figures_text(figures)))
    for kind, event, what in [
        (OwnerNotice.Kind.NO_SHOW_ALERT, AnalyticsEvent.Kind.BOOKING_NO_SHOW, _("no-shows")),
        (OwnerNotice.Kind.CANCELLATION_ALERT, AnalyticsEvent.Kind.BOOKING_CANCELLED, _("cancellations")),
    ]:
        if not shop.alerts_enabled or _sent(kind, key):
            continue
        last_week, normal = above_normal(event, today=day)
        if last_week is not None:
            due.append((kind, key, _("Heads up: %(count)s %(what)s in the last 7 days; a usual week has %(normal)s.")
                        % {"count": last_week, "what": what, "normal": f"{normal:g}"}))  # fmt: skip
    return due


def _weekly_report(shop: AgentSettings, *, day: date, now: datetime) -> list[Notice]:
    """On the chosen weekday: the seven days before it, beside the seven before those."""
    start = day - timedelta(days=7)
    key = start.isoformat()
    if not shop.weekly_report_enabled or day.weekday() != shop.weekly_report_weekday:
        return []
    if _sent(OwnerNotice.Kind.WEEKLY_REPORT, key):
        return []
    week = period_figures(start=start, end=day - timedelta(days=1), now=now)
    before = period_figures(start=start - timedelta(days=7), end=start - timedelta(days=1), now=now)["bookings"]
    text = "\n".join([
        _("Aurora's weekly report."), figures_text(week),
        _("The week before: %(made)s bookings, R$ %(booked)s booked.") % {
            "made": before["made"], "booked": money(before["revenue_booked"])},
    ])  # fmt: skip
    return [(OwnerNotice.Kind.WEEKLY_REPORT, key, text)]


def _booking_goal(shop: AgentSettings, *, day: date, now: datetime) -> list[Notice]:
    key = f"{day:%Y-%m}"
    if not shop.monthly_booking_goal or _sent(OwnerNotice.Kind.BOOKING_GOAL, key):
        return []
    made = rollup_totals(start=day.replace(day=1), end=day).count(AnalyticsEvent.Kind.BOOKING_CREATED)
    if made < shop.monthly_booking_goal:
        return []
    text = _("Goal reached: %(made)s bookings this month (the goal was %(goal)s). Congratulations!") % {
        "made": made, "goal": shop.monthly_booking_goal}  # fmt: skip
    return [(OwnerNotice.Kind.BOOKING_GOAL, key, text)]


# A disconnection older than this when first seen (Oxy was down) is not announced any more.
CHANNEL_ALERT_WITHIN = timedelta(hours=6)
DISCONNECTED = (Channel.State.LOGGED_OUT, Channel.State.FAILED)


def channels_down(*, now: datetime) -> QuerySet[ChannelStateChange]:
    """The recent disconnections whose number is still down (Aurora's notice and the shop's alert)."""
    return ChannelStateChange.objects.filter(
        to_state__in=DISCONNECTED, channel__state__in=DISCONNECTED, created_at__gte=now - CHANNEL_ALERT_WITHIN
    ).select_related("channel")


def _channel_alerts(shop: AgentSettings, *, now: datetime) -> list[Notice]:
    """A number that logged out or failed, and is still down."""
    if not shop.channel_alerts_enabled:
        return []
    return [
        (OwnerNotice.Kind.CHANNEL_ALERT, f"channel-change:{change.pk}",
         _("Your WhatsApp number %(name)s is disconnected (%(reason)s): customers get no answer on it. Reconnect it "
           "in the dashboard, under WhatsApp.") % {"name": change.channel.name,
                                                    "reason": change.reason or change.get_to_state_display()})
        for change in channels_down(now=now)
        if not _sent(OwnerNotice.Kind.CHANNEL_ALERT, f"channel-change:{change.pk}")
    ]  # fmt: skip


def above_normal(event: str, *, today) -> tuple[int | None, float]:
    """(the last 7 days' count if above the previous four weeks' weekly
    average by the alert's margin, else None; that average)"""
    week_start = today - timedelta(days=6)
    last_week = rollup_totals(start=week_start, end=today).count(event)
    before = rollup_totals(start=week_start - timedelta(weeks=BASELINE_WEEKS), end=week_start - timedelta(days=1))
    normal = before.count(event) / BASELINE_WEEKS
    above = last_week > normal * ALERT_FACTOR and last_week - normal >= ALERT_MARGIN
    return (last_week if above else None), normal


def owner_notice_send(*, kind: str, key: str, text: str) -> OwnerNotice | None:
    """Record the notice (once per kind and key) and send it to every owner
    number over the shop's first connected channel; None if it was sent
    before."""
    try:
        with transaction.atomic():
            notice = OwnerNotice.objects.create(kind=kind, key=key, text=text)
            notice.sent_to = _send_to_owners(notice)
            notice.save(update_fields=["sent_to"])
    except IntegrityError:
        return None  # already sent (or being sent by a concurrent run)
    on_commit_in_this_schema(lambda: _announce(notice))
    return notice


def _send_to_owners(notice: OwnerNotice) -> int:
    """Over each owner's latest conversation on a connected number (else the shop's first connected number)."""
    sent = 0
    for number in OwnerNumber.objects.order_by("pk"):
        owner, _created = customer_get_or_create(phone=number.phone, actor=AURORA, name=number.label)
        try:
            message_outbound_create(conversation=conversation_to_reach(owner), text=notice.text, sender_kind="bot",
                                    data={"notice": notice.kind})  # fmt: skip
            sent += 1
        except (NotNow, Undeliverable, SendRefused) as exc:
            logger.warning("owner notice %s not sent to %s: %s", notice.pk, number.pk, exc)
    return sent


def _announce(notice: OwnerNotice) -> None:
    try:
        dashboard_event_send(event="aurora.notice", data={"kind": notice.kind, "text": notice.text})
    except Exception:  # noqa: BLE001 - the notice is saved and sent; the dashboard shows it on reload
        logger.warning("dashboard event for owner notice %s not sent", notice.pk)
