"""Booking from the agenda in a real browser: another open agenda shows the
new booking without reloading."""

from datetime import date, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from bookings.availability import shop_timezone
from bookings.models import Booking, Customer, Pet
from tests.e2e.conftest import sign_in


def next_tuesday() -> date:
    today = timezone.localdate(timezone=shop_timezone())
    return today + timedelta(days=(1 - today.weekday()) % 7 or 7)


def settled(page) -> None:
    """htmx has no request in flight (the form was re-rendered)."""
    page.wait_for_timeout(100)
    # A locator, not wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator(".htmx-request")).to_have_count(0)


def a_customer_with_a_dog() -> Customer:
    customer = Customer.objects.create(name="Olga Agenda", phone="+5511966660404")
    Pet.objects.create(customer=customer, name="Bidu", species="dog", size="M")
    return customer


def test_booking_from_the_agenda_shows_up_live_in_another_open_agenda(new_page, shop_data):
    customer = shop_data(a_customer_with_a_dog)
    day = shop_data(next_tuesday)
    watching = sign_in(new_page())
    watching.goto(f"/agenda/?day={day.isoformat()}")
    expect(watching.locator("#agenda")).to_be_visible()

    booking = sign_in(new_page())
    booking.goto(f"/agenda/new/?customer={customer.pk}")
    booking.select_option("#id_pet", label="Bidu")
    settled(booking)  # the form follows the chosen pet (prices by size)
    booking.select_option("#id_service", index=1)
    settled(booking)
    expect(booking.locator("#service-terms")).to_contain_text("Bidu")
    booking.fill("#id_start", f"{day.isoformat()}T10:00")
    booking.click("#booking-form button[type=submit]")
    booking.wait_for_url(f"**/agenda/?*day={day.isoformat()}*")

    made = shop_data(Booking.objects.get, customer=customer)
    booked = watching.locator(f"#agenda [data-booking='{made.pk}']")
    expect(booked).to_contain_text("Olga Agenda")  # arrived over the socket: no reload
    expect(booked).to_contain_text("Bidu")
