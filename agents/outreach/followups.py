"""Follow-ups: a confirmation of a booking the team made, reminders before
an appointment (answered "sim" / "não" to confirm or cancel it), a note when
a vaccine is due, and a word after a visit.

Each run plans what the agenda calls for (one row per booking and start,
or vaccine and due day: inserting a row that exists is a no-op) and sends
the rows that are due, each locked while it is sent and marked sent in the
same transaction as its message, so a restart or a second worker never
sends one twice.
"""

from collections import Counter
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from bookings.availability import shop_timezone
from bookings.calendar import local_to_utc
from bookings.models import Booking
from bookings.selectors import vaccinations_current
from tenants.shop.selectors import shop_settings_current

from ..models import FollowUp, OutreachSettings
from .delivery import NotNow, Undeliverable, outreach_settings, proactive_send

# A booking made less than this before a reminder would be due gets none: the customer just booked.
REMINDER_MIN_LEAD = timedelta(hours=1)
# Found this late (the scheduler was down), a reminder is not sent: the next one will be.
REMINDER_PLAN_GRACE = timedelta(hours=1)
# A reminder not sent by then is dropped: the customer is on the way.
REMINDER_TOO_LATE = timedelta(minutes=15)
CONFIRM_BOOKINGS_CHANGED_WITHIN = timedelta(hours=12)
POST_VISIT_WITHIN = timedelta(days=2)
VACCINE_OVERDUE_GRACE = timedelta(days=7)
NO_CHANNEL_RETRY = timedelta(minutes=5)
SENDS_PER_RUN = 500
ACTIVE = Booking.ACTIVE_STATUSES


def followups_run(*, now: datetime | None = None) -> dict[str, int]:
    """Plan and send this shop's follow-ups; what happened, by outcome."""
    now = now or timezone.now()
    rules = outreach_settings()
    followups_plan(now=now, rules=rules)
    return followups_send_due(now=now, rules=rules)


def followups_plan(*, now: datetime, rules: OutreachSettings) -> None:
    rows = [*_confirmations(now, rules), *_reminders(now, rules), *_vaccines_due(now, rules), *_post_visits(now, rules)]
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)


def _booking_key(booking: Booking, suffix: str = "") -> str:
    return f"booking:{booking.pk}@{booking.start.isoformat()}{suffix}"


def _confirmations(now: datetime, rules: OutreachSettings) -> list[FollowUp]:
    if not rules.confirmations_enabled:
        return []
    # The attendant confirms its own bookings in the chat; the team's need a message.
    since = now - CONFIRM_BOOKINGS_CHANGED_WITHIN
    changed = Booking.objects.filter(status__in=ACTIVE, start__gt=now, updated_at__gte=since).exclude(source="ai")
    return [FollowUp(kind=FollowUp.Kind.CONFIRMATION, key=_booking_key(booking), customer_id=booking.customer_id,
                     booking=booking, due_at=booking.updated_at) for booking in changed]  # fmt: skip


def _reminders(now: datetime, rules: OutreachSettings) -> list[FollowUp]:
    if not rules.reminder_hours:
        return []
    horizon = now + timedelta(hours=max(rules.reminder_hours))
    upcoming = Booking.objects.filter(status__in=ACTIVE, start__gt=now, start__lte=horizon)
    return [
        FollowUp(kind=FollowUp.Kind.REMINDER, key=_booking_key(booking, f":{hours}h"), customer_id=booking.customer_id,
                 booking=booking, due_at=booking.start - timedelta(hours=hours))
        for booking in upcoming
        for hours in rules.reminder_hours
        if booking.start - timedelta(hours=hours) >= max(booking.created_at + REMINDER_MIN_LEAD,
                                                         now - REMINDER_PLAN_GRACE)
    ]  # fmt: skip


def _vaccines_due(now: datetime, rules: OutreachSettings) -> list[FollowUp]:
    if not rules.vaccine_reminders_enabled:
        return []
    tz = shop_timezone()
    today = timezone.localtime(now, tz).date()
    due = (
        vaccinations_current()
        .filter(due_on__gte=today, due_on__lte=today + timedelta(days=rules.vaccine_reminder_days))
        .select_related("pet")
    )
    return [FollowUp(kind=FollowUp.Kind.VACCINE_DUE, key=f"vaccination:{vaccination.pk}@{vaccination.due_on}",
                     customer_id=vaccination.pet.customer_id, vaccination=vaccination,
                     due_at=max(now, local_to_utc(vaccination.due_on - timedelta(days=rules.vaccine_reminder_days),
                                                  rules.window_start, tz) or now))
            for vaccination in due]  # fmt: skip


def _post_visits(now: datetime, rules: OutreachSettings) -> list[FollowUp]:
    if not rules.post_visit_enabled:
        return []
    visited = Booking.objects.filter(status=Booking.Status.COMPLETED, end__gte=now - POST_VISIT_WITHIN, end__lte=now)
    after = timedelta(hours=rules.post_visit_after_hours)
    return [FollowUp(kind=FollowUp.Kind.POST_VISIT, key=f"booking:{booking.pk}", customer_id=booking.customer_id,
                     booking=booking, due_at=booking.end + after) for booking in visited]  # fmt: skip


def followups_send_due(*, now: datetime, rules: OutreachSettings) -> dict[str, int]:
    outcomes: Counter[str] = Counter()
    due = FollowUp.objects.filter(status=FollowUp.Status.PENDING, due_at__lte=now)
    due_ids = list(due.order_by("due_at", "pk").values_list("pk", flat=True)[:SENDS_PER_RUN])
    with translation.override(shop_settings_current().language):
        for followup_id in due_ids:
            with transaction.atomic():
                # Another run may hold it, or have sent it since the list was read.
                followup = (
                    due.select_for_update(skip_locked=True, of=("self",))
                    .filter(pk=followup_id)
                    .select_related("booking__service", "booking__pet", "vaccination__pet")
                    .first()
                )
                if followup is not None:
                    outcomes[_followup_send(followup, now=now, rules=rules)] += 1
    return dict(outcomes)


def _followup_send(followup: FollowUp, *, now: datetime, rules: OutreachSettings) -> str:
    """Send one due follow-up, or skip or postpone it; returns its new state."""
    stale = _no_longer_wanted(followup, now=now)
    if stale:
        return _close(followup, FollowUp.Status.SKIPPED, stale)
    text, data = _text(followup)
    try:
        message = proactive_send(
            customer_id=followup.customer_id, text=text, purpose=followup.kind, now=now, rules=rules, data=data,
            marketing=followup.kind in {FollowUp.Kind.VACCINE_DUE, FollowUp.Kind.POST_VISIT},
        )  # fmt: skip
    except NotNow as exc:
        retry_at = exc.retry_at or now + NO_CHANNEL_RETRY
        if followup.kind == FollowUp.Kind.REMINDER and retry_at > followup.booking.start - REMINDER_TOO_LATE:
            return _close(followup, FollowUp.Status.SKIPPED, f"{exc.reason} until the appointment")
        followup.due_at, followup.reason = retry_at, exc.reason
        followup.save(update_fields=["due_at", "reason"])
        return "postponed"
    except Undeliverable as exc:
        return _close(followup, FollowUp.Status.FAILED, str(exc))
    followup.status, followup.message, followup.sent_at, followup.reason = FollowUp.Status.SENT, message, now, ""
    followup.save(update_fields=["status", "message", "sent_at", "reason"])
    return FollowUp.Status.SENT


def _close(followup: FollowUp, status: str, reason: str) -> str:
    followup.status, followup.reason = status, reason[:200]
    followup.save(update_fields=["status", "reason"])
    return status


def _no_longer_wanted(followup: FollowUp, *, now: datetime) -> str:
    """Why the follow-up should not go out any more ("" if it should)."""
    booking, Kind = followup.booking, FollowUp.Kind
    if followup.kind in {Kind.CONFIRMATION, Kind.REMINDER}:
        if booking.status not in ACTIVE or _booking_key(booking) not in followup.key:
            return "the booking was cancelled or moved"
        if booking.start - now < REMINDER_TOO_LATE:
            return "too close to the appointment"
    if followup.kind == Kind.REMINDER and FollowUp.objects.filter(
        kind=Kind.REMINDER, booking=booking, status=FollowUp.Status.PENDING, due_at__gt=followup.due_at,
        due_at__lte=now,
    ).exists():  # fmt: skip
        return "a later reminder is due too"
    if followup.kind == Kind.POST_VISIT and booking.status != Booking.Status.COMPLETED:
        return "the visit is no longer marked completed"
    if followup.kind == Kind.VACCINE_DUE:
        vaccination = followup.vaccination
        if not vaccinations_current().filter(pk=vaccination.pk).exists():
            return "the vaccine was given again"
        if timezone.localtime(now, shop_timezone()).date() > vaccination.due_on + VACCINE_OVERDUE_GRACE:
            return "long overdue"
    return ""


def _text(followup: FollowUp) -> tuple[str, dict]:
    """What the customer reads, and what the message remembers for the reply."""
    booking, Kind = followup.booking, FollowUp.Kind
    if followup.kind == Kind.VACCINE_DUE:
        vaccination = followup.vaccination
        return _("%(pet)s's %(vaccine)s vaccine is due on %(day)s. Shall we book it? Reply with a day that suits "
                 "you.") % {"pet": vaccination.pet.name, "vaccine": vaccination.vaccine,
                            "day": date_format(vaccination.due_on, "SHORT_DATE_FORMAT")}, {}  # fmt: skip
    service = f"{booking.service.name} ({booking.pet.name})" if booking.pet else booking.service.name
    what = {"service": service, "when": when(booking.start)}
    if followup.kind == Kind.POST_VISIT:
        return _("How did the %(service)s go? Tell us, we love to hear from you.") % what, {}
    if followup.kind == Kind.CONFIRMATION:
        return _("Booked: %(service)s on %(when)s. To change it, just reply here.") % what, {}
    data = {"asks": "confirm_booking", "booking": booking.pk}
    return _("Reminder: %(service)s on %(when)s. Reply YES to confirm or NO to cancel.") % what, data


def when(moment: datetime) -> str:
    local = timezone.localtime(moment, shop_timezone())
    day = date_format(local, "l, d/m")
    if translation.get_language().startswith("pt"):
        day = day.lower()  # weekdays are not capitalized mid-sentence in Portuguese
    return _("%(day)s at %(time)s") % {"day": day, "time": f"{local:%H:%M}"}
