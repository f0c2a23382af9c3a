"""One entrypoint for every process: `RUN_MODE=web|worker|beat python -m oxy`.

`python -m oxy dev` is the newcomer's start: it prepares the database,
provisions (or reuses) the demo shop, prints its login and runs web, worker
and beat in the foreground until one Ctrl-C stops them all.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from oxy.celery import QUEUE_NAMES

MODES = ("web", "worker", "beat")


def command_for(mode: str) -> list[str]:
    python = sys.executable
    if mode == "web":
        # Django runs each request's sync code on one thread per process, so
        # throughput comes from processes: WEB_CONCURRENCY of them.
        command = [
            python, "-m", "uvicorn", "oxy.asgi:application", "--host", os.environ.get("BIND", "0.0.0.0"),
            "--port", os.environ.get("PORT", "8000"), "--workers", os.environ.get("WEB_CONCURRENCY", "2"),
            "--proxy-headers", "--lifespan", "off",
        ]  # fmt: skip
        return command if os.environ.get("WEB_ACCESS_LOG") else [*command, "--no-access-log"]
    if mode == "worker":
        queues = os.environ.get("WORKER_QUEUES", ",".join(QUEUE_NAMES))
        concurrency = os.environ.get("WORKER_CONCURRENCY", "4")
        # Threads: most of our work waits on the network (LLM, WhatsApp).
        pool = os.environ.get("WORKER_POOL", "threads")
        return [
            python,
            "-m",
            "celery",
            "-A",
            "oxy",
            "worker",
            "-Q",
            queues,
            "-c",
            concurrency,
            "-P",
            pool,
            "-l",
            "INFO",
        ]
    if mode == "beat":
        return [python, "-m", "celery", "-A", "oxy", "beat", "-l", "INFO"]
    raise ValueError(mode)


def run_one(mode: str) -> int:
    command = command_for(mode)
    os.execv(command[0], command)  # noqa: S606 - replace this process, signals go straight to it
    return 0  # not reached


def run_dev() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxy.settings")
    from oxy.devsetup import dev_prepare

    dev_prepare()
    children = {mode: subprocess.Popen(command_for(mode)) for mode in MODES}  # noqa: S603
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for mode, child in children.items():
            if child.poll() is not None:
                print(f"oxy: the {mode} process exited with code {child.returncode}; stopping the others")
                exit_code, stopping = child.returncode or 1, True
        time.sleep(0.3)
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 10
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    print("oxy: stopped")
    return exit_code


def main(argv: Sequence[str]) -> int:
    mode = argv[0] if argv else os.environ.get("RUN_MODE", "")
    if mode == "dev":
        return run_dev()
    if not mode:
        if os.environ.get("APP_ENV", "development") == "production":
            print("oxy: RUN_MODE is not set; set RUN_MODE to one of web, worker, beat", file=sys.stderr)
            return 2
        mode = "web"
    if mode not in MODES:
        print(f"oxy: unknown RUN_MODE '{mode}'; use one of web, worker, beat", file=sys.stderr)
        return 2
    return run_one(mode)
