"""Logs are JSON lines naming their request, shop and task, and never
carry a secret or a customer's words."""

import io
import json
import logging
import re
import urllib.request

import pytest
from django_tenants.utils import tenant_context

from oxy.logging import JsonFormatter, log_context
from tenants.shop.tasks import shop_summary_task
from tests.conftest import ALPHA, wait_until
from tests.fixtures.processes import free_port, oxy_process, stop

ROUTE_TOKEN = "Zq8-secretRouteToken-4242"
CUSTOMER_WORDS = "quero marcar banho pro Thor amanhã"
API_KEY = "oxy_1a2b3c4d.Xs9dJqL0pWm3vTz8kRb2nYc5"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXX"
WEBHOOK_SECRET = "whsec_s3cr3t-value"


@pytest.fixture
def log_lines():
    """What the configured console handler writes (its real filters), as
    parsed JSON objects."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    buffer, formatter = io.StringIO(), handler.formatter
    stream = handler.setStream(buffer)
    handler.setFormatter(JsonFormatter())
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    handler.setStream(stream)
    handler.setFormatter(formatter)


def test_a_request_logs_its_id_and_shop_and_echoes_the_id(alpha, alpha_client, log_lines):
    response = alpha_client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-test-0001")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-test-0001"
    [line] = [line for line in log_lines() if line["logger"] == "django.request"]
    assert line["message"] == "Not Found: /no-such-page/"
    assert (line["level"], line["request_id"], line["tenant"]) == ("WARNING", "req-test-0001", "shop_alpha")
    assert set(line) >= {"timestamp", "conversation", "task_id", "task_name"}


def test_an_odd_incoming_request_id_is_replaced_by_a_fresh_one(alpha, alpha_client):
    response = alpha_client.get("/no-such-page/", HTTP_X_REQUEST_ID='x"; drop table')

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_secrets_and_message_bodies_are_masked_in_message_and_fields(log_lines, settings):
    logger = logging.getLogger("oxy.tests")
    with log_context(conversation=42):
        logger.warning(
            "calling with Authorization: Bearer abc.def-123 and key %s on /webhooks/evolution/%s/, then %s and %s",
            API_KEY,
            ROUTE_TOKEN,
            SLACK_URL,
            WEBHOOK_SECRET,
            extra={"text": CUSTOMER_WORDS, "headers": {"Api-Key": "k-123456", "accept": "json"}, "prompt_tokens": 7},
        )
    settings.OXY_LOG_MESSAGE_BODIES = True
    logger.warning("debugging", extra={"text": CUSTOMER_WORDS})

    masked, debugging = log_lines()
    output = json.dumps(masked)
    for secret in (API_KEY, ROUTE_TOKEN, "abc.def-123", "k-123456", CUSTOMER_WORDS, "T000/B000/XXXX", "s3cr3t-value"):
        assert secret not in output
    assert masked["conversation"] == 42
    assert masked["headers"] == {"Api-Key": "[redacted]", "accept": "json"}
    assert masked["prompt_tokens"] == 7  # a count, not a secret
    assert debugging["text"] == CUSTOMER_WORDS  # only when switched on


def test_a_task_logs_its_id_name_shop_and_the_request_that_queued_it(celery_worker, committed_alpha, log_lines):
    with log_context(request_id="req-task-0001"), tenant_context(committed_alpha):
        result = shop_summary_task.delay()
    result.get(timeout=10)

    def task_lines():
        return [line for line in log_lines() if line["task_id"] == result.id]

    assert wait_until(lambda: any("succeeded" in line["message"] for line in task_lines())), (
        task_lines() or log_lines()[-5:]
    )
    for line in task_lines():
        assert (line["task_name"], line["request_id"], line["tenant"]) == (
            "shop.summary",
            "req-task-0001",
            "shop_alpha",
        )


def test_the_web_process_logs_json_lines_with_ids_and_without_secrets(committed_alpha):
    port = free_port()
    web = oxy_process("web", LOG_FORMAT="json", WEB_ACCESS_LOG="1", WEB_CONCURRENCY="1", PORT=str(port))
    try:
        assert wait_until(lambda: _answers(port), timeout=60), "the web process did not start"
        page = _request(port, "/login/", host=ALPHA.host, headers={"X-Request-ID": "req-web-0001"})
        webhook = _request(
            port, f"/webhooks/evolution/{ROUTE_TOKEN}/", host="oxy.test",
            data=json.dumps({"data": {"message": {"conversation": CUSTOMER_WORDS}}}).encode(),
        )  # fmt: skip
    finally:
        output = stop(web)

    assert page.headers["X-Request-ID"] == "req-web-0001"
    assert webhook.status == 404
    assert re.fullmatch(r"[0-9a-f]{32}", webhook.headers["X-Request-ID"])
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert {"request_id": "req-web-0001", "tenant": "shop_alpha"}.items() <= access[-2].items()
    assert access[-1]["request_id"] == webhook.headers["X-Request-ID"]
    assert "/webhooks/evolution/[redacted]/" in access[-1]["message"]
    assert ROUTE_TOKEN not in output
    assert CUSTOMER_WORDS not in output


def _answers(port: int) -> bool:
    try:
        return _request(port, "/healthz", host="oxy.test").status < 500
    except OSError:
        return False


def _request(port: int, path: str, *, host: str, headers: dict | None = None, data: bytes | None = None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers={"Host": host, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            response.read()
            return response
    except urllib.error.HTTPError as error:
        return error
