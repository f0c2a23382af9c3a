"""The whole spine on loopback for a benchmark: a fake Evolution API (the
real client sends to it), a fake OpenAI-compatible server, the environment
the processes we ship run with (their own Redis prefix, the reply pause set
to 0 so what is measured is our own work), and a bench shop's Evolution
number that new customers write to.

Import first: it sets the environment and calls `django.setup()`."""

import itertools
import json
import os
import time
import uuid
from copy import copy
from pathlib import Path

from tests.fakes import FakeEvolution, FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent

EVOLUTION, LLM = FakeEvolution().start(), FakeOpenAI(api_key=None, default_reply="Oi! Posso ajudar, sim.").start()
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "oxy.settings",
    "DEBUG": "false",  # measure what production runs
    "OXY_REDIS_PREFIX": f"oxy-bench-{uuid.uuid4().hex[:6]}",
    "OXY_REPLY_DEBOUNCE_S": "0",
    "OXY_LLM_API_KEY": "bench-key",
    "OXY_LLM_BASE_URL": f"{LLM.base_url}/v1",
    "EVOLUTION_API_URL": EVOLUTION.base_url,
    "EVOLUTION_API_KEY": EVOLUTION.global_api_key,
}
os.environ.update(BENCH_ENV)

import django  # noqa: E402

django.setup()

from django_tenants.utils import tenant_context  # noqa: E402

from bookings.models import Customer  # noqa: E402
from whatsapp.inbox.models import ChannelRoute  # noqa: E402
from whatsapp.models import Channel, Conversation, Message  # noqa: E402

# New customers' numbers, unique across the shops of one run (replies are told apart by number).
_NEW_NUMBERS = itertools.count(70000001)
FIXTURE = ROOT.parent / "shared" / "fixtures" / "evolution" / "messages-upsert-text.json"


def fakes_stop() -> None:
    EVOLUTION.stop()
    LLM.stop()


class Shop:
    """The bench shop's Evolution number, and customers writing to it."""

    def __init__(self, organization) -> None:
        self.organization = organization
        self.instance, self.secret, token = f"bench-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex, uuid.uuid4().hex
        EVOLUTION.add_instance(self.instance, token=token, state="open", number="5511987654321")
        with tenant_context(organization):
            self.channel = Channel.objects.create(
                name="bench",
                provider="evolution",
                external_id=self.instance,
                credentials=token,
                state="connected",
                sends_per_minute=10_000,  # the per-number safety rate would throttle a benchmark
            )
        self.route = ChannelRoute.objects.create(
            provider="evolution", external_id=self.instance, organization=organization, channel_id=self.channel.pk,
            token=uuid.uuid4().hex, webhook_secret=self.secret, provider_token=token,
        )  # fmt: skip
        self.path = f"/webhooks/evolution/{self.route.token}/"
        self.template = json.loads(FIXTURE.read_text())
        self.old_customers = 0

    def webhook(self, number: str = "") -> tuple[str, str]:
        """A customer's message (a new customer's unless `number` is given): (their number, the body)."""
        if not number:
            number = f"55119{next(_NEW_NUMBERS):08d}"
        body = json.loads(json.dumps(self.template))
        body["instance"], body["apikey"] = self.instance, self.route.provider_token
        key = body["data"]["key"]
        key.pop("remoteJidAlt")
        key["remoteJid"], key["id"] = f"{number}@s.whatsapp.net", f"BENCH{uuid.uuid4().hex[:16].upper()}"
        body["data"]["messageTimestamp"] = int(time.time())
        return number, json.dumps(body)

    def store_history(self, *, total: int) -> None:
        """Old conversations until the shop holds `total` messages (100 per customer)."""
        with tenant_context(self.organization):
            missing = total - Message.objects.count()
            for start in range(0, missing, 100):
                self.old_customers += 1
                customer = Customer.objects.create(name="Old", phone=f"+55219{80000000 + self.old_customers:08d}")
                conversation = Conversation.objects.create(customer=customer, channel=self.channel,
                                                           address=customer.phone.lstrip("+"))  # fmt: skip
                said = Message(conversation=conversation, channel=self.channel, direction="in",
                               sender_kind="customer", text="mensagem antiga", status="received")  # fmt: skip
                answered = Message(conversation=conversation, channel=self.channel, direction="out",
                                   sender_kind="bot", text="resposta antiga", status="read")  # fmt: skip
                count = min(100, missing - start)
                Message.objects.bulk_create([copy(answered if n % 2 else said) for n in range(count)])


def replies_received_at(waiting: dict[str, float], *, timeout: float) -> dict[str, float]:
    """When the fake Evolution received a reply to each number (the first
    one after the time given for it). Polls gently: the fakes share this
    process, and a busy loop here would slow them down."""
    received: dict[str, float] = {}
    seen = 0
    deadline = time.monotonic() + timeout
    while len(received) < len(waiting):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(waiting) - len(received)} replies missing after {timeout} s")
        sends = EVOLUTION.requests_to("/message/sendText/")
        for request in sends[seen:]:
            number = (request.json or {}).get("number")
            if number in waiting and number not in received and request.at > waiting[number]:
                received[number] = request.at
        seen = len(sends)
        time.sleep(0.002)
    return received
