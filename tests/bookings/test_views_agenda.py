"""The agenda as staff use it: the day and week per resource, booking,
moving, cancelling, marking, and closures (server side; the live reload
in a real browser is in tests/e2e).

The clock is frozen on Monday 2030-03-04, 06:00 in São Paulo; clients sign
in under the frozen clock so that their sessions are valid then."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import translation
from django.utils.html import escape
from django_tenants.utils import tenant_context

from bookings.models import Booking, Closure, Customer, Resource
from bookings.services import booking_create, closure_create, customer_get_or_create, pet_register, resource_create
from tenants.shop.models import AuditEntry
from tests.fixtures.bookings import MONDAY, NOW, STAFF
from tests.fixtures.shop_days import sao_paulo

TUESDAY, WEDNESDAY, SUNDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2), MONDAY + timedelta(days=6)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def book(bath, groomer, dog):
    def make(day: date = MONDAY, clock: str = "10:00", resource: Resource | None = None, pet=dog) -> Booking:
        return booking_create(service=bath, resource=resource or groomer, start=sao_paulo(day, clock),
                              customer=pet.customer, pet=pet, actor=STAFF, now=NOW)  # fmt: skip

    return make


@pytest.fixture
def ana(bath) -> Resource:
    """A second groomer who also bathes."""
    return resource_create(name="Ana", actor=STAFF, service_ids=[bath.pk])


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def shown(message_id: str) -> str:
    """A service's message as the page shows it (pt-BR, HTML-escaped)."""
    with translation.override("pt-br"):
        return escape(translation.gettext(message_id))


TAKEN = "Sorry, that time was just taken. Please choose another slot."


# -- the grid -------------------------------------------------------------------


def test_the_day_shows_each_booking_in_its_resource_column_with_its_status(alpha_team, book, groomer):
    booking = book()

    html = html_of(alpha_team("attendant").get("/agenda/", {"day": "2030-03-04"}))

    assert 'id="agenda"' in html
    slot = html.split(f'data-booking="{booking.pk}"')[1].split("</a>")[0]
    assert "Maria" in slot
    assert "Thor" in slot
    assert "Banho" in slot
    assert f'class="slot pending" data-booking="{booking.pk}"' in html
    assert f'data-resource="{groomer.pk}"' in html
    assert groomer.name in html
    assert "08:00" in html
    assert "17:00" in html
    assert 'class="open"' in html


def test_the_default_day_is_today_in_the_shops_time(alpha_team, book):
    booking = book()
    # 01:00 UTC on Tuesday is still Monday evening in São Paulo.
    with time_machine.travel(sao_paulo(MONDAY, "22:00"), tick=False):
        html = html_of(alpha_team("attendant").get("/agenda/"))

    assert f'data-booking="{booking.pk}"' in html
    assert 'data-day="2030-03-04"' in html


def test_the_week_shows_every_day_monday_to_sunday(alpha_team, book):
    monday, wednesday = book(MONDAY), book(WEDNESDAY, "14:00")
    team = alpha_team("attendant")

    week = html_of(team.get("/agenda/", {"view": "week", "day": "2030-03-06"}))
    day = html_of(team.get("/agenda/", {"day": "2030-03-04"}))

    assert f'data-booking="{monday.pk}"' in week
    assert f'data-booking="{wednesday.pk}"' in week
    assert 'data-day="2030-03-04"' in week
    assert 'data-day="2030-03-10"' in week
    assert f'data-booking="{wednesday.pk}"' not in day


def test_previous_next_and_today_links_keep_the_view_and_resource(alpha_team, groomer):
    html = html_of(alpha_team("attendant").get("/agenda/", {"view": "week", "day": "2030-03-06",
                                                            "resource": groomer.pk}))  # fmt: skip

    assert f"?view=week&amp;day=2030-02-27&amp;resource={groomer.pk}" in html
    assert f"?view=week&amp;day=2030-03-13&amp;resource={groomer.pk}" in html
    assert f"?view=week&amp;day=2030-03-04&amp;resource={groomer.pk}" in html  # today


def test_a_resource_filter_shows_only_that_column(alpha_team, book, groomer, ana):
    mine, hers = book(), book(clock="10:00", resource=ana)
    team = alpha_team("attendant")

    everyone = html_of(team.get("/agenda/", {"day": "2030-03-04"}))
    only_ana = html_of(team.get("/agenda/", {"day": "2030-03-04", "resource": ana.pk}))

    assert f'data-booking="{mine.pk}"' in everyone
    assert f'data-booking="{hers.pk}"' in everyone
    assert f'data-booking="{hers.pk}"' in only_ana
    assert f'data-booking="{mine.pk}"' not in only_ana
    assert f'data-resource="{groomer.pk}"' not in only_ana


def test_closures_and_cancelled_bookings_are_visible(alpha_team, book):
    cancelled = book(TUESDAY)
    Booking.objects.filter(pk=cancelled.pk).update(status="cancelled", cancelled_at=NOW)
    closure_create(start_date=WEDNESDAY, end_date=WEDNESDAY, reason="Feriado municipal", actor=STAFF)

    html = html_of(alpha_team("attendant").get("/agenda/", {"view": "week", "day": "2030-03-04"}))

    assert "Feriado municipal" in html
    cancelled_list = html.split('class="cancelled-list"')[1]
    assert f'data-booking="{cancelled.pk}"' in cancelled_list


def test_htmx_reloads_only_the_live_grid(alpha_team, book):
    booking = book()

    html = html_of(alpha_team("attendant").get("/agenda/", {"day": "2030-03-04"}, HTTP_HX_REQUEST="true"))

    assert html.startswith('<div id="agenda"')
    assert "<html" not in html
    assert "oxy-booking-created from:body" in html
    assert "oxy-reconnected from:body" in html
    assert f'data-booking="{booking.pk}"' in html


def test_signed_out_visitors_are_sent_to_the_login(alpha_client, agenda):
    response = alpha_client.get("/agenda/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# -- booking ------------------------------------------------------------------------


def test_the_form_opens_with_the_customer_chosen_and_prices_for_the_pets_size(alpha_team, customer, dog, bath):
    team = alpha_team("attendant")

    html = html_of(team.get("/agenda/new/", {"customer": customer.pk}))
    priced = html_of(team.get("/agenda/new/", {"customer": customer.pk, "pet": dog.pk, "service": bath.pk},
                              HTTP_HX_REQUEST="true"))  # fmt: skip

    assert f'<option value="{customer.pk}" selected>Maria' in html
    assert f'<option value="{dog.pk}">Thor</option>' in html
    for name in ("customer", "pet", "service", "resource", "start"):
        assert f'name="{name}"' in html
    assert 'type="datetime-local"' in html
    assert "75 min · R$ 85,00" in priced  # a large dog's bath
    assert priced.startswith('<form id="booking-form"')


def test_the_customer_search_lists_matches(alpha_team, customer):
    customer_get_or_create(phone="+5521999990000", name="João", actor=STAFF)

    html = html_of(alpha_team("attendant").get("/agenda/new/customers/", {"q": "Mar"}, HTTP_HX_REQUEST="true"))

    assert "Maria" in html
    assert "João" not in html


def test_booking_from_the_form_creates_it_and_shows_it_on_that_day(alpha_team, customer, dog, bath, groomer):
    team = alpha_team("attendant", email="ana@alpha.test")

    response = team.post("/agenda/new/", {"customer": customer.pk, "pet": dog.pk, "service": bath.pk,
                                           "resource": groomer.pk, "start": "2030-03-05T10:00"})  # fmt: skip

    booking = Booking.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == "/agenda/?view=day&day=2030-03-05"
    assert booking.start == sao_paulo(TUESDAY, "10:00")  # the time typed is shop time
    assert (booking.source, booking.created_by, booking.price) == ("staff", "ana@alpha.test", 85)
    assert f'data-booking="{booking.pk}"' in html_of(team.get(response["Location"]))


def test_without_a_resource_the_first_free_one_takes_it(alpha_team, book, customer, dog, bath, ana):
    book(TUESDAY, "10:00")  # the groomer is busy then

    alpha_team("attendant").post("/agenda/new/", {"customer": customer.pk, "pet": dog.pk, "service": bath.pk,
                                                   "start": "2030-03-05T10:00"})  # fmt: skip

    assert Booking.objects.get(resource=ana).start == sao_paulo(TUESDAY, "10:00")


def test_a_taken_slot_is_refused_clearly_and_nothing_typed_is_lost(alpha_team, book, customer, dog, bath, groomer):
    book(TUESDAY, "10:00")
    fields = {"customer": customer.pk, "pet": dog.pk, "service": bath.pk, "resource": groomer.pk,
              "start": "2030-03-05T10:30", "notes": "tímido com secador"}  # fmt: skip

    html = html_of(alpha_team("attendant").post("/agenda/new/", fields))

    assert shown(TAKEN) in html
    assert 'value="2030-03-05T10:30"' in html
    assert "tímido com secador" in html
    assert f'<option value="{customer.pk}" selected>' in html
    assert Booking.objects.filter(customer=customer).count() == 1


def test_a_closed_day_and_missing_fields_are_explained(alpha_team, customer, dog, bath, groomer):
    team = alpha_team("attendant")

    sunday = html_of(team.post("/agenda/new/", {"customer": customer.pk, "pet": dog.pk, "service": bath.pk,
                                                "resource": groomer.pk, "start": "2030-03-10T10:00"}))  # fmt: skip
    missing = html_of(team.post("/agenda/new/", {"customer": customer.pk}))

    assert 'class="errorlist' in sunday
    assert not Booking.objects.exists()
    assert missing.count('class="errorlist') >= 2  # service and start


def test_staff_bookings_announce_themselves_to_open_dashboards(
    alpha_team, customer, dog, bath, groomer, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("bookings.services.events.dashboard_event_send", lambda **event: sent.append(event))
    fields = {"customer": customer.pk, "pet": dog.pk, "service": bath.pk, "resource": groomer.pk,
              "start": "2030-03-05T10:00"}  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        alpha_team("attendant").post("/agenda/new/", fields)
    booking = Booking.objects.get(customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        alpha_team("manager").post(f"/agenda/{booking.pk}/cancel/", {"reason": ""})

    assert [event["event"] for event in sent] == ["booking.created", "booking.updated"]
    assert sent[0]["data"]["booking"] == booking.pk


# -- changing a booking -------------------------------------------------------------


def test_the_booking_page_shows_it_and_its_actions(alpha_team, book):
    booking = book()

    html = html_of(alpha_team("attendant").get(f"/agenda/{booking.pk}/"))

    assert "Maria" in html
    assert "Thor" in html
    assert "R$ 85,00" in html
    assert f"/agenda/{booking.pk}/move/" in html
    assert f"/agenda/{booking.pk}/cancel/" in html
    assert f"/agenda/{booking.pk}/complete/" not in html  # not started yet


def test_moving_a_booking_changes_its_time_and_resource(alpha_team, book, ana):
    booking = book()
    team = alpha_team("attendant")

    response = team.post(f"/agenda/{booking.pk}/move/", {"start": "2030-03-06T15:00", "resource": ana.pk})

    booking.refresh_from_db()
    assert response["Location"] == "/agenda/?view=day&day=2030-03-06"
    assert (booking.start, booking.resource) == (sao_paulo(WEDNESDAY, "15:00"), ana)
    assert f'data-booking="{booking.pk}"' in html_of(team.get(response["Location"]))
    assert AuditEntry.objects.filter(action="booking.rescheduled", target=f"booking:{booking.pk}").exists()


def test_moving_onto_a_taken_slot_is_refused_and_changes_nothing(alpha_team, book, groomer):
    booking, other = book(), book(clock="14:00")

    html = html_of(alpha_team("attendant").post(f"/agenda/{booking.pk}/move/",
                                                {"start": "2030-03-04T14:00", "resource": groomer.pk}))  # fmt: skip

    booking.refresh_from_db()
    assert shown(TAKEN) in html
    assert 'value="2030-03-04T14:00"' in html
    assert booking.start == sao_paulo(MONDAY, "10:00")
    assert other.start == sao_paulo(MONDAY, "14:00")


def test_cancelling_asks_first_then_cancels_with_the_reason(alpha_team, book):
    booking = book()
    team = alpha_team("attendant")

    confirm_page = html_of(team.get(f"/agenda/{booking.pk}/cancel/"))
    booking.refresh_from_db()
    assert booking.status == "pending"
    assert 'name="reason"' in confirm_page

    response = team.post(f"/agenda/{booking.pk}/cancel/", {"reason": "cliente pediu por telefone"})

    booking.refresh_from_db()
    assert response.status_code == 302
    assert (booking.status, booking.cancellation_reason) == ("cancelled", "cliente pediu por telefone")
    cancelled_list = html_of(team.get(response["Location"])).split('class="cancelled-list"')[1]
    assert f'data-booking="{booking.pk}"' in cancelled_list


def test_confirming_a_pending_booking(alpha_team, book):
    booking = book()

    alpha_team("attendant").post(f"/agenda/{booking.pk}/confirm/")

    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_completed_and_no_show_only_once_it_has_started(alpha_team, book):
    early, late = book(clock="10:00"), book(clock="14:00")
    team = alpha_team("attendant")

    refused = team.post(f"/agenda/{early.pk}/complete/", follow=True)
    early.refresh_from_db()
    assert early.status == "pending"
    assert shown("This booking has not started yet.") in refused.content.decode()

    with time_machine.travel(sao_paulo(MONDAY, "15:00"), tick=False):
        page = html_of(team.get(f"/agenda/{early.pk}/"))
        team.post(f"/agenda/{early.pk}/complete/")
        team.post(f"/agenda/{late.pk}/no-show/")
    early.refresh_from_db()
    late.refresh_from_db()
    assert f"/agenda/{early.pk}/complete/" in page
    assert (early.status, late.status) == ("completed", "no_show")


def test_status_actions_need_a_post(alpha_team, book):
    booking = book()

    response = alpha_team("attendant").get(f"/agenda/{booking.pk}/confirm/")

    booking.refresh_from_db()
    assert response.status_code == 405
    assert booking.status == "pending"


# -- closures -----------------------------------------------------------------------


def test_everyone_sees_the_closures_but_only_managers_may_change_them(alpha_team, agenda):
    closure = closure_create(start_date=WEDNESDAY, end_date=WEDNESDAY, reason="Feriado municipal", actor=STAFF)
    attendant = alpha_team("attendant")

    listing = html_of(attendant.get("/agenda/closures/"))
    added = attendant.post("/agenda/closures/new/", {"start_date": "2030-03-20", "end_date": "2030-03-21",
                                                      "reason": "Reforma"})  # fmt: skip
    removed = attendant.post(f"/agenda/closures/{closure.pk}/remove/")

    assert "Feriado municipal" in listing
    assert "/agenda/closures/new/" not in listing
    assert (added.status_code, removed.status_code) == (403, 403)
    assert list(Closure.objects.values_list("reason", flat=True)) == ["Feriado municipal"]


@pytest.mark.parametrize("role", ["manager", "owner"])
def test_managers_and_owners_add_and_remove_closures(alpha_team, groomer, role):
    team = alpha_team(role)

    response = team.post("/agenda/closures/new/", {"start_date": "2030-03-20", "end_date": "2030-03-21",
                                                    "reason": "Férias", "resource": groomer.pk})  # fmt: skip
    closure = Closure.objects.get()
    listing = html_of(team.get(response["Location"]))
    team.post(f"/agenda/closures/{closure.pk}/remove/")

    assert (closure.start_date, closure.end_date, closure.resource) == (date(2030, 3, 20), date(2030, 3, 21), groomer)
    assert "Férias" in listing
    assert not Closure.objects.exists()


def test_a_closure_ending_before_it_starts_is_explained(alpha_team, agenda):
    html = html_of(alpha_team("manager").post("/agenda/closures/new/", {
        "start_date": "2030-03-21", "end_date": "2030-03-20", "reason": "Reforma"}))  # fmt: skip

    assert 'class="errorlist' in html
    assert 'value="Reforma"' in html
    assert not Closure.objects.exists()


def test_adding_a_closure_warns_of_bookings_already_on_those_days(alpha_team, book):
    book(TUESDAY)

    page = alpha_team("manager").post("/agenda/closures/new/", {
        "start_date": "2030-03-05", "end_date": "2030-03-05", "reason": "Reforma"}, follow=True)  # fmt: skip

    assert page.status_code == 200
    assert 'class="warning"' in page.content.decode()


# -- another shop -------------------------------------------------------------------


def test_another_shops_team_can_neither_see_nor_change_alphas_agenda(alpha, beta_team, book, bath, groomer):
    booking = book()
    closure = closure_create(start_date=WEDNESDAY, end_date=WEDNESDAY, reason="Feriado", actor=STAFF)
    customer_id = booking.customer_id
    beta = beta_team("manager")

    answers = [
        beta.get(f"/agenda/{booking.pk}/").status_code,
        beta.get(f"/agenda/{booking.pk}/cancel/").status_code,
        beta.post(f"/agenda/{booking.pk}/cancel/", {"reason": "x"}).status_code,
        beta.post(f"/agenda/{booking.pk}/move/", {"start": "2030-03-06T15:00", "resource": groomer.pk}).status_code,
        beta.post(f"/agenda/{booking.pk}/confirm/").status_code,
        beta.post(f"/agenda/{booking.pk}/no-show/").status_code,
        beta.post(f"/agenda/closures/{closure.pk}/remove/").status_code,
    ]
    week = beta.get("/agenda/", {"view": "week", "day": "2030-03-04"}).content.decode()
    form = beta.get("/agenda/new/", {"customer": customer_id}).content.decode()
    beta.post("/agenda/new/", {"customer": customer_id, "service": bath.pk, "start": "2030-03-05T10:00"})

    assert answers == [404] * 7
    assert f'data-booking="{booking.pk}"' not in week
    assert "Maria" not in week
    assert "Maria" not in form
    with tenant_context(alpha):
        booking.refresh_from_db()
        assert (booking.status, booking.start) == ("pending", sao_paulo(MONDAY, "10:00"))
        assert Closure.objects.filter(pk=closure.pk).exists()
        assert Booking.objects.count() == 1
        assert Customer.objects.filter(pk=customer_id).exists()


def test_beta_gets_404_for_alphas_ids_even_as_owner(alpha, beta, beta_team, book):
    booking = book()
    with tenant_context(beta):
        assert not Booking.objects.filter(pk=booking.pk).exists()  # the ids mean nothing on beta's host

    assert beta_team("owner").get(f"/agenda/{booking.pk}/").status_code == 404


def test_pets_of_other_customers_cannot_be_booked(alpha_team, customer, bath, groomer):
    joao = customer_get_or_create(phone="+5521999990000", name="João", actor=STAFF)[0]
    mel = pet_register(customer=joao, name="Mel", species="cat", size="P", actor=STAFF)

    html = html_of(alpha_team("attendant").post("/agenda/new/", {
        "customer": customer.pk, "pet": mel.pk, "service": bath.pk, "resource": groomer.pk,
        "start": "2030-03-05T10:00"}))  # fmt: skip

    assert 'class="errorlist' in html
    assert not Booking.objects.exists()
