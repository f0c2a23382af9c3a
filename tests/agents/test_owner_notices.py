"""Aurora's own messages to the owner: once a day at the shop's time, and
alerts only when a figure runs above its normal."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django_tenants.utils import tenant_context

from agents.models import AgentSettings, OwnerNotice
from agents.owner_notices import above_normal, owner_notices_due
from agents.tasks import owner_notices_all_tenants_task
from analytics.models import AnalyticsEvent
from analytics.services import event_record
from tenants.shop.models import OwnerNumber
from tests.agents.conftest import customer_says
from tests.fixtures.whatsapp import connected_sandbox_channel
from whatsapp.models import Channel, Message
from whatsapp.services.channels import channel_state_set

OWNER = "+5511944440000"
# 19:00 in São Paulo (UTC-3) is 22:00 UTC.
EVENING = datetime(2030, 3, 4, 22, 0, tzinfo=UTC)


@pytest.fixture
def owner(shop):
    OwnerNumber.objects.get_or_create(phone=OWNER)
    # The weekly report comes on Sundays here, so Monday's tests see the daily notices alone.
    AgentSettings.objects.create(weekly_report_weekday=6)
    return OWNER


def owner_messages() -> list[Message]:
    return list(Message.objects.filter(conversation__customer__phone=OWNER, sender_kind="bot").order_by("id"))


def test_the_daily_summary_goes_out_once_a_day_at_the_shops_time(shop, owner):
    customer_says(shop, "Oi, quanto custa o banho?", at=EVENING - timedelta(hours=5))

    assert owner_notices_due(now=datetime(2030, 3, 4, 19, 30, tzinfo=UTC)) == []  # 16:30 in the shop: not yet
    assert owner_notices_due(now=EVENING - timedelta(minutes=1)) == []
    assert owner_notices_due(now=EVENING) == [OwnerNotice.Kind.DAILY_SUMMARY]
    # Every minute after, and after the scheduler restarts: nothing more that day.
    assert owner_notices_due(now=EVENING + timedelta(minutes=1)) == []
    assert owner_notices_due(now=EVENING + timedelta(hours=1, minutes=59)) == []  # 22:59 local, same day

    (summary,) = owner_messages()
    assert summary.text.startswith("Resumo diário da Aurora.")
    assert "1 conversas" in summary.text
    assert summary.data == {"notice": "daily_summary"}
    assert summary.conversation.channel == shop

    assert owner_notices_due(now=EVENING + timedelta(days=1)) == [OwnerNotice.Kind.DAILY_SUMMARY]
    assert len(owner_messages()) == 2


def test_the_scheduled_task_sends_each_shops_summary_in_that_shop(alpha, beta, shop, owner):
    with time_machine.travel(EVENING, tick=False):
        result = owner_notices_all_tenants_task.apply().get()
        again = owner_notices_all_tenants_task.apply().get()

    assert result["alpha"] == ["daily_summary"]
    assert again == {}
    with tenant_context(alpha):  # the provisioned owner's number and the second one
        assert OwnerNotice.objects.get().sent_to == OwnerNumber.objects.count() == 2
    with tenant_context(beta):  # beta's own notice: recorded there, sent to nobody (no connected number)
        notice = OwnerNotice.objects.get(kind="daily_summary")
        assert notice.sent_to == 0
        assert not Message.objects.exists()


def test_a_shop_that_turned_the_summary_off_gets_none(shop, owner):
    AgentSettings.objects.update(daily_summary_enabled=False, daily_summary_at=time(8, 0))

    assert owner_notices_due(now=EVENING) == []
    assert owner_messages() == []


def _no_shows(per_day: dict[date, int]) -> None:
    for day, count in per_day.items():
        for n in range(count):
            moment = datetime.combine(day, time(15, 0), tzinfo=UTC)
            event_record(kind=AnalyticsEvent.Kind.BOOKING_NO_SHOW, dedupe_key=f"ns:{day}:{n}", occurred_at=moment)


def test_the_no_show_alert_fires_above_the_last_four_weeks_normal_and_not_below(shop, owner):
    today = date(2030, 3, 4)
    _no_shows({today - timedelta(days=7 * week + 10): 1 for week in range(4)})  # one a week before
    _no_shows({today - timedelta(days=1): 2})
    assert above_normal(AnalyticsEvent.Kind.BOOKING_NO_SHOW, today=today) == (None, 1.0)
    assert owner_notices_due(now=EVENING) == [OwnerNotice.Kind.DAILY_SUMMARY]

    _no_shows({today: 1, today - timedelta(days=3): 1})  # four this week
    assert owner_notices_due(now=EVENING + timedelta(days=1)) == [
        OwnerNotice.Kind.DAILY_SUMMARY,
        OwnerNotice.Kind.NO_SHOW_ALERT,
    ]
    alert = owner_messages()[-1]
    assert alert.text == "Atenção: 4 faltas nos últimos 7 dias; uma semana comum tem 1."
    assert owner_notices_due(now=EVENING + timedelta(days=1, minutes=5)) == []  # once


def test_the_weekly_report_comes_on_its_weekday_with_last_weeks_figures(shop, owner):
    AgentSettings.objects.update(weekly_report_weekday=0)  # Mondays
    customer_says(shop, "Oi", at=EVENING - timedelta(days=3))  # Friday of last week

    assert owner_notices_due(now=EVENING) == [OwnerNotice.Kind.DAILY_SUMMARY, OwnerNotice.Kind.WEEKLY_REPORT]
    assert owner_notices_due(now=EVENING + timedelta(days=1)) == [OwnerNotice.Kind.DAILY_SUMMARY]  # Tuesday

    report = OwnerNotice.objects.get(kind="weekly_report")
    assert report.key == "2030-02-25"
    assert report.text.startswith("Relatório semanal da Aurora.\nDe 25/02/2030 a 03/03/2030: 1 conversas")
    assert "A semana anterior: 0 agendamentos" in report.text


def test_the_booking_goal_note_comes_once_the_month_reaches_it(shop, owner):
    AgentSettings.objects.update(monthly_booking_goal=2)
    morning = EVENING - timedelta(hours=10)
    event_record(kind=AnalyticsEvent.Kind.BOOKING_CREATED, dedupe_key="b1", occurred_at=morning)
    assert owner_notices_due(now=morning) == []
    event_record(kind=AnalyticsEvent.Kind.BOOKING_CREATED, dedupe_key="b2", occurred_at=morning)

    assert owner_notices_due(now=morning) == [OwnerNotice.Kind.BOOKING_GOAL]  # at once, not at summary time
    assert owner_notices_due(now=morning + timedelta(days=2)) == []  # once a month
    assert "Meta atingida: 2 agendamentos neste mês" in owner_messages()[-1].text


def test_a_number_that_disconnects_is_announced_once_on_another_connected_number(shop, owner):
    backup, _route = connected_sandbox_channel("Reserva")
    with time_machine.travel(EVENING - timedelta(hours=10), tick=False):
        channel_state_set(channel=shop, state=Channel.State.LOGGED_OUT, reason="logged out on the phone")
        assert owner_notices_due(now=EVENING - timedelta(hours=10)) == [OwnerNotice.Kind.CHANNEL_ALERT]
        assert owner_notices_due(now=EVENING - timedelta(hours=10)) == []

    (alert,) = owner_messages()
    assert alert.text.startswith("Seu número de WhatsApp Balcão está desconectado (logged out on the phone)")
    assert alert.conversation.channel == backup
