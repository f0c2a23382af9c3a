"""Tokens benchmark: the prompt of one customer turn after a long conversation.

    .venv/bin/python bench/tokens.py [--history 50]

A bench shop's customer with two pets and two bookings has exchanged
`--history` messages with the attendant (realistic Portuguese lengths), then
writes once more; the turn runs through the real SDK against the loopback
OpenAI-compatible server, which counts tokens as ceil(characters of the
request's messages and tools, as compact JSON, / 4) — a little above what
gpt-4o-mini's tokenizer gives for Portuguese. In the same run the baseline:
the same turn with no history (the stable prefix: rules, shop, customer,
tools). Goal: ≤ 2,500 prompt tokens.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.spine import LLM, fakes_stop  # noqa: E402 - first: it sets up Django

# isort: split
import argparse
import json
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import tenant_context

from agents.models import AIInteraction
from agents.services import conversation_reply
from bench.shop import bench_shop
from bookings.models import Booking, Customer, Pet, Service
from whatsapp.models import Channel, Conversation, Message

CUSTOMER_SAYS = [
    "Oi, boa tarde! Queria saber se tem horário pra banho e tosa essa semana",
    "É pro Thor, ele é um golden de porte grande",
    "Quinta de manhã seria ótimo, tem como?",
    "Quanto fica o banho com tosa higiênica?",
    "Perfeito, pode marcar o das 9h então",
]
BOT_SAYS = [
    "Boa tarde! Claro, tenho horários para banho e tosa. Para o Thor, porte G, o banho com tosa higiênica fica "
    "R$ 120,00 e leva cerca de 90 minutos. Tenho quinta às 9h, às 10h30 e sexta às 14h. Qual prefere?",
    "Agendado! Banho e tosa do Thor na quinta, 9h. Se precisar remarcar, é só me chamar por aqui.",
]


def turn_prompt_tokens(*, channel: Channel, customer: Customer, history: int) -> int:
    conversation = Conversation.objects.create(customer=customer, channel=channel, address=customer.phone)
    start = timezone.now() - timedelta(hours=3)
    Message.objects.bulk_create(
        Message(conversation=conversation, channel=channel, direction="in" if n % 2 == 0 else "out",
                sender_kind="customer" if n % 2 == 0 else "bot",
                text=CUSTOMER_SAYS[n // 2 % len(CUSTOMER_SAYS)] if n % 2 == 0 else BOT_SAYS[n // 2 % len(BOT_SAYS)],
                status="received" if n % 2 == 0 else "read")
        for n in range(history)
    )  # fmt: skip
    Message.objects.filter(conversation=conversation).update(created_at=start)
    latest = Message.objects.create(
        conversation=conversation, channel=channel, direction="in", sender_kind="customer",
        text="E quanto fica a vacina V10?", status="received",
    )  # fmt: skip
    Conversation.objects.filter(pk=conversation.pk).update(reply_due_at=timezone.now())
    conversation_reply(conversation_id=conversation.pk)
    tokens = AIInteraction.objects.get(answers_message=latest).prompt_tokens
    conversation.delete()
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=50)
    args = parser.parse_args()
    try:
        with bench_shop("tokens") as organization, tenant_context(organization):
            channel = Channel.objects.create(name="bench", provider="sandbox", external_id="bench-tokens",
                                             state="connected")  # fmt: skip
            customer = Customer.objects.create(name="Mariana Costa", phone="+5511978123456")
            bath = Service.objects.filter(category=Service.Category.BATH).first()
            for days, (name, size) in enumerate([("Thor", "G"), ("Luna", "P")], start=3):
                pet = Pet.objects.create(customer=customer, name=name, species="dog", size=size)
                start, end = timezone.now() + timedelta(days=days), timezone.now() + timedelta(days=days, hours=1)
                resource = bath.resources.first()
                Booking.objects.create(customer=customer, pet=pet, service=bath, resource=resource, start=start,
                                       end=end, occupied_until=end, price=bath.price, source="ai")  # fmt: skip
            baseline = turn_prompt_tokens(channel=channel, customer=customer, history=0)
            prompt = turn_prompt_tokens(channel=channel, customer=customer, history=args.history)
            kept = sum(1 for message in LLM.last_messages() if message["role"] in {"user", "assistant"})
    finally:
        fakes_stop()
    print(json.dumps({
        "bench": "tokens",
        "prompt_tokens": prompt,
        "history_messages": args.history,
        "history_messages_sent": kept,
        "baseline_no_history_tokens": baseline,
        "ratio": round(prompt / baseline, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
