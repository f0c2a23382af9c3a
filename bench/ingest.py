"""Webhook ingest benchmark.

    .venv/bin/python bench/ingest.py [--seconds 5] [--concurrency 16]

Starts the web process we ship (`RUN_MODE=web python -m oxy`), then drives
it from a separate load process on loopback: the Evolution webhook with a
realistic `messages.upsert` (a new message id every request), and, in the
same run, an empty view on the same server (`/ping`: host resolution and
the whole middleware stack, no work) as the baseline. Then the webhook at a fixed 500 requests/s. Prints one JSON line.
The bench shop, its events and its Redis keys are removed afterwards.
"""

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxy.settings")
os.environ.setdefault("DEBUG", "false")  # measure what production runs
RUN_PREFIX = f"oxy-bench-{uuid.uuid4().hex[:6]}"
os.environ["OXY_REDIS_PREFIX"] = RUN_PREFIX

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from bench.shop import bench_shop  # noqa: E402
from whatsapp.inbox.models import ChannelRoute, InboundEvent  # noqa: E402
from whatsapp.models import Channel  # noqa: E402

FIXTURE = ROOT.parent / "shared" / "fixtures" / "evolution" / "messages-upsert-text.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load(url: str, *extra: str) -> dict:
    command = [sys.executable, str(ROOT / "bench" / "loadgen.py"), url, *extra]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    with bench_shop("ingest") as organization:
        body = json.loads(FIXTURE.read_text())
        instance, header_secret = f"bench-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(24)
        body["instance"] = instance
        body["data"]["key"]["id"] = "BENCH{n}"
        with tenant_context(organization):
            channel = Channel.objects.create(name="bench", provider="evolution", external_id=instance,
                                             credentials=body["apikey"], state="connected")  # fmt: skip
        route = ChannelRoute.objects.create(
            provider="evolution", external_id=instance, organization=organization, channel_id=channel.pk,
            token=secrets.token_urlsafe(16), webhook_secret=header_secret, provider_token=body["apikey"],
        )  # fmt: skip
        body_file = Path(tempfile.mkstemp(suffix=".json")[1])
        body_file.write_text(json.dumps(body))

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "oxy"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "RUN_MODE": "web", "PORT": str(port), "BIND": "127.0.0.1", "LOG_LEVEL": "WARNING"},
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            webhook = (
                f"{base}/webhooks/evolution/{route.token}/",
                "--method",
                "POST",
                "--body-file",
                str(body_file),
                "--header",
                "Content-Type: application/json",
                "--header",
                f"X-Oxy-Webhook-Secret: {header_secret}",
            )
            timing = ("--seconds", str(args.seconds))
            load(f"{base}/health", "--concurrency", "4", "--seconds", "1")  # warm up
            empty = load(f"{base}/ping", "--concurrency", str(args.concurrency), *timing)
            hook = load(*webhook, "--concurrency", str(args.concurrency), *timing)
            at_500 = load(*webhook, "--rate", "500", *timing)
            stored = InboundEvent.objects.filter(route=route).count()
        finally:
            server.terminate()
            server.wait(timeout=30)
            body_file.unlink()
            InboundEvent.objects.filter(route=route).delete()
            route.delete()
            client = redis.Redis.from_url(settings.REDIS_URL)
            for key in client.scan_iter(f"{RUN_PREFIX}*"):
                client.delete(key)

    print(json.dumps({
        "bench": "ingest",
        "webhook_rps": hook["rps"],
        "empty_rps": empty["rps"],
        "ratio": round(hook["rps"] / empty["rps"], 2),
        "webhook_p50_ms": hook["p50_ms"],
        "webhook_p99_ms": hook["p99_ms"],
        "p99_at_500rps_ms": at_500["p99_ms"],
        "achieved_rps_at_500": at_500["rps"],
        "events_stored": stored,
        "statuses": {"webhook": hook["statuses"], "at_500": at_500["statuses"]},
    }))  # fmt: skip


if __name__ == "__main__":
    main()
