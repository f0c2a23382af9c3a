"""Dashboard benchmark.

    .venv/bin/python bench/dashboard.py [--conversations 20000] [--messages 200000]

A shop with 20,000 conversations and 200,000 messages. A signed-in team
member opens the inbox, searches it, filters it, and opens a conversation
with 200 messages, through the whole Django stack (middleware, tenant,
session, templates), in process. Prints one JSON line with the median
milliseconds and SQL queries of each page and, measured in the same run,
the median of the sign-in page (a small template through the same stack); the ratio is
the inbox over that baseline. The bench shop is dropped after.
"""

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxy.settings")
os.environ.setdefault("DEBUG", "false")  # measure what production runs

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from bench.shop import bench_shop, median_ms  # noqa: E402
from bookings.models import Customer  # noqa: E402
from tenants.staff.models import User  # noqa: E402
from whatsapp.models import Channel, Conversation, Message  # noqa: E402
from whatsapp.services.channels import channel_create  # noqa: E402

RUNS = 30


def populate(*, conversations: int, messages: int) -> Conversation:
    channel, _route = channel_create(name="Bench", provider="sandbox")
    Channel.objects.filter(pk=channel.pk).update(state=Channel.State.CONNECTED)
    now = timezone.now()
    people = Customer.objects.bulk_create(
        [Customer(name=f"Cliente {n}", phone=f"+55119{n:08d}") for n in range(conversations)], batch_size=2000
    )
    threads = Conversation.objects.bulk_create(
        [Conversation(customer=c, channel=channel, address=c.phone.lstrip("+"), last_message_at=now - timedelta(
            minutes=n), owner=("bot", "human", "paused")[n % 3], unread_count=n % 4) for n, c in enumerate(people)],
        batch_size=2000,
    )  # fmt: skip
    per_thread = max(1, messages // conversations)
    busiest, rest = threads[0], messages - 200
    batch = []
    for n in range(rest):
        thread = threads[(n // per_thread) % len(threads)]
        batch.append(_message(thread, channel, n, now))
        if len(batch) == 5000:
            Message.objects.bulk_create(batch)
            batch = []
    Message.objects.bulk_create([*batch, *[_message(busiest, channel, n, now) for n in range(200)]])
    return busiest


def _message(thread: Conversation, channel: Channel, n: int, now) -> Message:
    inbound = n % 2 == 0
    return Message(
        conversation=thread, channel=channel, direction="in" if inbound else "out",
        sender_kind="customer" if inbound else "bot", text=f"mensagem {n} sobre banho e tosa",
        status="received" if inbound else "read", status_rank=1 if inbound else 4,
        created_at=now - timedelta(seconds=n),
    )  # fmt: skip


def measured(client: Client, path: str, **params) -> tuple[float, int]:
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        response = client.get(path, params)
    assert response.status_code == 200, (path, response.status_code)
    return median_ms(lambda: client.get(path, params), RUNS), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args()
    with bench_shop("dashboard") as organization, tenant_context(organization):
        busiest = populate(conversations=args.conversations, messages=args.messages)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        user = User.objects.create_user("team@bench.test", password="bench-password-1", role="attendant")
        client = Client(HTTP_HOST=organization.domains.get().domain)
        client.force_login(user)
        ping_ms, _queries = measured(client, "/login/")
        inbox_ms, inbox_queries = measured(client, "/inbox/")
        search_ms, _ = measured(client, "/inbox/list/", q="Cliente 1999", HTTP_HX_REQUEST="true")
        unread_ms, _ = measured(client, "/inbox/list/", show="unread")
        conversation_ms, conversation_queries = measured(client, f"/inbox/{busiest.pk}/")
    print(json.dumps({
        "bench": "dashboard", "conversations": args.conversations, "messages": args.messages,
        "inbox_ms": round(inbox_ms, 2), "inbox_queries": inbox_queries, "search_ms": round(search_ms, 2),
        "unread_filter_ms": round(unread_ms, 2), "conversation_ms": round(conversation_ms, 2),
        "conversation_queries": conversation_queries, "baseline_login_page_ms": round(ping_ms, 2),
        "ratio": round(inbox_ms / ping_ms, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
