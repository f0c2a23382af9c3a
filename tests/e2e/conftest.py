"""End-to-end tests: the real server (uvicorn: pages and WebSockets) and a
real Celery worker as separate processes on the test database, driven by
Debian's headless Chromium through Playwright.

A shop of their own ("e2e") keeps what these tests commit away from the
other tests; it is dropped at the end. Screenshots of each test's last page
are saved under `.artifacts/e2e/` (or $OXY_E2E_ARTIFACTS), never committed.
"""

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context
from playwright.sync_api import Browser, Page, sync_playwright

from tenants.models import Organization
from tenants.services import organization_provision
from tests.fixtures.processes import free_port, oxy_process, stop

CHROMIUM = "/usr/bin/chromium"
SLUG, OWNER_EMAIL, OWNER_PASSWORD = "e2e", "owner@e2e.test", "e2e-owner-password"
ARTIFACTS = Path(os.environ.get("OXY_E2E_ARTIFACTS", Path(settings.BASE_DIR) / ".artifacts" / "e2e"))


@pytest.fixture(scope="session")
def e2e_shop(django_db_setup, django_db_blocker) -> Iterator[Organization]:
    with django_db_blocker.unblock():
        organization_provision(
            name="Pet Shop E2E", slug=SLUG, owner_email=OWNER_EMAIL, owner_phone="+5511987650003",
            created_by_name="Test Harness", created_by_email="harness@oxy.test", owner_password=OWNER_PASSWORD,
        )  # fmt: skip
        organization = Organization.objects.get(slug=SLUG)
        yield organization
        organization.auto_drop_schema = True
        organization.delete(force_drop=True)


def _wait_for_port(port: int, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {stop(process)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not listen on {port}: {stop(process)}")


@pytest.fixture(scope="session")
def server(e2e_shop) -> Iterator[str]:
    """The shop's address on a running server, with a worker behind it."""
    port = free_port()
    # Their own queues: the test process's worker (started by other tests
    # in the session) must not take the browser's tasks, nor theirs its own.
    fast = {"OXY_REPLY_DEBOUNCE_S": "0.3", "OXY_REDIS_PREFIX": f"{settings.OXY_REDIS_PREFIX}-e2e"}
    web = oxy_process("web", PORT=str(port), BIND="127.0.0.1", WEB_CONCURRENCY="1", **fast)
    worker = oxy_process("worker", WORKER_CONCURRENCY="6", WORKER_NAME="e2e@%h", **fast)
    try:
        _wait_for_port(port, web)
        yield f"http://{SLUG}.{settings.OXY_BASE_DOMAIN}:{port}"
    finally:
        stop(web)
        stop(worker)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Per module: Playwright's sync API keeps an event loop running in this
    thread while it is started, which the rest of the suite must not inherit."""
    # While it runs, the test's own ORM calls (setting up data, checking it)
    # are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            # Every shop host is this machine; no background calls to the (closed) internet.
            args=[f"--host-resolver-rules=MAP *.{settings.OXY_BASE_DOMAIN} 127.0.0.1", "--no-sandbox",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield chromium
        chromium.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def new_page(browser, server, request):
    """`new_page()`: a fresh browser window (its own cookies) on the shop's host."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(base_url=server, locale="pt-BR", viewport={"width": 1280, "height": 860})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for n, context in enumerate(contexts):
        for m, shown in enumerate(context.pages):
            shown.screenshot(path=ARTIFACTS / f"{request.node.name}-{n}{m}.png", full_page=True)
        context.close()


@pytest.fixture
def shop_data(e2e_shop, committed_db):
    """`shop_data(function, *args)`: run it inside the e2e shop's schema,
    committed (the server sees it)."""

    def in_shop(function, *args, **kwargs):
        with tenant_context(e2e_shop):
            return function(*args, **kwargs)

    return in_shop


def sign_in(page: Page, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD) -> Page:
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox/")
    page.wait_for_selector('#live-state[data-live="on"]')  # the socket is open: live from here on
    return page
