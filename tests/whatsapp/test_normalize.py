"""Every shared provider payload normalizes to what it means."""

from datetime import UTC, datetime

import pytest

from tests.fixtures.whatsapp import (
    CLOUD_APP_SECRET,
    cloud_fixture,
    cloud_fixture_names,
    evolution_fixture,
    evolution_fixture_names,
)
from whatsapp.providers import cloud, evolution
from whatsapp.providers.base import ConnectionUpdate, Ignored, InboundMessage, StatusUpdate


def evolution_events(name: str):
    body = evolution_fixture(name)
    items = evolution.webhook_items(body, name.encode())
    return [event for item in items for event in evolution.normalize(item)]


def cloud_events(name: str):
    import json

    raw, _signature = cloud_fixture(name)
    return [event for item in cloud.webhook_items(json.loads(raw)) for event in cloud.normalize(item)]


@pytest.mark.parametrize("name", evolution_fixture_names())
def test_every_evolution_fixture_normalizes(name):
    events = evolution_events(name)

    assert events, f"{name} produced nothing"


def test_evolution_text_is_a_customer_message_with_the_real_time():
    (message,) = evolution_events("messages-upsert-text")

    assert isinstance(message, InboundMessage)
    assert message.kind == "text"
    assert message.text
    assert not message.from_me
    # messageTimestamp (UTC), not date_time (São Paulo time labelled Z)
    body = evolution_fixture("messages-upsert-text")
    assert message.timestamp == datetime.fromtimestamp(body["data"]["messageTimestamp"], tz=UTC)


def test_evolution_lid_sender_carries_both_ids():
    (message,) = evolution_events("messages-upsert-lid-sender")

    assert message.sender.lid == "187263549201847@lid"
    assert message.sender.phone == "5521982345670"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("messages-upsert-audio-ptt", "voice"),
        ("messages-upsert-image-caption", "image"),
        ("messages-upsert-location", "location"),
        ("messages-upsert-reaction", "reaction"),
        ("messages-upsert-extended-text", "text"),
    ],
)
def test_evolution_content_kinds(name, kind):
    (message,) = evolution_events(name)

    assert message.kind == kind


def test_evolution_image_caption_and_media_are_kept():
    (message,) = evolution_events("messages-upsert-image-caption")

    assert message.text  # the caption
    assert message.media_mime.startswith("image/")


def test_evolution_groups_and_status_broadcast_are_ignored():
    assert all(isinstance(e, Ignored) for e in evolution_events("messages-upsert-group"))
    assert all(isinstance(e, Ignored) for e in evolution_events("messages-upsert-status-broadcast"))


def test_evolution_from_me_is_staff_on_the_phone():
    (message,) = evolution_events("messages-upsert-from-me")

    assert message.from_me


def test_evolution_read_status_and_connection_changes():
    (status,) = evolution_events("messages-update-read")
    (opened,) = evolution_events("connection-update-open")
    (closed,) = evolution_events("connection-update-close-401")
    (qr,) = evolution_events("qrcode-updated-pairing-code")

    assert isinstance(status, StatusUpdate)
    assert status.status == "read"
    assert isinstance(opened, ConnectionUpdate)
    assert opened.state == "connected"
    assert opened.phone
    assert closed.state == "logged_out"  # 401: never reconnect
    assert qr.state == "pairing"
    assert len(qr.pairing_code) == 8


def test_evolution_send_echo_is_not_a_new_message():
    assert all(isinstance(e, Ignored) for e in evolution_events("send-message"))


def test_evolution_unhandled_events_produce_no_items():
    assert evolution.webhook_items({"event": "presence.update", "instance": "x", "data": {}}, b"{}") == []


@pytest.mark.parametrize("name", cloud_fixture_names())
def test_every_cloud_fixture_is_signed_and_normalizes(name):
    raw, signature = cloud_fixture(name)

    assert cloud.signature_valid(raw, signature, CLOUD_APP_SECRET)
    assert not cloud.signature_valid(raw + b" ", signature, CLOUD_APP_SECRET)
    assert cloud_events(name)


def test_cloud_batch_gives_one_item_per_message():
    events = cloud_events("batch-two-customers")

    assert [e.sender.bsuid for e in events] == ["BR.3368120954478261", "BR.9046127318806473"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("text", "text"),
        ("audio-voice", "voice"),
        ("image-caption", "image"),
        ("interactive-button-reply", "button_reply"),
        ("interactive-list-reply", "list_reply"),
        ("reaction", "reaction"),
    ],
)
def test_cloud_message_kinds(name, kind):
    (message,) = cloud_events(name)

    assert message.kind == kind
    assert message.sender.wa_id
    assert message.sender.bsuid


def test_cloud_statuses_including_the_closed_window_failure():
    assert [e.status for e in cloud_events("status-sent")] == ["sent"]
    assert [e.status for e in cloud_events("status-read")] == ["read"]
    (failed,) = cloud_events("status-failed-131047")
    assert failed.status == "failed"
    assert failed.error_code == 131047
    assert "24 hours" in failed.error
