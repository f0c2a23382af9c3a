"""Alerts: a number down, failed jobs piling up, the AI spend cap reached.
Each is raised once per incident or cooldown, e-mailed to the shop's alert
addresses and posted to its Slack-compatible webhook; the owner hears it
over WhatsApp through Aurora's owner notices, never twice."""

from decimal import Decimal

from django.core import mail
from django.db import connection

from agents.models import AgentSettings, OwnerNotice
from tenants.integrations.models import Alert, AlertSettings
from tenants.integrations.services.alerts import alert_deliver, alert_settings_update, alerts_check
from tenants.models import DeadLetter
from tests.fixtures.bookings import STAFF
from tests.fixtures.whatsapp import connected_sandbox_channel
from whatsapp.models import Channel
from whatsapp.services.channels import channel_state_set


def _cap_reached() -> None:
    AgentSettings.objects.update_or_create(defaults={"monthly_cap_usd": Decimal("0")})


def test_an_alert_reaches_the_emails_and_slack_once(agenda, slack):
    alert_settings_update(emails=["ops@alpha.test", "owner@alpha.test"], slack_webhook_url=slack.url, actor=STAFF)
    _cap_reached()

    assert alerts_check() == ["ai_spend_cap"]
    assert alerts_check() == []  # the same month: already raised
    alert = Alert.objects.get()
    assert alert_deliver(alert_id=alert.pk) == "sent"
    assert alert_deliver(alert_id=alert.pk) == "skipped"

    (email,) = mail.outbox
    assert email.to == ["ops@alpha.test", "owner@alpha.test"]
    assert "US$ 0" in email.body
    (posted,) = slack.requests
    assert alert.text in posted.json["text"]
    assert OwnerNotice.objects.filter(kind="ai_spend_cap").count() == 1  # the owner's WhatsApp notice


def test_a_slack_outage_is_retried_without_emailing_twice(agenda, slack):
    alert_settings_update(emails=["ops@alpha.test"], slack_webhook_url=slack.url, actor=STAFF)
    _cap_reached()
    alerts_check()
    alert = Alert.objects.get()
    slack.fail_next(status=503)

    assert alert_deliver(alert_id=alert.pk) == "retrying"
    alert.refresh_from_db()
    assert alert.error == "slack: HTTP 503"
    assert slack.url not in alert.error
    assert alert_deliver(alert_id=alert.pk) == "sent"

    assert len(mail.outbox) == 1
    assert [r.response_status for r in slack.requests] == [503, 200]


def test_the_slack_url_is_encrypted_and_kept_when_the_form_leaves_it_empty(agenda, slack):
    alert_settings_update(emails=[], slack_webhook_url=slack.url, actor=STAFF)
    alert_settings_update(emails=["ops@alpha.test"], slack_webhook_url=None, actor=STAFF)

    assert AlertSettings.objects.get().slack_webhook_url == slack.url
    with connection.cursor() as cursor:
        cursor.execute("SELECT slack_webhook_url FROM integrations_alertsettings")
        assert "secret-token" not in cursor.fetchone()[0]


def test_failed_jobs_over_the_threshold_raise_one_alert_a_day(agenda, settings):
    settings.OXY_ALERT_DEAD_LETTERS = 3
    for n in range(3):
        DeadLetter.objects.create(task_id=f"t{n}", task_name="agents.reply", schema_name="shop_beta", exception="x")
    assert alerts_check() == []  # beta's failures are not alpha's

    for n in range(3):
        DeadLetter.objects.create(task_id=f"a{n}", task_name="agents.reply", schema_name=agenda.schema_name,
                                  exception="x")  # fmt: skip
    assert alerts_check() == ["dead_letters"]
    assert alerts_check() == []
    assert OwnerNotice.objects.filter(kind="dead_letters").count() == 1


def test_a_number_down_is_alerted_once_and_the_owner_hears_it_only_from_aurora(agenda):
    channel, _route = connected_sandbox_channel("Loja")
    channel_state_set(channel=channel, state=Channel.State.LOGGED_OUT, reason="logged out")
    alert_settings_update(emails=["ops@alpha.test"], slack_webhook_url=None, actor=STAFF)

    assert alerts_check() == ["channel_down"]
    assert alerts_check() == []
    alert_deliver(alert_id=Alert.objects.get().pk)

    assert "Loja" in mail.outbox[0].body
    assert not OwnerNotice.objects.filter(kind="channel_down").exists()  # owner_notices sends its channel alert
