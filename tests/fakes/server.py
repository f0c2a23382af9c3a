"""A tiny loopback HTTP server to build provider fakes on (standard library only).

`FakeServer` runs a `ThreadingHTTPServer` on 127.0.0.1, port 0 (the OS picks a
free port), in a daemon thread. Subclasses declare their routes with `@route`
and answer with `Reply`; the base records every request and plays scripted
trouble before the route runs:

    with FakeEvolution(global_api_key="k") as fake:     # any subclass
        fake.base_url                                   # "http://127.0.0.1:54321"
        fake.fail_next(status=503, times=2)             # next 2 requests get 503
        fake.delay_next(2.0)                            # next request answers 2 s late
        fake.hold_reply_next(30.0)                      # next request is handled, its answer held
        fake.disconnect_next()                          # next request: connection dropped
        fake.requests[-1].json                          # what the client sent

Scripted failures, delays and disconnects can be limited to one route with
`path=` (a substring of the request path). A failed request is recorded but
never reaches the route, so it changes no state, like a proxy answering 503.

Route handlers run under the fake's lock, one at a time, so fakes keep plain
dicts as state. A handler that must answer late (Evolution's `delay`) returns
`Reply(..., wait=seconds)`: the wait happens outside the lock.

Webhooks the fakes send go through a `Transport`: a callable
`(url, body_bytes, headers) -> status`. The default posts over HTTP with
urllib; `django_client_transport(client)` sends them into a Django test client
instead, in the calling thread, so they see the test's transaction.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

Transport = Callable[[str, bytes, dict[str, str]], int]


@dataclass
class RecordedRequest:
    """One request as the fake received it. Header names are lower-case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    at: float = field(default_factory=time.time)
    response_status: int | None = None  # set once answered; None if dropped or still running


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    wait: float = 0.0  # seconds to hold the response (outside the lock)

    @classmethod
    def json(cls, status: int, payload: Any, **kwargs: Any) -> Reply:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode(), **kwargs)


def route(method: str, template: str) -> Callable:
    """Mark a method as the handler of `METHOD /path/{param}/...`.

    Path parameters match one segment and reach the handler as keyword
    arguments, URL-decoded: `handler(self, request, **params) -> Reply`.
    """

    def mark(func: Callable) -> Callable:
        func._fake_route = (method.upper(), template)  # type: ignore[attr-defined]
        return func

    return mark


def _compile(template: str) -> re.Pattern:
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template.rstrip("/"))
    return re.compile(f"^{pattern}/?$")


@dataclass
class _Scripted:
    times: int
    path: str | None
    status: int = 0
    body: Any = None
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.path is None or self.path in path


def _take(queue: deque[_Scripted], path: str) -> _Scripted | None:
    """The first scripted item matching `path`, consuming one of its `times`."""
    for item in queue:
        if item.matches(path):
            item.times -= 1
            if item.times <= 0:
                queue.remove(item)
            return item
    return None


class FakeServer:
    """Base class: lifecycle, request log, scripted trouble and routing."""

    _routes: list[tuple[str, re.Pattern, str]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._routes = [
            (func._fake_route[0], _compile(func._fake_route[1]), name)
            for klass in reversed(cls.__mro__)
            for name, func in vars(klass).items()
            if hasattr(func, "_fake_route")
        ]

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._failures: deque[_Scripted] = deque()
        self._delays: deque[_Scripted] = deque()
        self._held_replies: deque[_Scripted] = deque()
        self._disconnects: deque[_Scripted] = deque()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), _Handler, fake=self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within 50 ms
            name=f"{type(self).__name__}-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping in delay_next / Reply.wait
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running: use `with` or call start()")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripted trouble --------------------------------------------------

    def fail_next(self, status: int = 503, times: int = 1, body: Any = None, path: str | None = None) -> None:
        """Answer the next `times` requests (matching `path`) with `status`.

        `body` (JSON-able) replaces the fake's usual error body for that status.
        """
        with self._lock:
            self._failures.append(_Scripted(times=times, path=path, status=status, body=body))

    def delay_next(self, seconds: float, times: int = 1, path: str | None = None) -> None:
        """Hold the next `times` requests for `seconds` before handling them
        (set the client's timeout below it to simulate a timeout)."""
        with self._lock:
            self._delays.append(_Scripted(times=times, path=path, seconds=seconds))

    def hold_reply_next(self, seconds: float, times: int = 1, path: str | None = None) -> None:
        """Handle the next `times` requests (their effects happen) but hold the
        answers for `seconds`: a client that dies meanwhile never learns of them."""
        with self._lock:
            self._held_replies.append(_Scripted(times=times, path=path, seconds=seconds))

    def disconnect_next(self, times: int = 1, path: str | None = None) -> None:
        """Close the connection on the next `times` requests without answering."""
        with self._lock:
            self._disconnects.append(_Scripted(times=times, path=path))

    def failure_body(self, status: int) -> Any:
        """The JSON body of a scripted failure; subclasses speak their API's error shape."""
        return {"status": status, "error": HTTPStatus(status).phrase}

    # -- request log -------------------------------------------------------

    def requests_to(self, path_contains: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r for r in self.requests if path_contains in r.path and (method is None or r.method == method.upper())
            ]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- routing -----------------------------------------------------------

    def not_found(self, request: RecordedRequest) -> Reply:
        return Reply.json(404, self.failure_body(404))

    def _dispatch(self, request: RecordedRequest) -> Reply:
        for method, pattern, name in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                params = {key: unquote(value) for key, value in match.groupdict().items()}
                with self._lock:
                    return getattr(self, name)(request, **params)
        return self.not_found(request)

    def _serve(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        body = _read_body(handler)
        headers = {key.lower(): value for key, value in handler.headers.items()}
        request = RecordedRequest(
            method=handler.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            json=_parse_json(body),
        )
        with self._lock:
            self.requests.append(request)
            disconnect = _take(self._disconnects, request.path)
            delay = _take(self._delays, request.path)
            held = _take(self._held_replies, request.path)
            failure = _take(self._failures, request.path)
        if disconnect is not None:
            handler.close_connection = True
            return
        if delay is not None and self._stopping.wait(delay.seconds):
            return
        if failure is not None:
            body_json = failure.body if failure.body is not None else self.failure_body(failure.status)
            reply = Reply.json(failure.status, body_json)
        else:
            reply = self._dispatch(request)
        wait = reply.wait + (held.seconds if held is not None else 0.0)
        if wait and self._stopping.wait(wait):
            return
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(reply.body)
        request.response_status = reply.status


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, fake: FakeServer) -> None:
        self.fake = fake
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is part of the script, not an error.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "OxyFake/1"
    timeout = 10  # idle keep-alive connections end, so their threads do too
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def _handle(self) -> None:
        self.server.fake._serve(self)  # type: ignore[attr-defined]

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()  # blank line after the last chunk (no trailers expected)
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


# -- webhook transports ----------------------------------------------------


def urllib_transport(url: str, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> int:
    """POST over real HTTP (for a live server); returns the HTTP status."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - tests only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def django_client_transport(client: Any) -> Transport:
    """Deliver webhooks into a `django.test.Client` (path of the URL only; the
    client's own defaults, e.g. HTTP_HOST, stay). Runs in the caller's thread."""

    def send(url: str, body: bytes, headers: dict[str, str]) -> int:
        split = urlsplit(url)
        path = split.path + (f"?{split.query}" if split.query else "")
        content_type = "application/json"
        meta = {}
        for key, value in headers.items():
            if key.lower() == "content-type":
                content_type = value
            else:
                meta["HTTP_" + key.upper().replace("-", "_")] = value
        return client.post(path, body, content_type=content_type, **meta).status_code

    return send
