"""Every figure against a small hand-built history whose right answers are
known: hand-overs, a person answering alone, a conversation after a day of
silence, a message at 23:30 (a São Paulo day, not a UTC one), bookings from
conversations and their fate."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django_tenants.utils import tenant_context

from agents.models import AgentSettings
from analytics.models import AnalyticsEvent, ConversationRecord, DailyMetric
from analytics.selectors import series, shop_summary
from analytics.services import ai_call_record, conversation_handover_record
from bookings.models import Customer, Pet
from bookings.services import booking_cancel, booking_complete, booking_mark_no_show, customer_merge
from tenants.shop.services import Actor
from tests.conftest import ALPHA, login
from tests.fixtures.shop_days import ShopDays, sao_paulo
from tests.fixtures.whatsapp import connected_sandbox_channel
from whatsapp.identity import conversations_merge
from whatsapp.models import Conversation

STAFF = Actor("staff", "ana@alpha.test")
AI = Actor("ai", "attendant")
MONDAY, TUESDAY, WEDNESDAY = date(2030, 3, 4), date(2030, 3, 5), date(2030, 3, 6)


def pet_of(customer: Customer) -> Pet:
    return Pet.objects.get_or_create(customer=customer, name="Thor", defaults={"species": "dog", "size": "M"})[0]


@pytest.fixture
def history(shop):
    """Monday: Ana is answered by the AI in 20 s, handed over at 09:06, a
    person answers at 09:10 (240 s after the hand-over) and books a bath.
    Bia writes at 23:30 (Tuesday in UTC) and a person answers alone in 60 s.
    Tuesday: Caio is answered by the AI in 10 s. Wednesday, 25 hours later,
    Caio writes again (a new conversation) and the AI answers in 30 s."""
    ana = shop.customer_writes(sao_paulo(MONDAY, "09:00"), "+5511911110001", name="Ana")
    shop.answer(sao_paulo(MONDAY, "09:00:20"), ana, "bot")
    shop.customer_writes(sao_paulo(MONDAY, "09:05"), "+5511911110001", "Quero falar com alguém")
    shop.hand_over(sao_paulo(MONDAY, "09:06"), ana)
    shop.answer(sao_paulo(MONDAY, "09:10"), ana, "staff")
    booking = shop.book(sao_paulo(MONDAY, "09:12"), pet_of(ana.customer), start=sao_paulo(WEDNESDAY, "10:00"))

    bia = shop.customer_writes(sao_paulo(MONDAY, "23:30"), "+5511911110002", name="Bia")
    shop.answer(sao_paulo(MONDAY, "23:31"), bia, "staff")

    caio = shop.customer_writes(sao_paulo(TUESDAY, "10:00"), "+5511911110003", name="Caio")
    shop.answer(sao_paulo(TUESDAY, "10:00:10"), caio, "bot")
    shop.customer_writes(sao_paulo(WEDNESDAY, "11:00"), "+5511911110003", "De novo eu")
    shop.answer(sao_paulo(WEDNESDAY, "11:00:30"), caio, "bot")
    return booking


def test_monday_counts_who_handled_each_conversation_and_how_fast(history):
    monday = shop_summary(start=MONDAY, end=MONDAY)["conversations"]

    assert monday["started"] == 2  # Ana, and Bia at 23:30 São Paulo time
    assert (monday["ai_alone"], monday["handed_over"], monday["human_only"]) == (0, 1, 1)
    assert monday["first_response_ai_s"] == 20.0
    # a person's clock starts at the hand-over: (240 s for Ana + 60 s for Bia) / 2
    assert monday["first_response_human_s"] == 150.0
    assert (monday["converted"], monday["conversion_rate"]) == (1, 0.5)


def test_a_conversation_after_a_day_of_silence_is_a_new_one(history):
    week = shop_summary(start=MONDAY, end=WEDNESDAY)["conversations"]

    assert week["started"] == 4
    assert week["ai_alone"] == 2  # Caio twice
    assert week["first_response_ai_s"] == 20.0  # (20 + 10 + 30) / 3
    assert ConversationRecord.objects.filter(conversation__customer__name="Caio").count() == 2


def test_messages_count_on_the_shops_day_by_channel_and_sender(history, shop):
    monday = shop_summary(start=MONDAY, end=MONDAY)["messages"]
    tuesday = shop_summary(start=TUESDAY, end=TUESDAY)["messages"]

    channel = str(shop.channel.pk)
    assert (monday["in"], monday["out"]) == (3, 3)
    assert monday["in_by_channel"] == {channel: 3}
    assert monday["out_by_sender"] == {"bot": 1, "staff": 2}
    assert (tuesday["in"], tuesday["out"]) == (1, 1)
    by_day = series(start=MONDAY, end=date(2030, 3, 7), metric="message_in")
    assert [point["count"] for point in by_day] == [3, 1, 1, 0]


def test_bookings_revenue_cancellations_and_no_shows(history, shop):
    booking = history
    ana = booking.customer
    with time_machine.travel(sao_paulo(WEDNESDAY, "11:30"), tick=False):
        booking_complete(booking=booking, actor=STAFF, now=sao_paulo(WEDNESDAY, "11:30"))
    second = shop.book(sao_paulo(TUESDAY, "08:00"), pet_of(ana), start=sao_paulo(WEDNESDAY, "14:00"), actor=AI)
    third = shop.book(sao_paulo(TUESDAY, "08:05"), pet_of(ana), start=sao_paulo(WEDNESDAY, "16:00"), actor=AI)
    with time_machine.travel(sao_paulo(WEDNESDAY, "17:00"), tick=False):
        booking_mark_no_show(booking=second, actor=STAFF, now=sao_paulo(WEDNESDAY, "17:00"))
        booking_cancel(booking=third, reason="viagem", actor=STAFF, now=sao_paulo(WEDNESDAY, "17:00"))
        booking_cancel(booking=third, reason="viagem", actor=STAFF, now=sao_paulo(WEDNESDAY, "17:00"))  # retried

    figures = shop_summary(start=MONDAY, end=WEDNESDAY)["bookings"]

    price = booking.price
    assert figures["made"] == 3
    assert figures["by_source"] == {"staff": 1, "ai": 2}
    assert figures["revenue_booked"] == str(price * 3)
    assert (figures["completed"], figures["revenue_completed"], figures["average_ticket"]) == (
        1,
        str(price),
        str(price),
    )
    assert (figures["cancelled"], figures["no_shows"], figures["no_show_rate"]) == (1, 1, 0.5)
    assert figures["top_services"] == [{"service": booking.service.name, "bookings": 3, "revenue": str(price * 3)}]
    assert figures["by_hour"] == {10: 1, 14: 1, 16: 1}  # appointment start times, São Paulo
    assert figures["by_weekday"] == {"wed": 3}
    # only Ana's Monday conversation turned into a booking: Tuesday's were made with no conversation open
    assert shop_summary(start=MONDAY, end=WEDNESDAY)["conversations"]["converted"] == 1


def test_customers_new_returning_and_inactive(history, shop):
    # the three customers were created on their first message
    assert shop_summary(start=MONDAY, end=WEDNESDAY)["customers"]["new"] == 3
    # Wednesday: Caio came back, created before that day
    assert shop_summary(start=WEDNESDAY, end=WEDNESDAY)["customers"]["returning"] == 1
    later = sao_paulo(date(2030, 6, 1), "12:00")
    customers = shop_summary(start=WEDNESDAY, end=WEDNESDAY, inactive_days=60, now=later)["customers"]
    assert customers["inactive"] == 3
    assert customers["pets_by_species"] == {"dog": 1}


def test_a_merged_customer_returns_as_the_customer_it_joined(history, shop):
    stranger = shop.customer_writes(sao_paulo(WEDNESDAY, "15:00"), "+5511911110009", name="Ana (trabalho)")
    assert shop_summary(start=WEDNESDAY, end=WEDNESDAY)["customers"]["returning"] == 1  # Caio; the stranger is new

    # the shop learns the second number is Ana's, a customer since Monday
    ana = Customer.objects.get(name="Ana")
    conversations_merge(keep=ana, absorb=stranger.customer)
    customer_merge(keep=ana, absorb=stranger.customer, actor=STAFF)

    assert shop_summary(start=WEDNESDAY, end=WEDNESDAY)["customers"]["returning"] == 2


def test_ai_cost_per_conversation_and_per_ai_booking(history, shop):
    with time_machine.travel(sao_paulo(MONDAY, "09:00:10"), tick=False):
        ai_call_record(call_id="turn-1", calls=2, tokens=1200, cost=Decimal("0.30"))  # a tool call, then the answer
        ai_call_record(call_id="turn-1", calls=2, tokens=1200, cost=Decimal("0.30"))  # the same turn, recorded twice
        ai_call_record(call_id="turn-2", calls=1, tokens=800, cost=Decimal("0.10"))
    shop.book(sao_paulo(MONDAY, "10:00"), pet_of(history.customer), start=sao_paulo(WEDNESDAY, "15:00"), actor=AI)

    ai = shop_summary(start=MONDAY, end=MONDAY)["ai"]

    assert (ai["calls"], ai["tokens"], ai["cost"]) == (3, 2000, "0.4000")
    assert ai["cost_per_conversation"] == "0.2000"  # 2 conversations on Monday
    assert ai["cost_per_booking"] == "0.4000"  # 1 booking by the AI


def test_a_thousand_sub_cent_calls_add_up_to_their_true_cost(shop):
    with time_machine.travel(sao_paulo(MONDAY, "09:00"), tick=False):
        for n in range(1000):
            ai_call_record(call_id=f"turn-{n}", calls=1, tokens=900, cost=Decimal("0.000135"))

    assert shop_summary(start=MONDAY, end=MONDAY)["ai"]["cost"] == "0.1350"  # not 0.1 (each rounded to 0.0001)


def test_this_months_spend_against_the_cap(shop):
    AgentSettings.objects.create(monthly_cap_usd=Decimal("2.00"))
    with time_machine.travel(sao_paulo(date(2030, 2, 28), "23:30"), tick=False):
        ai_call_record(call_id="last-month", calls=1, tokens=1000, cost=Decimal("5"))
    with time_machine.travel(sao_paulo(MONDAY, "09:00"), tick=False):
        ai_call_record(call_id="this-month", calls=1, tokens=1000, cost=Decimal("0.5"))

    ai = shop_summary(start=MONDAY, end=MONDAY, now=sao_paulo(TUESDAY, "12:00"))["ai"]

    assert (ai["month_spend"], ai["monthly_cap"], ai["cap_used"]) == ("0.5000", "2.00", 0.25)


def test_without_a_cap_of_its_own_the_shop_spends_against_its_plans(shop):
    with time_machine.travel(sao_paulo(MONDAY, "09:00"), tick=False):
        ai_call_record(call_id="this-month", calls=1, tokens=1000, cost=Decimal("5"))

    ai = shop_summary(start=MONDAY, end=MONDAY, now=sao_paulo(TUESDAY, "12:00"))["ai"]

    assert (ai["month_spend"], ai["monthly_cap"], ai["cap_used"]) == ("5.0000", "50.00", 0.1)  # the plan's $50


def test_a_hand_over_after_a_person_already_answered_changes_nothing(history):
    bia = Conversation.objects.get(customer__name="Bia")

    conversation_handover_record(conversation_id=bia.pk, at=sao_paulo(MONDAY, "23:40"))

    assert shop_summary(start=MONDAY, end=MONDAY)["conversations"]["handed_over"] == 1


def test_the_shop_admin_lists_conversations_and_who_handled_them(history, alpha, alpha_client):
    login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)

    page = alpha_client.get("/admin/analytics/conversationrecord/", {"handled_by__exact": "human"})

    assert page.status_code == 200
    assert "Bia via" in page.content.decode()
    assert "Ana via" not in page.content.decode()


def test_facts_are_recorded_outside_a_surrounding_transaction_too(committed_alpha):
    """A real request runs in autocommit: the services open their own transactions."""
    with tenant_context(committed_alpha):
        channel, route = connected_sandbox_channel("Autocommit")
        try:
            conversation = ShopDays(channel).customer_writes(sao_paulo(MONDAY, "10:00"), "+5511911110009", name="Duda")
            ShopDays(channel).answer(sao_paulo(MONDAY, "10:00:05"), conversation, "bot")
            conversation_handover_record(conversation_id=conversation.pk, at=sao_paulo(MONDAY, "10:01"))

            record = ConversationRecord.objects.get(conversation=conversation)
            assert (record.messages_in, record.messages_out, record.handled_by) == (1, 1, "handed_over")
        finally:
            customer = Customer.objects.filter(phone="+5511911110009").first()
            Conversation.objects.filter(channel=channel).delete()
            if customer:
                customer.delete()
            channel.messages.all().delete()
            channel.delete()
            AnalyticsEvent.objects.all().delete()
            DailyMetric.objects.all().delete()
        route.delete()


def test_a_conversation_nobody_answered_is_not_counted_as_handled_by_the_ai(history, shop):
    shop.customer_writes(sao_paulo(WEDNESDAY, "17:00"), "+5511911110004", name="Duda")  # and no one answers

    week = shop_summary(start=MONDAY, end=WEDNESDAY)["conversations"]

    assert week["started"] == 5
    assert (week["ai_alone"], week["handed_over"], week["human_only"], week["unanswered"]) == (2, 1, 1, 1)


def test_a_person_stepping_in_after_the_ai_is_a_hand_over_without_a_response_time(history, shop):
    caio = Conversation.objects.get(customer__name="Caio")
    shop.answer(sao_paulo(TUESDAY, "10:05"), caio, "staff")  # no one asked for a hand-over

    tuesday = shop_summary(start=TUESDAY, end=TUESDAY)["conversations"]

    assert (tuesday["ai_alone"], tuesday["handed_over"]) == (0, 1)
    assert tuesday["first_response_human_s"] is None  # no clock was running for the person
    assert series(start=TUESDAY, end=TUESDAY, metric="first_response_bot")[0]["total"] == 10_000  # ms


def test_only_the_ais_own_first_answer_times_it(history, shop):
    """A reminder sent into an open conversation is not the AI answering, and
    neither is the AI writing after a person took the conversation over."""
    duda = shop.customer_writes(sao_paulo(WEDNESDAY, "17:00"), "+5511911110004", name="Duda")
    shop.answer(sao_paulo(WEDNESDAY, "17:00:05"), duda, "system")
    shop.answer(sao_paulo(WEDNESDAY, "17:00:40"), duda, "bot")
    ana = Conversation.objects.get(customer__name="Ana")
    shop.answer(sao_paulo(MONDAY, "09:20"), ana, "bot")  # after Ana's hand-over at 09:06

    records = {r.conversation_id: r for r in ConversationRecord.objects.filter(conversation__in=[duda, ana])}
    wednesday = shop_summary(start=WEDNESDAY, end=WEDNESDAY)["conversations"]

    assert records[duda.pk].first_bot_response_at == sao_paulo(WEDNESDAY, "17:00:40")
    assert records[duda.pk].messages_out == 2
    assert wednesday["first_response_ai_s"] == 35.0  # Caio's 30 s and Duda's 40 s
    assert records[ana.pk].first_bot_response_at == sao_paulo(MONDAY, "09:00:20")
    assert records[ana.pk].messages_out == 3
