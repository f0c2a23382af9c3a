"""Structured, redacted logs.

Every line names the request, shop, conversation and task it belongs to.
Those ids live in one context variable: it follows a request into the
threads Django runs sync code on, and a Celery task from the request that
queued it (through a message header). Secrets are masked and customer
message bodies left out before any handler sees a record, whatever the
format (`LOG_FORMAT=json`, one object a line, or `plain` for people).
"""

import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
TASK_REQUEST_ID_HEADER = "oxy_request_id"
CONTEXT_FIELDS = ("request_id", "tenant", "conversation", "task_id", "task_name")
# What a request learns late (its shop) and the event loop must still see.
_SHARED = "_request"
REDACTED = "[redacted]"

_log_context: ContextVar[dict] = ContextVar("oxy_log_context", default={})  # noqa: B039 - never mutated


def log_context_enter(**values):
    """`log_context` for hooks that open and close in separate calls (Celery's
    task_prerun/task_postrun): returns the token `log_context_exit` needs."""
    return _log_context.set(_log_context.get() | {k: v for k, v in values.items() if v is not None})


def log_context_exit(token) -> None:
    _log_context.reset(token)


@contextmanager
def log_context(**values) -> Iterator[None]:
    """Name what the code inside is working on in every line it logs."""
    token = log_context_enter(**values)
    try:
        yield
    finally:
        log_context_exit(token)


def current_request_id() -> str | None:
    return _log_context.get().get("request_id")


# Redaction. Patterns cover what this code base handles: its own API keys,
# Fernet tokens (oxy.crypto), bearer tokens, OpenAI-style keys, webhook route
# tokens in URLs, and `name=value` pairs whose name says secret.
_SECRET_NAME = re.compile(r"secret|token|password|passwd|api[_-]?key|apikey|authorization|credential", re.I)
_BODY_NAMES = frozenset({"body", "text", "message_text", "caption", "content", "transcript"})
_PATTERNS = [
    (re.compile(r"\boxy_[0-9a-f]{8}\.[A-Za-z0-9_\-]+"), "oxy_" + REDACTED),
    (re.compile(r"\bgAAAAA[A-Za-z0-9_\-]{20,}={0,2}"), REDACTED),
    (re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/\-]+=*", re.I), r"\1 " + REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"), REDACTED),
    (re.compile(r"(/webhooks/[a-z]+/)[A-Za-z0-9_\-]{8,}"), r"\1" + REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9_\-]+"), "whsec_" + REDACTED),
    # A Slack incoming webhook's path is its secret.
    (re.compile(r"(hooks\.slack\.com/services/)[A-Za-z0-9/_\-]+"), r"\1" + REDACTED),
    (
        re.compile(
            r"""(?P<name>[\w\-]*(?:secret|token|password|passwd|api[_\-]?key|apikey|authorization|credentials?)[\w\-]*)"""
            r"""(?P<sep>["']?\s*[:=]\s*["']?)(?P<value>[^\s"',;&}\]]+)""",
            re.I,
        ),
        r"\g<name>\g<sep>" + REDACTED,
    ),
]


def redact_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _bodies_allowed() -> bool:
    return getattr(settings, "OXY_LOG_MESSAGE_BODIES", False)


def redact_value(value, *, name: str = ""):
    """A copy of `value` safe to log: secrets by name or by shape, and
    message bodies unless OXY_LOG_MESSAGE_BODIES is on."""
    if name and _SECRET_NAME.search(name) and not name.endswith(("tokens", "_count")):
        return REDACTED
    if name.lower() in _BODY_NAMES and value and not _bodies_allowed():
        return f"[{len(str(value))} chars]"
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact_value(item, name=str(key)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


# uvicorn's color_message repeats the message with terminal colours.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "color_message",
    *CONTEXT_FIELDS,
}


class ContextFilter(logging.Filter):
    """Stamps the ids on every record. The shop comes from the database
    connection when this thread is in one (tasks, commands, request threads),
    else from what the request bound (uvicorn's access line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _log_context.get()
        schema = getattr(connection, "schema_name", None)
        late = context.get(_SHARED, {}).get("tenant")
        bound = context.get("tenant", late)
        record.tenant = schema if schema and schema != "public" else bound or schema or "public"
        for field in ("request_id", "conversation", "task_id", "task_name"):
            setattr(record, field, context.get(field))
        return True


class RedactingFilter(logging.Filter):
    """Rewrites a record in place so no handler can print a secret or a
    customer's words: the message is rendered and masked, extras are
    masked by name, and the traceback is rendered once and masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string still deserves a line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact_text(message), None
        for name in set(record.__dict__) - _RECORD_ATTRIBUTES:
            setattr(record, name, redact_value(getattr(record, name), name=name))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {field: getattr(record, field, None) for field in CONTEXT_FIELDS}
        for name in set(record.__dict__) - _RECORD_ATTRIBUTES:
            value = getattr(record, name)
            if isinstance(value, str | int | float | bool | dict | list) or value is None:
                entry.setdefault(name, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


# A caller's id is kept only if it looks like an id: it lands in every line.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")


def _kept_or_new_request_id(incoming: str) -> str:
    return incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _request_id_for(request: HttpRequest) -> str:
    return _kept_or_new_request_id(request.headers.get(REQUEST_ID_HEADER, ""))


class RequestIdMiddleware:
    """Gives each request an id (the caller's X-Request-ID when sane), binds
    it for every line the request logs, and echoes it in the response."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = _request_id_for(request)
        # Django logs a response's error status after the middleware returns:
        # the id stays bound until the server closes the response.
        token = log_context_enter(request_id=request.request_id)
        response = self.get_response(request)
        response._resource_closers.append(lambda: log_context_exit(token))
        tenant = getattr(request, "tenant", None)
        shared = _log_context.get().get(_SHARED)
        if tenant is not None and shared is not None:
            shared["tenant"] = tenant.schema_name
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class RequestIdAsgiMiddleware:
    """Around the WSGI adapter in oxy/asgi.py. uvicorn writes its access line
    on the event loop, outside the thread Django runs in: the id is bound
    here (Django's middleware keeps it, the header now being sane), and
    Django's middleware reports the shop back through a per-request dict."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = _kept_or_new_request_id(dict(scope["headers"]).get(b"x-request-id", b"").decode("latin1"))
        headers = [(name, value) for name, value in scope["headers"] if name != b"x-request-id"]
        scope = scope | {"headers": [*headers, (b"x-request-id", request_id.encode())]}
        with log_context(request_id=request_id, **{_SHARED: {}}):
            return await self.app(scope, receive, send)
