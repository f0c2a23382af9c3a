"""The inbox under the conditions providers create: the same delivery many
times at once, and the broker down in the middle of a burst."""

import json
import os
import subprocess
import sys
import threading

from django.conf import settings
from django.test import Client
from django_tenants.utils import tenant_context

from tests.conftest import wait_until
from tests.fixtures.whatsapp import WEBHOOK_SECRET, evolution_fixture
from tests.reliability.conftest import customer_message, customer_number, post_webhook, replies_by_customer
from whatsapp.inbox.models import InboundEvent
from whatsapp.models import Message

# Seconds: a web process waiting on the stopped Redis fails the delivery's request.
NOT_WAITING_ON_REDIS = 5


def post(route, body: dict) -> int:
    return Client(HTTP_HOST="oxy.test").post(
        f"/webhooks/evolution/{route.token}/", json.dumps(body), content_type="application/json",
        HTTP_X_OXY_WEBHOOK_SECRET=WEBHOOK_SECRET,
    ).status_code  # fmt: skip


def test_the_same_webhook_delivered_ten_times_at_once_gives_one_message(
    committed_channel, committed_alpha, celery_worker
):
    body = evolution_fixture("messages-upsert-text")
    barrier, statuses = threading.Barrier(10), []

    def deliver() -> None:
        from django.db import connection

        barrier.wait(timeout=10)
        statuses.append(post(committed_channel, body))
        connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200] * 10
    events = list(InboundEvent.objects.filter(route=committed_channel).values_list("id", flat=True))
    assert len(events) == 1

    def messages() -> int:
        with tenant_context(committed_alpha):
            return Message.objects.filter(channel_id=committed_channel.channel_id).count()

    assert wait_until(lambda: InboundEvent.objects.get(pk=events[0]).processed_at is not None)
    assert messages() == 1


def test_given_redis_stopped_during_a_burst_when_it_returns_then_every_message_is_processed_and_answered_once(
    committed_channel, committed_alpha, evolution_server, stack
):
    """Real processes: the web server and a worker on a private Redis (broker,
    cache and channel layer), which is stopped during a burst of webhooks."""
    stack.web()
    stack.worker()

    # given Redis stops, then a burst of messages arrives
    stack.redis.stop()
    statuses = []
    for customer in range(1, 6):
        body = customer_message(customer=customer, text="Oi, quero marcar um banho", message_id=f"BURST{customer}")
        statuses.append(post_webhook(stack.base_url, committed_channel, body, timeout=NOT_WAITING_ON_REDIS))
    # then every delivery was answered (none waited on Redis) and is durable
    assert statuses == [200] * 5
    assert InboundEvent.objects.filter(route=committed_channel, status="pending").count() == 5

    # when Redis is back and the sweeper runs (as beat would)
    stack.redis.start()
    sweeper = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from whatsapp.tasks import sweep_inbox_task; print(sweep_inbox_task(older_than_s=0))"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "oxy.settings_test",
             "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{settings.DATABASES['default']['NAME']}",
             **stack.env},
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    # (a publish the web had in flight when Redis came back may have queued some itself)
    assert int(sweeper.stdout.strip().splitlines()[-1]) in range(6)

    # then the worker processes every event, and each customer gets one answer
    everyone = {customer_number(customer): 1 for customer in range(1, 6)}
    assert wait_until(lambda: replies_by_customer(evolution_server) == everyone, timeout=40)
    assert not InboundEvent.objects.filter(route=committed_channel, status="pending").exists()
    with tenant_context(committed_alpha):
        assert Message.objects.filter(channel_id=committed_channel.channel_id, direction="in").count() == 5
