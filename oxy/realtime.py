"""Live dashboard events over WebSockets (Channels).

django-tenants has no ASGI middleware, so `TenantWebsocketMiddleware`
resolves the shop from the Host header and authenticates the user from the
session cookie *inside that shop's schema*. Every database call re-enters
`tenant_context` because Channels runs them on shared worker threads whose
connection may point at another schema. Groups are named per shop, so an
event sent for one shop can never reach a socket opened on another's host.
"""

import asyncio
import os
import threading
from http.cookies import SimpleCookie
from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils.module_loading import import_string
from django_tenants.utils import get_public_schema_name, remove_www, tenant_context

EVENT_TYPES = frozenset(
    {
        "channel.pairing_code",
        "channel.qr",
        "channel.connected",
        "channel.disconnected",
        "message.received",
        "message.created",
        "message.status",
        "conversation.updated",
        "booking.created",
        "booking.updated",
        "aurora.notice",
    }
)


def dashboard_group_name(schema_name: str) -> str:
    return f"dashboard.{schema_name}"


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


@database_sync_to_async
def _tenant_and_user_for(hostname: str, session_key: str | None):
    from tenants.models import Domain, Organization

    connection.set_schema_to_public()
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    if domain is None or domain.tenant.schema_name == get_public_schema_name():
        return None, AnonymousUser()
    tenant = domain.tenant
    if tenant.status != Organization.Status.ACTIVE or not session_key:
        return tenant, AnonymousUser()
    with tenant_context(tenant):
        session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
        user = get_user(SimpleNamespace(session=session))
        if user.is_authenticated:
            user.role  # noqa: B018 - load while the shop's schema is active
    return tenant, user


class TenantWebsocketMiddleware:
    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        hostname = remove_www(_header(scope, b"host").split(":")[0])
        cookies = SimpleCookie(_header(scope, b"cookie"))
        morsel = cookies.get(settings.SESSION_COOKIE_NAME)
        tenant, user = await _tenant_and_user_for(hostname, morsel.value if morsel else None)
        return await self.inner({**scope, "tenant": tenant, "user": user}, receive, send)


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    """One socket per dashboard page; receives the shop's typed events."""

    async def connect(self) -> None:
        tenant, user = self.scope.get("tenant"), self.scope.get("user")
        if tenant is None or not user.is_authenticated or not user.role:
            await self.close(code=4403)
            return
        self.group_name = dashboard_group_name(tenant.schema_name)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def dashboard_event(self, message: dict) -> None:
        await self.send_json({"type": message["event"], "data": message["data"]})


def dashboard_event_send(*, event: str, data: dict) -> None:
    """Send a typed event to every dashboard of the current shop.

    The shop is the connection's current schema: callers run inside the
    shop's context (request, task), never choose another shop's group.
    """
    if event not in EVENT_TYPES:
        raise ValueError(f"unknown dashboard event type '{event}'")
    schema = connection.schema_name
    if schema == get_public_schema_name():
        raise RuntimeError("dashboard events belong to a shop; none is active")
    sending = get_channel_layer().group_send(
        dashboard_group_name(schema), {"type": "dashboard.event", "event": event, "data": data}
    )
    asyncio.run_coroutine_threadsafe(sending, _sender_loop()).result(timeout=SEND_TIMEOUT_S)


SEND_TIMEOUT_S = 5
_sender: tuple[int, asyncio.AbstractEventLoop] | None = None
_sender_lock = threading.Lock()


def _sender_loop() -> asyncio.AbstractEventLoop:
    """This process's event loop for sending from sync code, on a thread of
    its own. The channel layer keeps its Redis connections per loop: a fresh
    loop per event (`async_to_sync`) would connect to Redis for every event."""
    global _sender
    with _sender_lock:
        if _sender is None or _sender[0] != os.getpid():  # a forked child needs its own thread
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="dashboard-events", daemon=True).start()
            _sender = (os.getpid(), loop)
        return _sender[1]
