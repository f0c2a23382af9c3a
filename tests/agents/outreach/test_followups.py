"""Follow-ups: a confirmation of the team's booking, reminders before it
that a "sim" or "não" answers, a vaccine due, a word after the visit; each
sent once, in the sending window, under the customer's caps."""

from datetime import date, timedelta

import time_machine
from django_tenants.utils import tenant_context

from agents.models import AIInteraction, FollowUp, OutreachSettings
from agents.tasks import follow_ups_all_tenants_task
from bookings.models import Booking
from bookings.services import booking_cancel, booking_complete, booking_reschedule, vaccination_record
from tests.agents.conftest import customer_says, reply_turn
from tests.fixtures.bookings import STAFF

from .conftest import local, run_at, sent_to


def test_a_team_booking_is_confirmed_and_reminded_24h_and_2h_before_each_once(book, customer):
    # Booked on Monday 06:00 for Tuesday 10:00.
    booking = book(local(5, 10), at=local(4, 6))

    assert run_at(local(4, 6)) == {"postponed": 1}  # before the 08:00 sending window
    assert sent_to(customer) == []
    assert run_at(local(4, 8)) == {"sent": 1}
    assert run_at(local(4, 10)) == {"sent": 1}  # 24 h before
    assert run_at(local(4, 10, 1)) == {}  # the scheduler again, or after a restart: nothing twice
    assert run_at(local(5, 8)) == {"sent": 1}  # 2 h before
    assert run_at(local(5, 9)) == {}

    confirmation, day_before, two_hours = sent_to(customer)
    assert (
        confirmation.text == "Agendado: Banho (Thor) em terça-feira, 05/03 às 10:00. Para mudar, é só responder aqui."
    )
    assert day_before.text.startswith("Lembrete: Banho (Thor) em terça-feira, 05/03 às 10:00.")
    assert "SIM para confirmar ou NÃO para cancelar" in day_before.text
    assert day_before.data == {"proactive": "reminder", "asks": "confirm_booking", "booking": booking.pk}
    assert [m.created_at for m in sent_to(customer)] == [local(4, 8), local(4, 10), local(5, 8)]
    assert set(FollowUp.objects.values_list("status", flat=True)) == {"sent"}


def test_the_attendants_own_bookings_get_no_confirmation_and_a_last_minute_booking_no_early_reminder(book, customer):
    booking = book(local(5, 10), at=local(5, 7, 30))  # 2 h 30 before
    Booking.objects.filter(pk=booking.pk).update(source=Booking.Source.AI)

    assert run_at(local(5, 8)) == {}  # the 2 h reminder would come 30 min after booking: none
    assert not FollowUp.objects.exists()


def test_a_sim_to_the_reminder_confirms_the_booking_without_the_llm(book, customer, shop):
    booking = book(local(5, 10), at=local(1, 9))
    run_at(local(4, 10))

    conversation = customer_says(shop, "Sim", at=local(4, 10, 5), phone=customer.phone)
    assert reply_turn(conversation, at=local(4, 10, 5)) == "replied"

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert sent_to(customer)[-1].text == "Confirmado! Até terça-feira, 05/03 às 10:00."
    assert AIInteraction.objects.get().agent == "offline"


def test_a_nao_to_the_reminder_cancels_the_booking(book, customer, shop):
    booking = book(local(5, 10), at=local(1, 9))
    run_at(local(4, 10))

    conversation = customer_says(shop, "não", at=local(4, 11), phone=customer.phone)
    reply_turn(conversation, at=local(4, 11))

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert "cancelado" in sent_to(customer)[-1].text
    # And the 2 h reminder for it never goes.
    assert run_at(local(5, 8)) == {"skipped": 1}
    assert FollowUp.objects.get(key__endswith=":2h").reason == "the booking was cancelled or moved"


def test_anything_else_after_a_reminder_goes_to_the_attendant(book, customer, shop):
    booking = book(local(5, 10), at=local(1, 9))
    run_at(local(4, 10))

    conversation = customer_says(shop, "quanto custa a tosa?", at=local(4, 10, 5), phone=customer.phone)
    reply_turn(conversation, at=local(4, 10, 5))

    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING
    assert sent_to(customer)[-1].text.startswith("Nossos preços")


def test_a_moved_booking_is_reminded_of_its_new_time_only(book, customer, groomer):
    booking = book(local(5, 10), at=local(1, 9))
    assert run_at(local(4, 10)) == {"sent": 1}  # 24 h before Tuesday 10:00
    with time_machine.travel(local(4, 11), tick=False):
        booking_reschedule(booking=booking, start=local(5, 15), actor=STAFF, now=local(4, 11))

    assert run_at(local(4, 11, 1)) == {"sent": 1}  # the team moved it: a confirmation of the new time
    assert run_at(local(4, 15)) == {"sent": 1}  # 24 h before the new time
    assert run_at(local(5, 8)) == {"skipped": 1}  # the old time's 2 h reminder
    assert run_at(local(5, 13)) == {"sent": 1}
    assert [m.text.split(" às ")[1][:5] for m in sent_to(customer)] == ["10:00", "15:00", "15:00", "15:00"]


def test_the_customers_caps_postpone_and_a_reminder_that_cannot_make_it_is_dropped(book, customer):
    OutreachSettings.objects.create(per_customer_per_hour=1, per_customer_per_day=4)
    book(local(5, 10), at=local(4, 9))  # confirmation due now; the 24 h reminder at 10:00
    book(local(5, 14), at=local(4, 9))  # a second bath at 14:00

    assert run_at(local(4, 9)) == {"sent": 1, "postponed": 1}
    first = FollowUp.objects.get(status="sent")
    assert FollowUp.objects.get(status="pending", kind="confirmation").due_at == first.sent_at + timedelta(hours=1)

    OutreachSettings.objects.update(per_customer_per_day=1)
    # The reminders of the day before wait past the appointments, so they never go.
    run_at(local(5, 8, 50))
    assert FollowUp.objects.filter(status="sent").count() == 1


def test_vaccine_due_and_after_visit_notes_go_out_but_not_to_a_customer_who_opted_out(book, customer, dog):
    vaccination_record(pet=dog, vaccine="V10", applied_on=date(2029, 3, 12), due_on=date(2030, 3, 11), actor=STAFF)
    booking = book(local(4, 9), at=local(1, 9))
    booking_complete(booking=booking, actor=STAFF, now=local(4, 10))

    assert run_at(local(4, 14)) == {"sent": 2}  # 7 days before the vaccine, and 3 h after the visit
    visit, vaccine = sent_to(customer)[-2:]
    assert vaccine.text.startswith("A vacina V10 de Thor vence em 11/03/2030.")
    assert visit.text.startswith("Como foi o Banho (Thor)?")

    customer.marketing_opted_out_at = local(4, 14)
    customer.save()
    vaccination_record(pet=dog, vaccine="Giárdia", applied_on=date(2029, 3, 13), due_on=date(2030, 3, 12),
                       actor=STAFF)  # fmt: skip
    assert run_at(local(5, 9)) == {"failed": 1}
    assert FollowUp.objects.get(key__contains="2030-03-12").reason == "the customer opted out of messages"


def test_a_renewed_vaccine_is_not_reminded(customer, dog, shop):
    vaccination_record(pet=dog, vaccine="V10", applied_on=date(2029, 3, 12), due_on=date(2030, 3, 11), actor=STAFF)
    vaccination_record(pet=dog, vaccine="V10", applied_on=date(2030, 3, 1), due_on=date(2031, 3, 1), actor=STAFF)

    assert run_at(local(4, 13)) == {}


def test_the_task_sends_each_shops_follow_ups_in_that_shop_only(book, customer, beta):
    book(local(5, 10), at=local(1, 9))
    with tenant_context(beta):
        assert not FollowUp.objects.exists()
    with time_machine.travel(local(4, 10), tick=False):
        result = follow_ups_all_tenants_task.apply().get()
        again = follow_ups_all_tenants_task.apply().get()

    assert result == {"alpha": {"sent": 1}}
    assert again == {}
    with tenant_context(beta):
        assert not FollowUp.objects.exists()


def test_a_cancelled_booking_is_not_reminded(book, customer):
    booking = book(local(5, 10), at=local(1, 9))
    booking_cancel(booking=booking, reason="", actor=STAFF, now=local(2, 9))

    assert run_at(local(4, 10)) == {}
