"""Four scheduler runs at the same moment, each on its own database
connection (two beats, a restart mid-run): one reminder goes out."""

import threading

import time_machine
from django.db import connection
from django_tenants.utils import tenant_context

from agents.models import FollowUp
from agents.outreach.followups import followups_run
from analytics.models import AnalyticsEvent, DailyMetric
from bookings.models import Booking, Customer, Resource, Service
from bookings.services import booking_create, customer_get_or_create, pet_register
from tenants.shop.models import AuditEntry
from tests.fixtures.bookings import STAFF
from tests.fixtures.whatsapp import connected_sandbox_channel
from whatsapp.models import Channel, Conversation, Message

from .conftest import local

RUNS = 4


def test_concurrent_runs_send_a_reminder_once(committed_alpha):
    alpha = committed_alpha
    with tenant_context(alpha), time_machine.travel(local(1, 9), tick=False):
        first_audit_id = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        channel, route = connected_sandbox_channel("Concorrência")
        customer, _created = customer_get_or_create(phone="+5511955557777", name="Bia", actor=STAFF)
        pet = pet_register(customer=customer, name="Nina", species="dog", size="P", actor=STAFF)
        bath, groomer = Service.objects.get(category="bath"), Resource.objects.get()
        booking = booking_create(service=bath, resource=groomer, start=local(5, 16), customer=customer, pet=pet,
                                 actor=STAFF, now=local(1, 9))  # fmt: skip
    barrier = threading.Barrier(RUNS)

    def run() -> None:
        try:
            with tenant_context(alpha):
                barrier.wait(timeout=30)
                followups_run(now=local(4, 16))
        finally:
            connection.close()

    try:
        with time_machine.travel(local(4, 16), tick=False):
            threads = [threading.Thread(target=run) for _ in range(RUNS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        with tenant_context(alpha):
            reminders = Message.objects.filter(conversation__customer=customer, data__proactive="reminder")
            assert reminders.count() == 1
            assert FollowUp.objects.filter(booking=booking, status="sent").count() == 1
    finally:
        with tenant_context(alpha):
            FollowUp.objects.filter(customer=customer).delete()
            Message.objects.filter(conversation__customer=customer).delete()
            Conversation.objects.filter(customer=customer).delete()
            Booking.objects.filter(customer=customer).delete()
            pet.delete()
            Customer.objects.filter(pk=customer.pk).delete()
            Channel.objects.filter(pk=channel.pk).delete()
            AuditEntry.objects.filter(id__gt=first_audit_id).delete()
            AnalyticsEvent.objects.all().delete()
            DailyMetric.objects.all().delete()
        route.delete()
