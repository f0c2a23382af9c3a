"""Pipeline benchmark: a customer's message in → the reply handed to the provider.

    .venv/bin/python bench/pipeline.py [--messages 100]

Runs the processes we ship (web, worker, agents worker) on loopback, with a
loopback Evolution API (the real client sends to it) and a loopback
OpenAI-compatible server that answers at once. The reply pause
(OXY_REPLY_DEBOUNCE_S, 3 s in production, there so a burst of messages gets
one answer) is set to 0: what is measured is our own work. Each message is
one new customer's Evolution `messages.upsert` webhook; its latency is from
posting the webhook to the fake Evolution receiving the reply. Two shops,
one holding 1,000 stored messages and one 100,000, get their messages in
turn, so the machine's speed drifting during the run (it does, by a third
and more here) weighs on both sizes alike; the ratio is p50 at 100k over p50
at 1k. SQL queries per message: the same path run in this process
(webhook, inbox event, reply turn, send), counted, each step on a connection
taken afresh from the pool, as the workers run each task (Celery hands the
connection back after every task, and django-tenants sets the search path
again on the next one).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.spine import BENCH_ENV, Shop, fakes_stop, replies_received_at  # noqa: E402 - first: it sets up Django

# isort: split
import argparse
import json
import statistics
import time

import httpx
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from agents.services import conversation_reply
from bench.deployment import deployment
from bench.shop import bench_shop
from whatsapp.inbox.models import InboundEvent
from whatsapp.models import Conversation, Message
from whatsapp.services.inbound import inbound_event_process
from whatsapp.services.outbound import message_send


def queries_per_message(shop: Shop, runs: int) -> float:
    """Webhook → inbox event → reply turn → send, in this process, counted."""
    client, counts = Client(HTTP_HOST="127.0.0.1"), []
    for _ in range(runs):
        number, body = shop.webhook()
        with CaptureQueriesContext(connection) as webhook:
            client.post(shop.path, body, content_type="application/json", headers={"X-Oxy-Webhook-Secret": shop.secret})
        connection.set_schema_to_public()
        event_id = InboundEvent.objects.filter(route=shop.route).latest("pk").pk
        connection.close()  # back to the pool, as after every task
        with CaptureQueriesContext(connection) as inbound:
            inbound_event_process(event_id=event_id)
        with tenant_context(shop.organization):
            conversation_id = Conversation.objects.get(customer__phone=f"+{number}").pk
            connection.close()
            with CaptureQueriesContext(connection) as turn:
                conversation_reply(conversation_id=conversation_id)
            reply_id = Message.objects.get(conversation_id=conversation_id, direction="out").pk
            connection.close()
            with CaptureQueriesContext(connection) as send:
                message_send(message_id=reply_id)
        counts.append(len(webhook) + len(inbound) + len(turn) + len(send))
    return statistics.median(counts)


def latencies_ms(shops: list[Shop], base_url: str, messages: int) -> list[list[float]]:
    """Each shop's latencies, its messages sent in turn with the others'."""
    latencies: list[list[float]] = [[] for _ in shops]
    with httpx.Client(base_url=base_url) as client:
        for _ in range(messages):
            for shop, timed in zip(shops, latencies, strict=True):
                number, body = shop.webhook()
                posted = time.time()
                headers = {"Content-Type": "application/json", "X-Oxy-Webhook-Secret": shop.secret}
                client.post(shop.path, content=body, headers=headers).raise_for_status()
                timed.append((replies_received_at({number: posted}, timeout=30)[number] - posted) * 1000)
    return latencies


def percentile(values: list[float], share: float) -> float:
    return round(sorted(values)[min(len(values) - 1, int(share * len(values)))], 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100, help="timed messages at each size")
    args = parser.parse_args()
    try:
        with bench_shop("pipeline-1k") as small_organization, bench_shop("pipeline-100k") as large_organization:
            small, large = Shop(small_organization), Shop(large_organization)
            small.store_history(total=1_000)
            large.store_history(total=100_000)
            queries = queries_per_message(small, runs=5)
            with deployment(env=BENCH_ENV) as base_url:
                latencies_ms([small, large], base_url, 10)  # warm up: connections, caches
                timed = latencies_ms([small, large], base_url, args.messages)
                results = {"1k": timed[0], "100k": timed[1]}
            InboundEvent.objects.filter(route__in=[small.route, large.route]).delete()
    finally:
        fakes_stop()
    p50_1k, p50_100k = statistics.median(results["1k"]), statistics.median(results["100k"])
    print(json.dumps({
        "bench": "pipeline",
        "p50_ms_1k": round(p50_1k, 1),
        "p95_ms_1k": percentile(results["1k"], 0.95),
        "p50_ms_100k": round(p50_100k, 1),
        "p95_ms_100k": percentile(results["100k"], 0.95),
        "queries_per_message": queries,
        "ratio": round(p50_100k / p50_1k, 2),
        "messages_timed": args.messages,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
