"""Fault injection: Oxy's real processes (web, worker, beat) on the test
database and a private Redis, talking over loopback to fakes of Evolution
and of an OpenAI-compatible LLM; the tests kill, stop and starve them.

`committed_channel`: alpha's Evolution number, committed, with its webhook
route; `stack`: starts processes pointed at the fakes and stops them all at
the end, whatever happened.
"""

import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from django_tenants.utils import tenant_context

from agents.models import AIInteraction
from bookings.models import Customer
from tests.conftest import wait_until
from tests.fakes import FakeEvolution, FakeOpenAI
from tests.fixtures.processes import OxyProcess, PrivateRedis, free_port, oxy_process, private_redis, stop
from tests.fixtures.whatsapp import EVOLUTION_INSTANCE, EVOLUTION_TOKEN, WEBHOOK_SECRET, connected_evolution_channel
from whatsapp.inbox.models import ChannelRoute, InboundEvent
from whatsapp.models import Message

GLOBAL_KEY = "evolution-global-key"
LLM_KEY = "test-key"
BOT_REPLY = "Olá! Sou a atendente virtual. Como posso ajudar?"
CUSTOMER_PREFIX = "5511978"  # every customer these tests invent: 5511978 + 6 digits
# Everything that waits does so briefly, so that a fault shows within seconds.
FAST = {
    "OXY_REPLY_DEBOUNCE_S": "0.2",
    "OXY_OUTBOUND_STALE_S": "2",
    "OXY_OUTBOUND_SWEEP_S": "1",
    "OXY_REPLY_STALE_S": "2",
    "OXY_REPLY_SWEEP_S": "1",
    "OXY_PROVIDER_TIMEOUT_S": "1",
    "OXY_SEND_RETRY_BASE_S": "0.1",
    "OXY_LLM_TIMEOUT_S": "1",
    "OXY_LLM_MAX_RETRIES": "1",
}


@pytest.fixture
def evolution_server() -> Iterator[FakeEvolution]:
    with FakeEvolution(global_api_key=GLOBAL_KEY) as fake:
        fake.add_instance(EVOLUTION_INSTANCE, token=EVOLUTION_TOKEN, state="open", number="5511974021188")
        yield fake


@pytest.fixture
def llm_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=LLM_KEY, default_reply=BOT_REPLY) as fake:
        yield fake


@pytest.fixture
def committed_channel(committed_alpha) -> Iterator[ChannelRoute]:
    """Alpha's Evolution channel, committed so the processes see it;
    everything it collects is removed afterwards."""
    channel, route = connected_evolution_channel(committed_alpha)
    yield route
    InboundEvent.objects.filter(route=route).delete()
    route.delete()
    with tenant_context(committed_alpha):
        AIInteraction.objects.filter(conversation__channel=channel).delete()
        Message.objects.filter(channel=channel).delete()
        channel.conversations.all().delete()
        channel.delete()
        Customer.objects.filter(identities__value__endswith="@s.whatsapp.net").delete()
        Customer.objects.filter(phone__startswith=f"+{CUSTOMER_PREFIX}").delete()


class Stack:
    """Oxy's processes of one test, on its private Redis, pointed at the fakes."""

    def __init__(self, redis: PrivateRedis, evolution: FakeEvolution, llm: FakeOpenAI) -> None:
        self.redis = redis
        self.env = {
            "CELERY_BROKER_URL": redis.url, "CELERY_RESULT_BACKEND": redis.url,
            "EVOLUTION_API_URL": evolution.base_url, "EVOLUTION_API_KEY": GLOBAL_KEY,
            "OXY_LLM_BASE_URL": f"{llm.base_url}/v1", "OXY_LLM_API_KEY": LLM_KEY, **FAST,
        }  # fmt: skip
        self.processes: list[OxyProcess] = []
        self.base_url = ""

    def start(self, mode: str, **env: str) -> OxyProcess:
        process = oxy_process(mode, **(self.env | env))
        self.processes.append(process)
        return process

    def worker(self, **env: str) -> OxyProcess:
        return self.start("worker", **({"WORKER_CONCURRENCY": "4"} | env))

    def web(self, **env: str) -> OxyProcess:
        port = free_port()
        process = self.start("web", PORT=str(port), BIND="127.0.0.1", WEB_CONCURRENCY="1", **env)
        self.base_url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: answers(f"{self.base_url}/health"), timeout=30), self.output(process)
        return process

    def kill(self, process: OxyProcess) -> None:
        """SIGKILL: no cleanup, no acknowledgement, like a lost machine."""
        process.kill()
        process.wait(timeout=10)

    def output(self, process: OxyProcess) -> str:
        return stop(process)[-4000:]

    def stop_all(self) -> None:
        for process in self.processes:  # all at once: each takes a moment to shut down
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            stop(process)


@pytest.fixture
def stack(evolution_server, llm_server) -> Iterator[Stack]:
    with private_redis() as redis:
        processes = Stack(redis, evolution_server, llm_server)
        try:
            yield processes
        finally:
            processes.stop_all()


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def customer_message(*, customer: int, text: str, message_id: str) -> dict:
    """An Evolution `messages.upsert` from customer number `customer`."""
    return {
        "event": "messages.upsert",
        "instance": EVOLUTION_INSTANCE,
        "data": {
            "key": {"remoteJid": f"{customer_number(customer)}@s.whatsapp.net", "fromMe": False, "id": message_id},
            "pushName": f"Cliente {customer}",
            "message": {"conversation": text},
            "messageType": "conversation",
            "messageTimestamp": int(time.time()),
        },
    }


def customer_number(customer: int) -> str:
    return f"{CUSTOMER_PREFIX}{customer:06d}"


def post_webhook(base_url: str, route: ChannelRoute, body: dict, *, timeout: float = 10) -> int:
    return httpx.post(
        f"{base_url}/webhooks/evolution/{route.token}/", json=body, headers={"X-Oxy-Webhook-Secret": WEBHOOK_SECRET},
        timeout=timeout,
    ).status_code  # fmt: skip


def replies_by_customer(evolution: FakeEvolution) -> Counter:
    """How many messages the provider accepted for each number."""
    return Counter(sent["key"]["remoteJid"].split("@")[0] for sent in evolution.sent_messages(EVOLUTION_INSTANCE))
