"""LGPD retention per shop: the hourly job anonymizes messages older than the
shop's setting (the rows stay, so counts stay true) and deletes its old raw
webhook events; it only ever touches the shop whose setting says so, and a
second run changes nothing. Managers edit the settings on the Privacy page."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django_tenants.utils import tenant_context

from agents.models import AIInteraction
from tenants.models import Organization
from tenants.shop.models import AuditEntry, ShopSettings
from tenants.shop.retention import months_before, retention_settings_update
from tenants.shop.tasks import retention_all_tenants_task
from tests.fixtures.bookings import STAFF
from tests.fixtures.dashboard import team_member
from tests.fixtures.shop_days import ShopDays
from tests.fixtures.whatsapp import connected_sandbox_channel
from whatsapp.inbox.models import InboundEvent
from whatsapp.models import Message

NOW = datetime(2030, 3, 4, 13, 0, tzinfo=UTC)
TWO_YEARS_AGO, TEN_DAYS_AGO, YESTERDAY = NOW - timedelta(days=730), NOW - timedelta(days=10), NOW - timedelta(days=1)


@dataclass
class History:
    old_text: Message
    old_voice: Message
    recent: Message
    events: dict[str, InboundEvent]  # by age


def history(organization: Organization) -> History:
    """A customer who wrote two years ago (a text and a voice note with its
    file), ten days ago and yesterday: each through the real inbox."""
    with tenant_context(organization):
        days = ShopDays(connected_sandbox_channel("Balcão")[0])
        phone = "+5511987650404"
        conversation = days.customer_writes(TWO_YEARS_AGO, phone, "Meu nome é Rita, moro na Rua A", "Rita")
        with time_machine.travel(TWO_YEARS_AGO + timedelta(minutes=1), tick=False):
            voice = Message.objects.create(
                conversation=conversation, channel=days.channel, direction="in", sender_kind="customer", kind="voice",
                status="received", data={"transcript": "o Thor tem alergia"}, media=ContentFile(b"ogg", name="v.ogg"),
            )  # fmt: skip
        days.customer_writes(TEN_DAYS_AGO, phone, "Tem horário?")
        days.customer_writes(YESTERDAY, phone, "Obrigada!")
        messages = conversation.messages.order_by("created_at")
        # The inbox stamps events with the database's clock, which no test can travel: set it as it would be.
        events = dict(zip(["two years", "ten days", "yesterday"],
                          InboundEvent.objects.filter(schema_name=organization.schema_name).order_by("pk"),
                          strict=True))  # fmt: skip
        for event, at in zip(events.values(), [TWO_YEARS_AGO, TEN_DAYS_AGO, YESTERDAY], strict=True):
            InboundEvent.objects.filter(pk=event.pk).update(received_at=at)
        return History(old_text=messages[0], old_voice=voice, recent=messages.get(text="Obrigada!"), events=events)


def keep(organization: Organization, *, days: int | None = None, months: int | None = None) -> None:
    with tenant_context(organization):
        retention_settings_update(raw_events_retention_days=days, message_retention_months=months, actor=STAFF)


def run_job(at: datetime = NOW) -> dict:
    with time_machine.travel(at, tick=False):
        return retention_all_tenants_task.apply().get()


def reread(organization: Organization, message: Message) -> Message:
    with tenant_context(organization):
        return Message.objects.get(pk=message.pk)


@pytest.fixture
def worlds(alpha, beta) -> dict[str, History]:
    return {"alpha": history(alpha), "beta": history(beta)}


def test_months_before_is_calendar_months():
    assert months_before(datetime(2030, 3, 31, 12, tzinfo=UTC), 1) == datetime(2030, 2, 28, 12, tzinfo=UTC)
    assert months_before(datetime(2030, 1, 15, tzinfo=UTC), 13) == datetime(2028, 12, 15, tzinfo=UTC)


def test_old_messages_are_anonymized_only_in_the_shop_whose_setting_says_so(
    alpha, beta, worlds, django_capture_on_commit_callbacks
):  # fmt: skip
    keep(alpha, months=12)
    voice_file = worlds["alpha"].old_voice.media
    storage, voice_name = voice_file.storage, voice_file.name
    with tenant_context(alpha):
        assert storage.exists(voice_name)
        messages_before = Message.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        done = run_job()

    assert done == {"alpha": {"messages_anonymized": 2, "events_deleted": 0}}
    old_text, old_voice = reread(alpha, worlds["alpha"].old_text), reread(alpha, worlds["alpha"].old_voice)
    assert (old_text.text, old_text.data) == ("", {"anonymized": True})
    assert (old_voice.text, old_voice.media.name, old_voice.data) == ("", "", {"anonymized": True})
    assert old_voice.kind == "voice"  # still counted as a voice note
    with tenant_context(alpha):
        assert not storage.exists(voice_name)
        assert Message.objects.count() == messages_before  # anonymized, not deleted
        shop = ShopSettings.objects.get()
        assert (shop.retention_applied_at, shop.retention_messages_anonymized) == (NOW, 2)
        assert AuditEntry.objects.get(action="retention.applied").data == {
            "messages_anonymized": 2, "events_deleted": 0
        }  # fmt: skip
    assert reread(alpha, worlds["alpha"].recent).text == "Obrigada!"
    # Beta keeps messages forever (its default): alpha's setting never reaches it.
    assert reread(beta, worlds["beta"].old_text).text == "Meu nome é Rita, moro na Rua A"
    assert reread(beta, worlds["beta"].old_voice).data == {"transcript": "o Thor tem alergia"}
    with tenant_context(beta):
        assert ShopSettings.objects.get().retention_messages_anonymized == 0


def test_a_second_run_touches_nothing_and_says_so(alpha, worlds):
    keep(alpha, months=12)
    run_job()
    with tenant_context(alpha):
        after_first = list(Message.objects.order_by("pk").values("pk", "text", "data", "media"))

    done = run_job(NOW + timedelta(hours=1))

    assert done == {}
    with tenant_context(alpha):
        assert list(Message.objects.order_by("pk").values("pk", "text", "data", "media")) == after_first
        shop = ShopSettings.objects.get()
        assert (shop.retention_applied_at, shop.retention_messages_anonymized) == (NOW + timedelta(hours=1), 0)
        assert AuditEntry.objects.filter(action="retention.applied").count() == 1


def test_a_later_run_reaches_messages_that_have_grown_old_since(alpha, worlds):
    keep(alpha, months=12)
    run_job()

    run_job(TEN_DAYS_AGO + timedelta(days=366))  # ten days ago's message is now over a year old

    assert reread(alpha, worlds["alpha"].old_text).data == {"anonymized": True}
    with tenant_context(alpha):
        assert Message.objects.get(text="", data={"anonymized": True}, created_at=TEN_DAYS_AGO)
    assert reread(alpha, worlds["alpha"].recent).text == "Obrigada!"


def test_what_the_attendants_tools_saw_of_old_messages_goes_too(alpha, worlds):
    """A turn that answered an old message keeps which tools it used (a shop
    figure), not what it gave them or got back (names, pets, addresses)."""
    said = {"name": "register_pet", "arguments": {"name": "Thor", "notes": "alergia"}, "result": {"pet_id": 7}}
    with tenant_context(alpha):
        old_turn, recent_turn = (
            AIInteraction.objects.create(conversation=message.conversation, answers_message=message,
                                         agent="customer", outcome="replied", tool_calls=[said, said])
            for message in (worlds["alpha"].old_text, worlds["alpha"].recent)
        )  # fmt: skip
    keep(alpha, months=12)

    run_job()

    with tenant_context(alpha):
        old_turn.refresh_from_db()
        recent_turn.refresh_from_db()
    assert old_turn.tool_calls == [{"name": "register_pet"}, {"name": "register_pet"}]
    assert recent_turn.tool_calls == [said, said]


def test_raw_events_are_deleted_after_the_shops_own_days_and_only_its_own(alpha, beta, worlds):
    keep(alpha, days=3)

    done = run_job()

    assert done == {"alpha": {"messages_anonymized": 0, "events_deleted": 2}}
    alpha_events, beta_events = worlds["alpha"].events, worlds["beta"].events
    assert list(InboundEvent.objects.filter(pk__in=[e.pk for e in alpha_events.values()])) == [
        alpha_events["yesterday"]
    ]  # fmt: skip
    assert InboundEvent.objects.filter(pk__in=[e.pk for e in beta_events.values()]).count() == 3
    assert reread(alpha, worlds["alpha"].old_text).text  # messages: alpha keeps them forever
    with tenant_context(alpha):
        assert ShopSettings.objects.get().retention_events_deleted == 2


# -- the Privacy page ------------------------------------------------------------------------


@pytest.fixture
def manager(alpha_team) -> Client:
    client = alpha_team("manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def alpha_settings(alpha) -> tuple:
    with tenant_context(alpha):
        shop = ShopSettings.objects.get()
    return shop.raw_events_retention_days, shop.message_retention_months


def test_a_manager_shortens_raw_events_and_sets_message_retention_and_it_is_audited(alpha, manager):
    response = manager.post(
        "/settings/privacy/", {"raw_events_retention_days": "7", "message_retention_months": "24"}, follow=True
    )

    assert response.redirect_chain == [("/settings/privacy/", 302)]
    assert "The retention settings were saved." in response.content.decode()
    assert alpha_settings(alpha) == (7, 24)
    with tenant_context(alpha):
        entry = AuditEntry.objects.get(action="shop.retention_updated")
    assert entry.data == {"from": {"raw_events_retention_days": None, "message_retention_months": None},
                          "to": {"raw_events_retention_days": 7, "message_retention_months": 24}}  # fmt: skip


def test_zero_or_empty_months_keep_messages_forever(alpha, manager):
    keep(alpha, days=5, months=24)

    manager.post("/settings/privacy/", {"raw_events_retention_days": "", "message_retention_months": "0"})

    assert alpha_settings(alpha) == (None, None)


@pytest.mark.parametrize(
    ("days", "months", "errors"),
    [
        ("0", "", {"raw_events_retention_days": "At least 1 day."}),
        ("15", "", {"raw_events_retention_days": "At most 14 days: the platform deletes them after that."}),
        ("", "121", {"message_retention_months": "At most 120 months (10 years)."}),
        ("", "-1", {"message_retention_months": "Use 0 or leave it empty to keep messages forever."}),
        ("x", "", {"raw_events_retention_days": "Enter a whole number."}),
    ],
)
def test_out_of_range_values_are_explained_and_nothing_changes(alpha, manager, days, months, errors):
    response = manager.post(
        "/settings/privacy/", {"raw_events_retention_days": days, "message_retention_months": months}
    )

    assert response.status_code == 200
    assert {field: messages[0] for field, messages in response.context["form"].errors.items()} == errors
    assert alpha_settings(alpha) == (None, None)
    with tenant_context(alpha):
        assert not AuditEntry.objects.filter(action="shop.retention_updated").exists()


def test_the_page_says_what_the_job_last_did_and_that_messages_stay_counted(alpha, manager, worlds):
    assert "Not applied yet." in manager.get("/settings/privacy/").content.decode()
    keep(alpha, months=12)
    run_job()

    page = manager.get("/settings/privacy/").content.decode()

    assert "2 messages anonymized, 0 raw events deleted." in page
    assert "Last applied at" in page
    assert "so reports and analytics still count them" in page


def test_attendants_get_403_and_change_nothing(alpha, alpha_team):
    attendant = alpha_team("attendant")

    assert attendant.get("/settings/privacy/").status_code == 403
    assert attendant.post("/settings/privacy/", {"message_retention_months": "1"}).status_code == 403
    assert alpha_settings(alpha) == (None, None)


def test_another_shop_changes_only_its_own_settings(alpha, beta, beta_team):
    beta_manager = beta_team("manager")

    beta_manager.post("/settings/privacy/", {"raw_events_retention_days": "2", "message_retention_months": "1"})
    stranger = Client(HTTP_HOST=f"{alpha.slug}.{settings.OXY_BASE_DOMAIN}")
    with tenant_context(beta):
        stranger.force_login(team_member(beta, role="owner"))
    refused = stranger.post("/settings/privacy/", {"message_retention_months": "1"})

    assert alpha_settings(alpha) == (None, None)
    assert alpha_settings(beta) == (2, 1)
    assert refused.status_code == 302  # a beta session means nothing on alpha's host


def test_the_conversation_says_which_messages_were_removed_and_why(alpha, manager, worlds):
    keep(alpha, months=12)
    run_job()

    page = manager.get(f"/inbox/{worlds['alpha'].old_text.conversation_id}/").content.decode()

    assert page.count("Removed at the end of the shop's retention period.") == 2  # the text and the voice note
    assert "Obrigada!" in page
