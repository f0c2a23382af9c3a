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
from collections.abc import Mapping, Sequence

from oxy.celery import QUEUE_NAMES

MODES = ("web", "worker", "beat")
# An LLM turn waits seconds on the network: the agents queue gets its own
# worker with many threads, so slow turns never hold up inbound and outbound.
# Each turn holds a database connection: the pool must be as large.
AGENTS_WORKER = {"WORKER_QUEUES": "agents", "WORKER_CONCURRENCY": "24", "DB_POOL_MAX_SIZE": "24"}
OTHER_WORKER = {"WORKER_QUEUES": ",".join(q for q in QUEUE_NAMES if q != "agents")}


def command_for(mode: str, env: Mapping[str, str] = os.environ) -> list[str]:
    python = sys.executable
    if mode == "web":
        # Django runs each request's sync code on one thread per process, so
        # throughput comes from processes: WEB_CONCURRENCY of them.
        command = [
            python, "-m", "uvicorn", "oxy.asgi:application", "--host", env.get("BIND", "0.0.0.0"),
            "--port", env.get("PORT", "8000"), "--workers", env.get("WEB_CONCURRENCY", "2"),
            "--proxy-headers", "--lifespan", "off",
        ]  # fmt: skip
        return command if env.get("WEB_ACCESS_LOG") else [*command, "--no-access-log"]
    if mode == "worker":
        queues = env.get("WORKER_QUEUES", ",".join(QUEUE_NAMES))
        concurrency = env.get("WORKER_CONCURRENCY", "4")
        name = env.get("WORKER_NAME", "worker@%h")
        # Threads: most of our work waits on the network (LLM, WhatsApp).
        pool = env.get("WORKER_POOL", "threads")
        return [python, "-m", "celery", "-A", "oxy", "worker", "-Q", queues, "-c", concurrency, "-n", name,
                "-P", pool, "-l", "INFO"]  # fmt: skip
    if mode == "beat":
        return [python, "-m", "celery", "-A", "oxy", "beat", "-l", "INFO"]
    raise ValueError(mode)


def run_one(mode: str) -> int:
    command = command_for(mode)
    os.execv(command[0], command)  # noqa: S606 - replace this process, signals go straight to it
    return 0  # not reached


def dev_processes(base_env: Mapping[str, str] = os.environ) -> list[tuple[str, list[str], dict[str, str]]]:
    """What a whole deployment runs, as (name, command, environment). Python
    runs one thread at a time per process, so each worker kind runs one
    process per core (WORKER_PROCESSES), two at most by default: together
    their database pools stay under PostgreSQL's default 100 connections."""
    cores = int(base_env.get("WORKER_PROCESSES", min(os.cpu_count() or 1, 2)))
    workers = [
        (f"{kind} {n}", "worker", extra | {"WORKER_NAME": f"{kind.replace(' ', '-')}{n}@%h"})
        for kind, extra in [("worker", OTHER_WORKER), ("agents worker", AGENTS_WORKER)]
        for n in range(1, cores + 1)
    ]
    processes = []
    for name, mode, extra in [("web", "web", {}), *workers, ("beat", "beat", {})]:
        env = {**base_env, **extra}
        processes.append((name, command_for(mode, env), env))
    return processes


def run_dev() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxy.settings")
    from oxy.devsetup import dev_prepare

    dev_prepare()
    children = {name: subprocess.Popen(command, env=env) for name, command, env in dev_processes()}  # noqa: S603
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
