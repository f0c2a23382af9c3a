"""Dashboard sockets: resolved to the shop by host, authenticated by the
session in that shop's schema, and never given another shop's events."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django_tenants.utils import tenant_context

from oxy.asgi import application
from oxy.realtime import dashboard_event_send
from tests.conftest import ALPHA, BETA


@pytest.fixture
def sessions(committed_alpha, committed_beta):
    """A committed login session for each shop's owner: {slug: session key}."""
    keys = {}
    for organization, shop in ((committed_alpha, ALPHA), (committed_beta, BETA)):
        with tenant_context(organization):
            owner = get_user_model().objects.get(email=shop.owner_email)
            session = SessionStore()
            session.update(
                {
                    SESSION_KEY: str(owner.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: owner.get_session_auth_hash(),
                }
            )
            session.create()
            keys[shop.slug] = session.session_key
    yield keys
    for organization, shop in ((committed_alpha, ALPHA), (committed_beta, BETA)):
        with tenant_context(organization):
            SessionStore(keys[shop.slug]).delete()


def socket(host: str, session_key: str | None = None) -> WebsocketCommunicator:
    headers = [(b"host", host.encode()), (b"origin", f"http://{host}".encode())]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    return WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)


def send_event(organization, event: str, data: dict):
    def send() -> None:
        with tenant_context(organization):
            dashboard_event_send(event=event, data=data)

    return sync_to_async(send)()


def test_each_shop_socket_gets_its_own_events_and_never_the_others(sessions, committed_alpha, committed_beta):
    alpha, beta = committed_alpha, committed_beta

    async def scenario():
        alpha_socket, beta_socket = socket(ALPHA.host, sessions["alpha"]), socket(BETA.host, sessions["beta"])
        assert (await alpha_socket.connect())[0]
        assert (await beta_socket.connect())[0]

        await send_event(alpha, "message.received", {"text": "oi"})
        assert await alpha_socket.receive_json_from(timeout=5) == {
            "type": "message.received",
            "data": {"text": "oi"},
        }
        assert await beta_socket.receive_nothing(timeout=0.5)

        await send_event(beta, "booking.created", {"id": 7})
        assert (await beta_socket.receive_json_from(timeout=5))["type"] == "booking.created"
        assert await alpha_socket.receive_nothing(timeout=0.5)

        await alpha_socket.disconnect()
        await beta_socket.disconnect()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("host", "session_of"),
    [
        (ALPHA.host, None),  # not logged in
        (BETA.host, "alpha"),  # alpha's session presented on beta's host
        ("oxy.test", "alpha"),  # the public host has no dashboard
        ("unknown.oxy.test", "alpha"),
    ],
)
def test_sockets_without_a_session_of_that_shop_are_refused(sessions, host, session_of):
    async def scenario():
        communicator = socket(host, sessions.get(session_of))
        connected, code = await communicator.connect()
        assert not connected
        assert code == 4403

    asyncio.run(scenario())


def test_events_need_a_shop_context_and_a_known_type(committed_alpha):
    with pytest.raises(RuntimeError, match="none is active"):
        dashboard_event_send(event="message.received", data={})
    with tenant_context(committed_alpha), pytest.raises(ValueError, match="unknown dashboard event type"):
        dashboard_event_send(event="message.exploded", data={})
