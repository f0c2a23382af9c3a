"""Dashboard sockets: resolved to the shop by host, authenticated by the
session in that shop's schema, and never given another shop's events."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django_tenants.utils import tenant_context

from oxy.realtime import dashboard_event_send
from tests.conftest import ALPHA, BETA
from tests.fixtures.dashboard import dashboard_socket


def send_event(organization, event: str, data: dict):
    def send() -> None:
        with tenant_context(organization):
            dashboard_event_send(event=event, data=data)

    return sync_to_async(send)()


def test_each_shop_socket_gets_its_own_events_and_never_the_others(owner_sessions, committed_alpha, committed_beta):
    alpha, beta = committed_alpha, committed_beta

    async def scenario():
        alpha_socket = dashboard_socket(ALPHA.host, owner_sessions["alpha"])
        beta_socket = dashboard_socket(BETA.host, owner_sessions["beta"])
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
def test_sockets_without_a_session_of_that_shop_are_refused(owner_sessions, host, session_of):
    async def scenario():
        communicator = dashboard_socket(host, owner_sessions.get(session_of))
        connected, code = await communicator.connect()
        assert not connected
        assert code == 4403

    asyncio.run(scenario())


def test_events_need_a_shop_context_and_a_known_type(committed_alpha):
    with pytest.raises(RuntimeError, match="none is active"):
        dashboard_event_send(event="message.received", data={})
    with tenant_context(committed_alpha), pytest.raises(ValueError, match="unknown dashboard event type"):
        dashboard_event_send(event="message.exploded", data={})
