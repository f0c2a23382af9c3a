"""Outreach benchmark.

    .venv/bin/python bench/outreach.py [--customers 5000] [--bookings 500]

A shop with 5,000 customers and 500 bookings starting in 23–24 hours, all
due their 24 h reminder. Prints one JSON line: milliseconds per reminder
for a follow-up run (plan, lock, check the customer's caps, queue the
message, mark it sent), the launch of a campaign to every customer and the
milliseconds per campaign message, and, measured in the same run, the
milliseconds of queueing a plain message to the same conversations; the
ratio is reminder over plain. Everything runs in transactions that are
rolled back (nothing is sent); the bench shop is dropped after.
"""

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxy.settings")
os.environ.setdefault("DEBUG", "false")  # measure what production runs

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from agents.models import Campaign, OutreachSettings  # noqa: E402
from agents.outreach.campaigns import campaign_draft_create, campaign_launch, campaigns_send_due  # noqa: E402
from agents.outreach.followups import followups_run  # noqa: E402
from bench.shop import bench_shop  # noqa: E402
from bookings.availability import shop_timezone  # noqa: E402
from bookings.models import Booking, BusinessHours, Customer, Resource, Service  # noqa: E402
from tenants.shop.services import Actor  # noqa: E402
from whatsapp.models import Channel, Conversation  # noqa: E402
from whatsapp.services.channels import channel_create  # noqa: E402
from whatsapp.services.outbound import message_outbound_create  # noqa: E402

ACTOR = Actor("staff", "bench")
CAMPAIGN_SENDS = 200


def populate(*, customers: int, bookings: int, now: datetime) -> list[Conversation]:
    channel, _route = channel_create(name="Bench", provider="sandbox")
    Channel.objects.filter(pk=channel.pk).update(state=Channel.State.CONNECTED)
    people = Customer.objects.bulk_create(
        [Customer(name=f"Cliente {n}", phone=f"+55119{n:08d}", last_interaction_at=now - timedelta(days=90))
         for n in range(customers)], batch_size=1000,
    )  # fmt: skip
    conversations = Conversation.objects.bulk_create(
        [Conversation(customer=c, channel=channel, address=c.phone.lstrip("+")) for c in people], batch_size=1000
    )
    service = Service.objects.get(category="bath")
    per_resource = 50
    resources = [Resource.objects.create(name=f"Mesa {n}") for n in range(bookings // per_resource + 1)]
    first = now + timedelta(hours=23, minutes=5)
    Booking.objects.bulk_create(
        [Booking(customer=people[n], service=service, resource=resources[n // per_resource],
                 start=first + timedelta(minutes=n % per_resource), end=first + timedelta(minutes=n % per_resource + 1),
                 occupied_until=first + timedelta(minutes=n % per_resource + 1), status="confirmed", price="50",
                 source="ai", created_by="bench") for n in range(bookings)], batch_size=1000,
    )  # fmt: skip
    Booking.objects.update(created_at=now - timedelta(days=3))
    # Always open: the bench measures the sending, not the waiting.
    OutreachSettings.objects.create(window_start=datetime.min.time(), window_end=datetime.max.time())
    BusinessHours.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return conversations


def rolled_back(function):
    with transaction.atomic():
        started = time.perf_counter()
        result = function()
        elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--bookings", type=int, default=500)
    args = parser.parse_args()
    with bench_shop("outreach") as organization, tenant_context(organization):
        now = timezone.now().astimezone(shop_timezone())
        conversations = populate(customers=args.customers, bookings=args.bookings, now=now)

        outcomes, followups_ms = rolled_back(lambda: followups_run(now=now + timedelta(minutes=1)))
        _plain, plain_ms = rolled_back(lambda: [
            message_outbound_create(conversation=c, text="Lembrete: banho amanhã às 10:00.", sender_kind="bot")
            for c in conversations[: args.bookings]])  # fmt: skip

        def campaign() -> int:
            draft = campaign_draft_create(name="Volta", text="Oi {nome}!", inactive_days=30, actor=ACTOR)
            campaign_launch(campaign_id=draft.pk, revision=1, actor=ACTOR, now=now)
            launched = time.perf_counter()
            for _ in range(CAMPAIGN_SENDS):
                Campaign.objects.filter(pk=draft.pk).update(next_send_at=now)
                campaigns_send_due(now=now)
            return (time.perf_counter() - launched) * 1000

        sending_ms, campaign_ms = rolled_back(campaign)

    sent = outcomes.get("sent", 0)
    reminder_each, plain_each = followups_ms / max(sent, 1), plain_ms / args.bookings
    print(json.dumps({
        "bench": "outreach", "customers": args.customers, "reminders_sent": sent,
        "reminder_ms_each": round(reminder_each, 2), "plain_message_ms_each": round(plain_each, 2),
        "campaign_recipients": args.customers, "campaign_launch_ms": round(campaign_ms - sending_ms, 1),
        "campaign_message_ms_each": round(sending_ms / CAMPAIGN_SENDS, 2),
        "ratio": round(reminder_each / plain_each, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
