"""Operational alerts of one shop: a WhatsApp number down, failed
background jobs piling up, the month's AI spend cap reached. Each is
recorded once per kind and key (the incident, or the cooldown period: a day
for failed jobs, a month for the cap), then sent to the shop's alert
e-mails and Slack-compatible webhook; the owner hears it over WhatsApp
through Aurora's owner notices (which already announce a number down)."""

import logging
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agents.owner_notices import channels_down, owner_notice_send
from analytics.selectors import ai_spend_cap_reached
from analytics.services import local_day
from oxy.schemas import on_commit_in_this_schema
from tenants.models import DeadLetter
from tenants.shop.selectors import shop_settings_current
from tenants.shop.services import Actor, audit_record

from ..addresses import private_address_error
from ..models import Alert, AlertSettings

logger = logging.getLogger(__name__)

SLACK_TIMEOUT_S = 5.0


def alert_settings() -> AlertSettings:
    return AlertSettings.objects.first() or AlertSettings()


@transaction.atomic
def alert_settings_update(*, emails: list[str], slack_webhook_url: str | None, actor: Actor) -> AlertSettings:
    """`slack_webhook_url`: None keeps the stored one, "" removes it."""
    current = alert_settings()
    current.emails = emails
    if slack_webhook_url is not None:
        current.slack_webhook_url = slack_webhook_url
    current.save()
    # The URL is a secret: the audit log says only whether there is one.
    audit_record(actor=actor, action="alerts.settings_changed",
                 data={"emails": emails, "slack": bool(current.slack_webhook_url)})  # fmt: skip
    return current


def alerts_check(*, now: datetime | None = None) -> list[str]:
    """Raise this shop's alerts that are due; the kinds raised."""
    now = now or timezone.now()
    with translation.override(shop_settings_current().language):
        due = [*_channels_down(now), *_dead_letters(now), *_ai_spend_cap(now)]
    raised = [kind for kind, key, text, owner in due if alert_raise(kind=kind, key=key, text=text, tell_owner=owner)]
    alerts_unsent_enqueue(now=now)
    return raised


Due = tuple[str, str, str, bool]  # kind, key, text, whether Oxy must tell the owner itself


def _channels_down(now: datetime) -> list[Due]:
    return [
        (Alert.Kind.CHANNEL_DOWN, f"channel-change:{change.pk}",
         _("The WhatsApp number %(name)s is disconnected (%(reason)s): customers get no answer on it.")
         % {"name": change.channel.name, "reason": change.reason or change.get_to_state_display()}, False)
        for change in channels_down(now=now)
    ]  # fmt: skip


def _dead_letters(now: datetime) -> list[Due]:
    # Support replays dead letters; those not replayed are still failures.
    count = DeadLetter.objects.filter(schema_name=connection.schema_name, replayed_at__isnull=True).count()
    if count < settings.OXY_ALERT_DEAD_LETTERS:
        return []
    text = _("%(count)s background jobs failed and were not retried: some automatic work (replies, reminders, "
             "sends) may not have happened. Oxy support has been told.") % {"count": count}  # fmt: skip
    return [(Alert.Kind.DEAD_LETTERS, local_day(now).isoformat(), text, True)]


def _ai_spend_cap(now: datetime) -> list[Due]:
    cap = ai_spend_cap_reached(now=now)
    if cap is None:
        return []
    text = _("The monthly AI spend cap (US$ %(cap)s) is reached: until next month or a higher cap, the simpler "
             "offline attendant answers customers.") % {"cap": cap}  # fmt: skip
    return [(Alert.Kind.AI_SPEND_CAP, f"{local_day(now):%Y-%m}", text, True)]


def alert_raise(*, kind: str, key: str, text: str, tell_owner: bool) -> Alert | None:
    """Record the alert (once per kind and key) and send it; None if it was raised before."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(kind=kind, key=key, text=text)
    except IntegrityError:
        return None  # raised before (or by a concurrent run)
    if tell_owner:
        owner_notice_send(kind=kind, key=key, text=text)
    on_commit_in_this_schema(lambda: _enqueue(alert.pk))
    return alert


def _enqueue(alert_id: int) -> None:
    from ..tasks import alert_deliver_task

    try:
        alert_deliver_task.delay(alert_id)
    except Exception:  # noqa: BLE001 - the alert is recorded; the next check sends what is unsent
        logger.warning("alert %s not queued (broker unavailable)", alert_id)


MAX_SEND_ATTEMPTS = 5


def alert_deliver(*, alert_id: int) -> str:
    """Send the alert to each destination it has not reached yet (a retry
    never repeats one that worked)."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update(skip_locked=True).filter(pk=alert_id, sent_at__isnull=True).first()
        if alert is None:
            return "skipped"  # sent, or being sent by another worker
        destinations = alert_settings()
        subject = _("Oxy alert: %(what)s") % {"what": alert.get_kind_display()}
        alert.attempts += 1
        alert.error = ""
        if destinations.emails and alert.emailed_at is None:
            alert.error = _email(subject, alert.text, destinations.emails)
            if not alert.error:
                alert.emailed_to, alert.emailed_at = len(destinations.emails), timezone.now()
        if destinations.slack_webhook_url and alert.slack_sent_at is None:
            slack_error = _slack_post(destinations.slack_webhook_url, f"*{subject}*\n{alert.text}")
            alert.error = "; ".join(filter(None, [alert.error, slack_error]))[:300]
            alert.slack_sent_at = None if slack_error else timezone.now()
        if not alert.error:
            alert.sent_at = timezone.now()
        alert.save(update_fields=["emailed_to", "emailed_at", "slack_sent_at", "attempts", "error", "sent_at"])
        return "sent" if alert.sent_at else "retrying"


def _email(subject: str, text: str, to: list[str]) -> str:
    try:
        send_mail(subject, text, None, to)
    except Exception as exc:  # noqa: BLE001 - any backend failure; retried by the next check
        return f"e-mail: {type(exc).__name__}"
    return ""


def _slack_post(url: str, text: str) -> str:
    """'' when sent, else why not (never the URL: it is the secret)."""
    if refused := private_address_error(url):
        return f"slack: {refused}"
    try:
        response = httpx.post(url, json={"text": text}, timeout=SLACK_TIMEOUT_S, follow_redirects=False)
    except httpx.HTTPError as exc:
        return f"slack: connection failed ({type(exc).__name__})"
    return "" if response.is_success else f"slack: HTTP {response.status_code}"


def alerts_unsent_enqueue(*, now: datetime | None = None) -> int:
    """Queue again the last day's alerts not yet sent everywhere (a
    destination was down, or the broker was), a few times at most."""
    now = now or timezone.now()
    unsent = Alert.objects.filter(sent_at__isnull=True, attempts__lt=MAX_SEND_ATTEMPTS,
                                  created_at__range=(now - timedelta(days=1), now - timedelta(minutes=1)))  # fmt: skip
    ids = list(unsent.values_list("pk", flat=True))
    for alert_id in ids:
        _enqueue(alert_id)
    return len(ids)
