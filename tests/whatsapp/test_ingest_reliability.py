"""The inbox under the conditions providers create: the same delivery many
times at once, and the broker down in the middle of a burst."""

import json
import os
import secrets
import subprocess
import sys
import threading
import time

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import tenant_context

from bookings.models import Customer
from tests.conftest import wait_until
from tests.fixtures.processes import free_port, oxy_process, private_redis, stop
from tests.fixtures.whatsapp import EVOLUTION_INSTANCE, EVOLUTION_TOKEN, evolution_fixture
from whatsapp.inbox.models import ChannelRoute, InboundEvent
from whatsapp.models import Channel, Message


@pytest.fixture
def committed_channel(committed_alpha):
    """Alpha's Evolution channel, committed so other threads and the worker
    see it; everything it collects is removed afterwards."""
    with tenant_context(committed_alpha):
        channel = Channel.objects.create(name="Centro", provider="evolution", external_id=EVOLUTION_INSTANCE,
                                         credentials=EVOLUTION_TOKEN, state="connected")  # fmt: skip
    route = ChannelRoute.objects.create(
        provider="evolution", external_id=EVOLUTION_INSTANCE, organization=committed_alpha, channel_id=channel.pk,
        token=secrets.token_urlsafe(16), webhook_secret="header-secret", provider_token=EVOLUTION_TOKEN,
    )  # fmt: skip
    yield route
    InboundEvent.objects.filter(route=route).delete()
    route.delete()
    with tenant_context(committed_alpha):
        Message.objects.filter(channel=channel).delete()
        channel.conversations.all().delete()
        channel.delete()
        Customer.objects.filter(identities__value__endswith="@s.whatsapp.net").delete()
        Customer.objects.filter(phone__in=["+5511978123456"]).delete()


def post(route, body: dict) -> int:
    return Client(HTTP_HOST="oxy.test").post(
        f"/webhooks/evolution/{route.token}/", json.dumps(body), content_type="application/json",
        HTTP_X_OXY_WEBHOOK_SECRET="header-secret",
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


def test_events_received_while_redis_is_down_are_processed_once_it_is_back(committed_channel, committed_alpha):
    """Real processes: the web server and a worker on a private Redis,
    which is stopped during a burst of webhooks and started again."""
    with private_redis() as redis_server:
        broker = {"CELERY_BROKER_URL": redis_server.url, "CELERY_RESULT_BACKEND": redis_server.url}
        port = free_port()
        web = oxy_process("web", PORT=str(port), BIND="127.0.0.1", WEB_CONCURRENCY="1", **broker)
        worker = oxy_process("worker", WORKER_QUEUES="inbound", WORKER_CONCURRENCY="2", **broker)
        try:
            base = f"http://127.0.0.1:{port}"
            assert wait_until(lambda: _answers(f"{base}/health"), timeout=30), "web server did not start"

            # given Redis stops, then a burst of messages arrives
            redis_server.stop()
            started = time.monotonic()
            statuses = []
            for n in range(5):
                body = evolution_fixture("messages-upsert-text")
                body["data"]["key"]["id"] = f"BURST{n}"
                statuses.append(
                    httpx.post(
                        f"{base}/webhooks/evolution/{committed_channel.token}/",
                        json=body,
                        headers={"X-Oxy-Webhook-Secret": "header-secret"},
                        timeout=10,
                    ).status_code
                )
            # then every delivery was answered, quickly, and is durable
            assert statuses == [200] * 5
            assert time.monotonic() - started < 5
            assert InboundEvent.objects.filter(route=committed_channel, status="pending").count() == 5

            # when Redis is back and the sweeper runs (as beat would)
            redis_server.start()
            sweeper = subprocess.run(
                [sys.executable, "manage.py", "shell", "-c",
                 "from whatsapp.tasks import sweep_inbox_task; print(sweep_inbox_task(older_than_s=0))"],
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "oxy.settings_test",
                     "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{settings.DATABASES['default']['NAME']}",
                     **broker},
                capture_output=True, text=True, check=True, timeout=60,
            )  # fmt: skip
            # (a publish the web had in flight when Redis came back may have queued some itself)
            assert int(sweeper.stdout.strip().splitlines()[-1]) in range(6)

            # then the worker processes every event, each message once
            assert wait_until(
                lambda: not InboundEvent.objects.filter(route=committed_channel, status="pending").exists(), timeout=30
            )
            with tenant_context(committed_alpha):
                assert Message.objects.filter(channel_id=committed_channel.channel_id).count() == 5
        finally:
            stop(web)
            stop(worker)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
