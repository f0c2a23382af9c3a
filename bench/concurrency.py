"""Concurrency benchmark: many customers at once while the LLM takes its time.

    .venv/bin/python bench/concurrency.py [--conversations 200] [--llm-latency 1.5]

The same spine as bench/pipeline.py (the processes we ship, a loopback
Evolution API, the reply pause at 0), with the loopback LLM answering every
call after `--llm-latency` seconds. The customers first talk to the shop
once (not timed: each becomes a known customer with a conversation, as most
of a shop's are); then all of them write at the same moment (one webhook
each, posted from 32 threads); a turn is answered when the fake Evolution
receives its reply. `turns_per_s`: turns answered over the time
from the first webhook to the last reply. `p95_extra_wait_s`: the 95th
percentile of (reply received − webhook posted − the LLM's latency), the
time a customer waited on us rather than on the model.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.spine import BENCH_ENV, LLM, Shop, fakes_stop, replies_received_at  # noqa: E402 - first: it sets up Django

# isort: split
import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.deployment import deployment
from bench.shop import bench_shop
from whatsapp.inbox.models import InboundEvent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--llm-latency", type=float, default=1.5)
    args = parser.parse_args()
    try:
        with bench_shop("concurrency") as organization:
            shop = Shop(organization)
            with deployment(env=BENCH_ENV) as base_url:
                client = httpx.Client(base_url=base_url, headers={"X-Oxy-Webhook-Secret": shop.secret})

                def post(webhook: tuple[str, str]) -> float:
                    posted = time.time()
                    client.post(shop.path, content=webhook[1], headers={"Content-Type": "application/json"})
                    return posted

                numbers = []
                for _ in range(args.conversations):  # first contact, at the zero-latency LLM
                    number, body = shop.webhook()
                    replies_received_at({number: post((number, body))}, timeout=30)
                    numbers.append(number)
                LLM.delay_next(args.llm_latency, times=10**6, path="/chat/completions")
                webhooks = [shop.webhook(number) for number in numbers]
                with ThreadPoolExecutor(32) as pool:
                    posted = list(pool.map(post, webhooks))
                received = replies_received_at(dict(zip(numbers, posted, strict=True)), timeout=300)
                replied = [received[number] for number in numbers]
                client.close()
            InboundEvent.objects.filter(route=shop.route).delete()
    finally:
        fakes_stop()
    extra = sorted(reply - sent - args.llm_latency for sent, reply in zip(posted, replied, strict=True))
    print(json.dumps({
        "bench": "concurrency",
        "turns_per_s": round(len(webhooks) / (max(replied) - min(posted)), 1),
        "llm_latency_s": args.llm_latency,
        "p95_extra_wait_s": round(extra[int(0.95 * (len(extra) - 1))], 2),
        "conversations": len(webhooks),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
