"""The reconnect policy, channel events on the dashboard, the simulator and
the operator commands."""

import asyncio
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.conftest import ALPHA, BETA, login
from tests.fixtures.dashboard import dashboard_socket
from whatsapp.inbox.models import InboundEvent
from whatsapp.lifecycle import MAX_ATTEMPTS, reconnect_delay
from whatsapp.models import Channel, Message
from whatsapp.services.channels import channel_state_set
from whatsapp.services.inbound import inbound_event_process


def test_reconnect_backoff_starts_at_5s_grows_by_half_caps_at_60s_and_stops_after_10():
    delays = [reconnect_delay(attempt) for attempt in range(MAX_ATTEMPTS + 1)]

    assert delays[:4] == [5.0, 7.5, 11.25, 16.875]
    assert max(d for d in delays if d is not None) == 60.0
    assert delays[MAX_ATTEMPTS - 1] == 60.0
    assert delays[MAX_ATTEMPTS] is None


def test_a_lost_connection_schedules_reconnects_until_it_gives_up(sandbox_channel, alpha):
    with tenant_context(alpha):
        channel = channel_state_set(channel=sandbox_channel, state=Channel.State.CONNECTED)
        before = timezone.now()
        channel = channel_state_set(channel=channel, state=Channel.State.RECONNECTING, reason="lost")
        assert channel.next_reconnect_at - before >= timedelta(seconds=5)

        Channel.objects.filter(pk=channel.pk).update(reconnect_attempts=MAX_ATTEMPTS)
        channel = channel_state_set(channel=channel, state=Channel.State.RECONNECTING, reason="lost again")

        assert channel.state == Channel.State.FAILED
        assert channel.state_reason == "desistiu após 10 tentativas de reconexão"  # shown to staff in pt-BR


def test_a_logged_out_channel_does_not_reconnect(sandbox_channel, alpha):
    with tenant_context(alpha):
        channel = channel_state_set(channel=sandbox_channel, state=Channel.State.CONNECTED)
        channel = channel_state_set(channel=channel, state=Channel.State.LOGGED_OUT)
        channel = channel_state_set(channel=channel, state=Channel.State.RECONNECTING)

        assert channel.state == Channel.State.LOGGED_OUT  # not a move the state machine allows


def test_channel_changes_reach_only_that_shops_dashboard(committed_alpha, owner_sessions):
    from whatsapp.services.channels import channel_create

    with tenant_context(committed_alpha):
        channel, route = channel_create(name="Sandbox", provider="sandbox")

    async def scenario():
        alpha_socket = dashboard_socket(ALPHA.host, owner_sessions["alpha"])
        beta_socket = dashboard_socket(BETA.host, owner_sessions["beta"])
        assert (await alpha_socket.connect())[0]
        assert (await beta_socket.connect())[0]

        def pair() -> None:
            from whatsapp.services.channels import channel_pairing_start

            with tenant_context(committed_alpha):
                channel_pairing_start(channel=channel)

        from asgiref.sync import sync_to_async

        await sync_to_async(pair)()
        event = await alpha_socket.receive_json_from(timeout=5)
        assert event["type"] == "channel.pairing_code"
        assert len(event["data"]["pairing_code"]) == 8
        assert await beta_socket.receive_nothing(timeout=0.5)
        await alpha_socket.disconnect()
        await beta_socket.disconnect()

    try:
        asyncio.run(scenario())
    finally:
        with tenant_context(committed_alpha):
            channel.state_changes.all().delete()
            channel.delete()
        route.delete()


def test_the_simulator_pairs_a_sandbox_channel_and_plays_a_customer(alpha, alpha_client, sandbox_channel):
    login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)
    base = f"/api/v1/channels/{sandbox_channel.pk}"

    # the dashboard starts pairing and shows a code; the simulated phone types it
    code = alpha_client.post(f"{base}/connect/", {}, content_type="application/json").json()["pairing_code"]
    wrong = alpha_client.post(f"{base}/simulator/pair/", {"code": "AAAA-AAAA", "phone": "+5511912345678"},
                              content_type="application/json")  # fmt: skip
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "Esse código não confere com o mostrado no painel."  # pt-BR first
    assert alpha_client.post(f"{base}/simulator/pair/", {"code": code, "phone": "+5511912345678"},
                             content_type="application/json").status_code == 202  # fmt: skip
    for event_id in InboundEvent.objects.filter(status="pending").values_list("pk", flat=True):
        inbound_event_process(event_id=event_id)
    assert alpha_client.get("/api/v1/channels/").json()[0]["state"] == "connected"

    # then a customer writes from the simulator and the message enters the shop
    sent = alpha_client.post(f"{base}/simulator/messages/", {"phone": "(21) 98765-4321", "name": "Rafa", "text": "Oi!"},
                             content_type="application/json")  # fmt: skip
    assert sent.status_code == 202
    for event_id in InboundEvent.objects.filter(status="pending").values_list("pk", flat=True):
        inbound_event_process(event_id=event_id)
    thread = alpha_client.get(f"{base}/simulator/messages/", {"phone": "+5521987654321"}).json()
    assert [(m["direction"], m["text"]) for m in thread] == [("in", "Oi!")]
    with tenant_context(alpha):
        assert Message.objects.get().conversation.customer.name == "Rafa"


def test_another_shop_cannot_use_this_shops_channels(alpha, beta, beta_client, sandbox_channel):
    from django.contrib.auth import get_user_model

    with tenant_context(beta):
        get_user_model().objects.create_user(email="manager@beta.test", password="beta-manager-1", role="manager")
    login(beta_client, beta, email="manager@beta.test", password="beta-manager-1")

    assert beta_client.get("/api/v1/channels/").json() == []
    base = f"/api/v1/channels/{sandbox_channel.pk}"
    assert beta_client.post(f"{base}/connect/", {}, content_type="application/json").status_code == 404
    message = {"phone": "+5511912345678", "text": "x"}
    assert beta_client.post(f"{base}/simulator/messages/", message, content_type="application/json").status_code == 404


def test_operator_commands_add_list_and_connect_channels(alpha, capsys):
    call_command("add_channel", "alpha", "--provider=sandbox", "--name=Balcão")
    added = capsys.readouterr().out
    assert "webhook URL:" in added

    call_command("channels")
    listing = capsys.readouterr().out
    row = next(line for line in listing.splitlines() if "Balcão" in line)
    assert row.startswith("alpha")
    assert " new " in row

    with tenant_context(alpha):
        channel = Channel.objects.get(name="Balcão")
    call_command("connect_channel", "alpha", str(channel.pk))
    assert "Pairing code for Balcão:" in capsys.readouterr().out


def test_health_whatsapp_reports_the_last_check(db, settings):
    from django.test import Client

    from whatsapp.services.health import health_result_store

    health_result_store({"alpha": [{"channel": 1, "name": "Centro", "gateway": "disconnected", "ok": False}]})
    response = Client(HTTP_HOST="10.0.0.7").get("/health/whatsapp")

    assert response.status_code == 503
    assert response.json()["failing"] == [
        {"shop": "alpha", "channel": 1, "name": "Centro", "gateway": "disconnected", "ok": False}
    ]

    health_result_store({"alpha": []})
    assert Client(HTTP_HOST="10.0.0.7").get("/health/whatsapp").status_code == 200
