"""The processes we ship (web, the worker, the agents worker: `oxy.run`'s
dev layout), started for a benchmark on loopback with its own Redis prefix,
and stopped (their Redis keys removed) afterwards.

Import after `django.setup()`; set OXY_REDIS_PREFIX before it."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import redis
from django.conf import settings

from oxy.celery import app
from oxy.run import dev_processes

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def deployment(*, env: dict[str, str]) -> Iterator[str]:
    """Yields the web process's base URL once web and both workers answer."""
    port = free_port()
    overrides = {"PORT": str(port), "BIND": "127.0.0.1", "LOG_LEVEL": "WARNING", **env}
    processes = [process for process in dev_processes({**os.environ, **overrides}) if process[0] != "beat"]
    children = [
        subprocess.Popen(command, cwd=ROOT, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        for _name, command, child_env in processes
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: httpx.get(f"{base}/health", timeout=1).status_code == 200)
        _wait_for(lambda: len(app.control.ping(timeout=0.5)) >= len(processes) - 1)
        yield base
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter(f"{settings.OXY_REDIS_PREFIX}*"):
            client.delete(key)


def _wait_for(ready, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (httpx.TransportError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError("the deployment did not come up")
