"""The campaign pages, for managers and owners: a draft made from a segment
with a live count and a preview for real recipients, edits that make new
revisions, a launch of the revision shown only, stop and resume, progress
that follows the sending and stops being polled once it is over. Nobody
else, and no other shop, sees or changes them."""

from datetime import UTC, datetime

import pytest
import time_machine
from django_tenants.utils import tenant_context

from agents.models import Campaign, CampaignRecipient
from agents.outreach.campaigns import campaign_draft_create, campaign_draft_update, campaign_launch, campaigns_send_due
from agents.outreach.selectors import segment_customers
from bookings.models import Customer
from bookings.services import booking_create, customer_get_or_create, pet_register
from tests.fixtures.bookings import STAFF

MANAGER = "gerente@alpha.test"
LONG_AGO = datetime(2020, 1, 1, 12, 0, tzinfo=UTC)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2030 in São Paulo (UTC-3): the 4th is a Monday, the shop is open at 10:00."""
    return datetime(2030, 3, day, hour + 3, minute, tzinfo=UTC)


def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def manager(alpha_team):
    return english(alpha_team("manager", email=MANAGER))


@pytest.fixture
def customers(shop) -> list[Customer]:
    """Four customers not seen since 2020 (the first has a cat, the last is
    tagged vip), and one seen on the Monday morning of the tests' campaigns."""
    people = [customer_get_or_create(phone=f"+55119777700{n:02d}", name=f"Cliente{n} Souza", actor=STAFF)[0]
              for n in range(4)]  # fmt: skip
    Customer.objects.filter(pk__in=[person.pk for person in people]).update(last_interaction_at=LONG_AGO)
    Customer.objects.filter(pk=people[3].pk).update(tags=["vip"])
    pet_register(customer=people[0], name="Mimi", species="cat", size="P", actor=STAFF)
    recent = customer_get_or_create(phone="+5511977779999", name="Recente", actor=STAFF)[0]
    Customer.objects.filter(pk=recent.pk).update(last_interaction_at=local(4, 9))
    return people


def draft(**fields) -> Campaign:
    fields = {"name": "Volta!", "text": "Oi {name}, saudade do {pet}!", "inactive_days": 30,
              "min_gap_s": 60, "max_gap_s": 60} | fields  # fmt: skip
    return campaign_draft_create(actor=STAFF, **fields)


def form_data(**fields) -> dict:
    return {"name": "Volta!", "text": "Oi {name}, saudade do {pet}!", "inactive_days": "30", "species": "",
            "last_service": "", "vaccine_due_within_days": "", "tag": "", "starts_at": "", "daily_cap": "100",
            "min_gap_s": "20", "max_gap_s": "90"} | fields  # fmt: skip


def launched(campaign: Campaign) -> Campaign:
    """Launched on Monday at 10:00, shop time."""
    return campaign_launch(campaign_id=campaign.pk, revision=campaign.revision, actor=STAFF, now=local(4, 10))


def send_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return campaigns_send_due(now=moment)


def count_of(response) -> int:
    html = response.content.decode()
    return int(html.split("data-recipients>")[1].split("<")[0])


# -- the list -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_the_list_shows_each_campaign_with_its_status_recipients_and_progress(customers, alpha_team, role):
    # given a draft and a campaign that sent to one of its four recipients
    draft(name="Rascunho de maio")
    running = launched(draft(name="Volta de março"))
    send_at(local(4, 10))

    # when a manager or the owner opens the list
    html = english(alpha_team(role)).get("/campaigns/").content.decode()

    # then each campaign shows its status, recipients and progress
    row = html.split("Volta de março")[1].split("</tr>")[0]
    assert 'class="badge running"' in row
    assert "<td>4</td>" in row
    assert "<td>25%</td>" in row
    assert "Rascunho de maio" in html
    assert running.recipients.count() == 4


# -- a draft: live count, preview, errors, edits ----------------------------------------------


def test_the_live_count_is_the_segments_and_the_preview_is_for_real_recipients(customers, manager):
    # when the segment's fields are posted as they change
    inactive = manager.post("/campaigns/count/", form_data())
    cats = manager.post("/campaigns/count/", form_data(species="cat"))
    vip = manager.post("/campaigns/count/", form_data(tag="vip", text="{name}, {shop} te espera"))
    nobody = manager.post("/campaigns/count/", form_data(tag="ninguém"))

    # then the count is the segment's, now, and the preview fills in real recipients
    probe = Campaign(inactive_days=30)
    assert count_of(inactive) == segment_customers(campaign=probe, now=datetime.now(UTC)).count() == 4
    assert "Oi Cliente0, saudade do Mimi!" in inactive.content.decode()
    assert count_of(cats) == 1
    assert count_of(vip) == 1
    assert "Cliente3, Shop alpha te espera" in vip.content.decode()
    assert count_of(nobody) == 0
    assert "No customer matches" in nobody.content.decode()


def test_the_live_count_asks_to_correct_a_condition_it_cannot_read(customers, manager):
    response = manager.post("/campaigns/count/", form_data(inactive_days="muitos"))

    assert "Correct the highlighted conditions" in response.content.decode()
    assert "data-recipients" not in response.content.decode()


def test_the_form_counts_live_and_shows_every_customer_when_no_condition_is_set(customers, manager):
    html = manager.get("/campaigns/new/").content.decode()

    assert 'hx-post="/campaigns/count/"' in html
    assert 'hx-trigger="change, keyup changed delay:400ms"' in html
    assert "No condition set" in html
    assert '<option value="vip">' in html  # the tags customers have, to pick from
    assert count_of(manager.get("/campaigns/new/")) == 5  # everyone reachable, Recente included


def test_a_draft_with_mistakes_is_refused_field_by_field_keeping_what_was_typed(customers, manager):
    # when the message has an unknown placeholder and the gaps are upside down
    response = manager.post("/campaigns/new/", form_data(text="Oi {nme}, volte!", min_gap_s="120", max_gap_s="30"))

    # then nothing is saved, each mistake is said by its field, and what was typed is still there
    html = response.content.decode()
    assert response.status_code == 400
    assert not Campaign.objects.exists()
    text_field = html.split('for="id_text"')[1].split("</textarea>")[0]
    assert "Unknown placeholder {nme}: use {name}, {pet} or {shop}." in text_field
    assert "The shortest gap between messages is longer than the longest." in html
    assert "Oi {nme}, volte!</textarea>" in html
    assert 'value="120"' in html


def test_a_manager_saves_a_draft_then_each_edit_is_a_new_revision(customers, manager):
    # when the manager saves a draft
    response = manager.post("/campaigns/new/", form_data(starts_at="2030-03-05T14:30"))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.status, campaign.revision, campaign.created_by) == ("draft", 1, MANAGER)
    assert campaign.starts_at == local(5, 14, 30)  # the shop's wall clock

    # then the edit form shows it as saved, and saving a change makes revision 2
    edit = manager.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert 'value="2030-03-05T14:30"' in edit
    manager.post(f"/campaigns/{campaign.pk}/edit/", form_data(starts_at="2030-03-05T14:30", text="Oi {name}!"))
    campaign.refresh_from_db()
    assert (campaign.text, campaign.revision) == ("Oi {name}!", 2)

    # and saving it unchanged is no new revision
    manager.post(f"/campaigns/{campaign.pk}/edit/", form_data(starts_at="2030-03-05T14:30", text="Oi {name}!"))
    campaign.refresh_from_db()
    assert campaign.revision == 2
    assert "revision 2" in manager.get(f"/campaigns/{campaign.pk}/").content.decode()


def test_a_launched_campaign_cannot_be_edited(customers, manager):
    campaign = launched(draft())

    response = manager.post(f"/campaigns/{campaign.pk}/edit/", form_data(text="Outra coisa"))

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.text == "Oi {name}, saudade do {pet}!"
    assert "Only a draft can be edited." in manager.get(response["Location"]).content.decode()


# -- launch, stop, resume ---------------------------------------------------------------------


def test_the_launch_names_the_revision_shown_and_refuses_a_draft_edited_since(customers, manager):
    campaign = draft()

    # given the confirmation page, showing revision 1 to 4 customers
    confirm = manager.get(f"/campaigns/{campaign.pk}/launch/").content.decode()
    assert "Launch revision 1 now" in confirm
    assert 'name="revision" value="1"' in confirm
    assert count_of(manager.get(f"/campaigns/{campaign.pk}/launch/")) == 4

    # when someone else edits the draft before the launch is confirmed
    campaign_draft_update(campaign_id=campaign.pk, actor=STAFF, text="Oi {name}, temos horário!")
    stale = manager.post(f"/campaigns/{campaign.pk}/launch/", {"revision": "1"})

    # then nothing is launched, the page says why and shows the new revision
    campaign.refresh_from_db()
    assert stale.status_code == 409
    assert campaign.status == "draft"
    assert not campaign.recipients.exists()
    html = stale.content.decode()
    assert "The draft changed after it was shown: confirm the new version." in html
    assert "Launch revision 2 now" in html
    assert "Oi Cliente0, temos horário!" in html

    # and confirming the revision shown launches it
    response = manager.post(f"/campaigns/{campaign.pk}/launch/", {"revision": "2"})
    campaign.refresh_from_db()
    assert response.status_code == 302
    assert (campaign.status, campaign.launched_by, campaign.recipients.count()) == ("running", MANAGER, 4)


def test_a_campaign_is_stopped_and_resumed_and_a_draft_cannot_be_stopped(customers, manager):
    campaign = launched(draft())
    other = draft(name="Só rascunho")

    manager.post(f"/campaigns/{campaign.pk}/stop/")
    campaign.refresh_from_db()
    assert campaign.status == "stopped"
    assert "Resume sending" in manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert send_at(local(4, 11)) == 0

    manager.post(f"/campaigns/{campaign.pk}/resume/")
    campaign.refresh_from_db()
    assert campaign.status == "running"

    refused = manager.post(f"/campaigns/{other.pk}/stop/", follow=True)
    other.refresh_from_db()
    assert other.status == "draft"
    assert "Only a campaign that is sending can be stopped." in refused.content.decode()


def test_progress_is_polled_while_sending_counts_skips_with_reasons_and_stops_polling_once_finished(customers, manager):
    # given a campaign launched on Monday morning, and a customer who opts out after the launch
    campaign = launched(draft())
    Customer.objects.filter(pk=customers[1].pk).update(marketing_opted_out_at=local(4, 10))
    send_at(local(4, 10))
    send_at(local(4, 10, 1))

    # when the page is open while it sends
    page = manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    poll = manager.get(f"/campaigns/{campaign.pk}/", HTTP_HX_REQUEST="true").content.decode()

    # then the progress part asks to be polled every 3 s, and says where it stands
    assert 'hx-trigger="every 3s"' in page
    assert 'id="campaign-progress"' in poll
    assert "<h1>" not in poll
    assert "<strong>50%</strong>" in poll
    assert "the customer opted out of messages" in poll
    in_portuguese = manager.get(f"/campaigns/{campaign.pk}/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert "o cliente pediu para não receber mensagens" in in_portuguese.content.decode()

    # when every recipient is done and the campaign finishes
    send_at(local(4, 10, 2))
    send_at(local(4, 10, 3))
    send_at(local(4, 10, 4))
    campaign.refresh_from_db()
    assert campaign.status == "finished"
    done = manager.get(f"/campaigns/{campaign.pk}/", HTTP_HX_REQUEST="true").content.decode()

    # then the answer no longer asks to be polled
    assert "every 3s" not in done
    assert "<strong>100%</strong>" in done
    assert CampaignRecipient.objects.filter(campaign=campaign, status="sent").count() == 3


def test_results_count_the_bookings_made_within_the_days_asked(customers, manager, bath, groomer):
    # given a finished campaign, and a recipient who books the next day at noon, 26 hours after the message
    campaign = launched(draft())
    for minute in range(5):
        send_at(local(4, 10, minute))
    rex = pet_register(customer=customers[2], name="Rex", species="dog", size="M", actor=STAFF)
    with time_machine.travel(local(5, 12), tick=False):
        booking_create(service=bath, resource=groomer, start=local(6, 10), customer=customers[2], pet=rex,
                       actor=STAFF, now=local(5, 12))  # fmt: skip

    # when the results are counted within 1 day, the default 14, and 3 days
    one = manager.get(f"/campaigns/{campaign.pk}/", {"within": "1"}).content.decode()
    default = manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    three = manager.get(f"/campaigns/{campaign.pk}/", {"within": "3"}).content.decode()

    # then the booking counts only in the windows that hold it
    assert one.split("Booked within 1 day</th>")[1].split("</td>")[0].strip() == "<td>0"
    assert default.split("Booked within 14 days</th>")[1].split("</td>")[0].strip() == "<td>1"
    assert three.split("Booked within 3 days</th>")[1].split("</td>")[0].strip() == "<td>1"
    assert 'name="within" value="3"' in three


# -- who may ----------------------------------------------------------------------------------


def urls_of(campaign: Campaign) -> list[tuple[str, str]]:
    base = f"/campaigns/{campaign.pk}/"
    return [
        ("get", "/campaigns/"), ("get", "/campaigns/new/"), ("post", "/campaigns/new/"), ("post", "/campaigns/count/"),
        ("get", base), ("get", f"{base}edit/"), ("post", f"{base}edit/"), ("get", f"{base}launch/"),
        ("post", f"{base}launch/"), ("post", f"{base}stop/"), ("post", f"{base}resume/"),
    ]  # fmt: skip


def test_an_attendant_can_neither_see_nor_change_campaigns(customers, alpha_team):
    campaign = draft()
    attendant = alpha_team("attendant")

    for method, url in urls_of(campaign):
        response = getattr(attendant, method)(url, form_data(text="Hackeado") | {"revision": "1"})
        assert response.status_code == 403, (method, url)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.revision, Campaign.objects.count()) == ("draft", 1, 1)


def test_another_shops_manager_finds_none_of_alphas_campaigns(customers, alpha, beta, beta_team):
    campaign = draft(name="Campanha secreta da alpha")
    running = launched(draft(name="Outra da alpha"))
    beta_manager = beta_team("manager")

    for method, url in [*urls_of(campaign)[4:], ("post", f"/campaigns/{running.pk}/stop/")]:
        response = getattr(beta_manager, method)(url, {"revision": "1", **form_data()})
        assert response.status_code == 404, (method, url)
    assert "secreta" not in beta_manager.get("/campaigns/").content.decode()

    with tenant_context(alpha):
        assert list(Campaign.objects.order_by("pk").values_list("status", "revision")) == [("draft", 1), ("running", 1)]
    with tenant_context(beta):
        assert not Campaign.objects.exists()
