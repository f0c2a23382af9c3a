"""Channels and the phone simulator pages (server side)."""

import pytest
from django_tenants.utils import tenant_context

from tenants.shop.models import AuditEntry
from tests.fixtures.whatsapp import connected_sandbox_channel
from whatsapp.inbox.models import ChannelRoute, InboundEvent
from whatsapp.models import Channel, Message
from whatsapp.services.inbound import inbound_event_process


def process_inbox() -> None:
    for event_id in InboundEvent.objects.filter(status="pending").values_list("pk", flat=True):
        inbound_event_process(event_id=event_id)


def test_a_manager_adds_a_sandbox_channel_and_pairs_it_with_the_simulator(alpha, alpha_team):
    manager = alpha_team("manager", email="manager@alpha.test")

    added = manager.post("/channels/", {"name": "Balcão de teste", "provider": "sandbox"})
    channel = Channel.objects.get(name="Balcão de teste")
    assert added["Location"] == f"/channels/{channel.pk}/"

    manager.post(f"/channels/{channel.pk}/connect/", {})
    channel.refresh_from_db()
    state = manager.get(f"/channels/{channel.pk}/state/", HTTP_HX_REQUEST="true").content.decode()
    assert channel.state == "pairing"
    assert f"{channel.pairing_code[:4]}-{channel.pairing_code[4:]}" in state

    manager.post(
        f"/channels/{channel.pk}/simulator/pair/",
        {"pair-phone": "+55 11 93333-0000", "pair-code": channel.pairing_code},
    )
    process_inbox()
    channel.refresh_from_db()
    assert (channel.state, channel.phone) == ("connected", "+5511933330000")
    assert "+5511933330000" in manager.get(f"/channels/{channel.pk}/").content.decode()
    audited = AuditEntry.objects.filter(target=f"channel:{channel.pk}").values_list("action", "actor_label")
    assert list(audited.order_by("id")) == [
        ("channel.created", "manager@alpha.test"),
        ("channel.pairing_started", "manager@alpha.test"),
    ]


def test_a_wrong_pairing_code_is_refused_with_a_clear_error(alpha, alpha_team):
    manager = alpha_team("manager")
    manager.post("/channels/", {"name": "Balcão", "provider": "sandbox"})
    channel = Channel.objects.get(name="Balcão")
    manager.post(f"/channels/{channel.pk}/connect/", {})

    page = manager.post(
        f"/channels/{channel.pk}/simulator/pair/", {"pair-phone": "+55 11 93333-0000", "pair-code": "ZZZZZZZZ"}
    )

    assert page.status_code == 200
    assert "Esse código não confere com o mostrado no painel." in page.content.decode()
    channel.refresh_from_db()
    assert channel.state == "pairing"


def test_a_cloud_channel_without_its_token_is_refused_and_nothing_is_created(alpha, alpha_team):
    page = alpha_team("owner").post("/channels/", {"name": "Oficial", "provider": "cloud", "external_id": "abc"})

    assert page.status_code == 200
    assert not Channel.objects.filter(name="Oficial").exists()
    assert not ChannelRoute.objects.filter(provider="cloud", external_id="abc").exists()


def test_the_simulator_sends_as_a_customer_and_shows_the_shops_answer_read(alpha, alpha_team):
    with tenant_context(alpha):
        channel, _route = connected_sandbox_channel("Balcão")
    attendant = alpha_team("attendant")

    attendant.post(f"/channels/{channel.pk}/simulator/send/", {"phone": "+55 11 94444-0001", "name": "Rui",
                                                                "text": "Oi, tem horário amanhã?"})  # fmt: skip
    process_inbox()
    customer_message = Message.objects.get(channel=channel, direction="in")
    assert (customer_message.text, customer_message.conversation.customer.name) == ("Oi, tem horário amanhã?", "Rui")

    answer = Message.objects.create(conversation=customer_message.conversation, channel=channel, direction="out",
                                    sender_kind="bot", text="Tenho sim!", status="sent", status_rank=2,
                                    provider_message_id="sandbox-out-1")  # fmt: skip
    thread = attendant.get(f"/channels/{channel.pk}/simulator/thread/", {"phone": "+5511944440001"},
                           HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "Oi, tem horário amanhã?" in thread
    assert "Tenho sim!" in thread
    answer.refresh_from_db()
    assert answer.status == "read"  # the simulated phone showed it


def test_the_simulator_refuses_a_channel_that_is_not_connected(alpha, alpha_team):
    manager = alpha_team("manager")
    manager.post("/channels/", {"name": "Novo", "provider": "sandbox"})
    channel = Channel.objects.get(name="Novo")

    page = manager.post(f"/channels/{channel.pk}/simulator/send/", {"phone": "+5511944440001", "text": "oi"})

    assert "Conecte o canal primeiro" in page.content.decode()
    assert not InboundEvent.objects.filter(status="pending").exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/channels/"), ("post", "/channels/{id}/connect/"), ("post", "/channels/{id}/logout/")],
)
def test_an_attendant_can_look_but_not_manage_channels(alpha, alpha_team, method, path):
    with tenant_context(alpha):
        channel, _route = connected_sandbox_channel("Balcão")
    attendant = alpha_team("attendant")

    assert attendant.get("/channels/").status_code == 200
    response = getattr(attendant, method)(path.format(id=channel.pk), {"name": "X", "provider": "sandbox"})

    assert response.status_code == 403
    channel.refresh_from_db()
    assert channel.state == "connected"
    assert Channel.objects.count() == 1


def test_another_shops_manager_cannot_see_or_touch_a_channel(alpha, beta, beta_team):
    with tenant_context(alpha):
        channel, _route = connected_sandbox_channel("Balcão Alpha")
    stranger = beta_team("owner")

    assert stranger.get(f"/channels/{channel.pk}/").status_code == 404
    assert stranger.post(f"/channels/{channel.pk}/logout/").status_code == 404
    assert stranger.post(f"/channels/{channel.pk}/simulator/send/", {"phone": "+5511944440001", "text": "oi"}
                         ).status_code == 404  # fmt: skip
    assert "Balcão Alpha" not in stranger.get("/channels/").content.decode()
    with tenant_context(alpha):
        channel.refresh_from_db()
        assert channel.state == "connected"
