"""Campaigns: launched only as the draft that was shown, sent one at a time
inside the window and business hours, under the daily cap and each
customer's caps, never to an opted-out customer, stoppable, with true
progress."""

from datetime import time

import pytest
import time_machine
from django_tenants.utils import tenant_context

from agents.models import Campaign, CampaignRecipient, OutreachSettings
from agents.outreach.campaigns import (
    CampaignError,
    campaign_draft_create,
    campaign_draft_update,
    campaign_launch,
    campaign_resume,
    campaign_stop,
    campaigns_send_due,
)
from agents.outreach.selectors import campaign_progress
from agents.tasks import campaigns_all_tenants_task
from bookings.models import Customer
from bookings.services import booking_create, customer_get_or_create, pet_register
from tests.agents.conftest import customer_says
from tests.fixtures.bookings import STAFF
from whatsapp.models import Message

from .conftest import local

OWNER = STAFF


@pytest.fixture
def inactive(shop):
    """Five customers last seen in January, and one seen last week."""
    with time_machine.travel(local(1, 9), tick=False):
        people = [customer_get_or_create(phone=f"+55119888800{n:02d}", name=f"Cliente{n} Silva", actor=STAFF)[0]
                  for n in range(5)]  # fmt: skip
    Customer.objects.filter(pk__in=[c.pk for c in people]).update(last_interaction_at=local(1, 9).replace(month=1))
    pet_register(customer=people[0], name="Bolinha", species="cat", size="P", actor=STAFF)
    customer_get_or_create(phone="+5511988889999", name="Recente", actor=STAFF)
    Customer.objects.filter(phone="+5511988889999").update(last_interaction_at=local(1, 9))
    return people


def draft(**fields) -> Campaign:
    fields = {"name": "Volta!", "text": "Oi {nome}, saudade do {pet}! A {loja} tem horário esta semana.",
              "inactive_days": 30, "min_gap_s": 60, "max_gap_s": 60} | fields  # fmt: skip
    return campaign_draft_create(actor=OWNER, **fields)


def send_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return campaigns_send_due(now=moment)


def campaign_texts() -> list[str]:
    return list(Message.objects.filter(data__has_key="campaign").order_by("id").values_list("text", flat=True))


def test_only_the_revision_shown_can_be_launched_and_opted_out_customers_are_left_out(inactive):
    inactive[4].marketing_opted_out_at = local(2, 9)
    inactive[4].save()
    campaign = draft()
    campaign_draft_update(campaign_id=campaign.pk, actor=OWNER, text="Oi {nome}! Volte logo.")

    with pytest.raises(CampaignError, match="mudou depois de mostrado"):
        campaign_launch(campaign_id=campaign.pk, revision=1, actor=OWNER, now=local(4, 10))
    campaign = campaign_launch(campaign_id=campaign.pk, revision=2, actor=OWNER, now=local(4, 10))

    assert campaign.status == Campaign.Status.RUNNING
    assert sorted(campaign.recipients.values_list("customer_id", flat=True)) == [c.pk for c in inactive[:4]]
    with pytest.raises(CampaignError, match="já foi lançada"):
        campaign_launch(campaign_id=campaign.pk, revision=2, actor=OWNER, now=local(4, 10))


def test_a_draft_with_an_unknown_placeholder_or_no_one_to_reach_is_refused(inactive):
    with pytest.raises(CampaignError, match=r"\{nme\}"):
        draft(text="Oi {nme}")
    empty = draft(tag="vip")
    with pytest.raises(CampaignError, match="Nenhum cliente"):
        campaign_launch(campaign_id=empty.pk, revision=1, actor=OWNER, now=local(4, 10))
    assert not CampaignRecipient.objects.exists()


def test_messages_go_one_gap_apart_fill_placeholders_and_stop_at_the_daily_cap(inactive):
    campaign = draft(daily_cap=2)
    campaign_launch(campaign_id=campaign.pk, revision=1, actor=OWNER, now=local(4, 10))

    assert send_at(local(4, 10)) == 1
    assert send_at(local(4, 10, 0).replace(second=30)) == 0  # within the gap
    assert send_at(local(4, 10, 1)) == 1
    assert send_at(local(4, 10, 2)) == 0  # today's cap
    campaign.refresh_from_db()
    assert campaign.next_send_at == local(5, 8)  # tomorrow, when the window opens
    assert send_at(local(5, 8)) == 1

    assert campaign_texts() == [
        "Oi Cliente0, saudade do Bolinha! A Shop alpha tem horário esta semana.",
        "Oi Cliente1, saudade do! A Shop alpha tem horário esta semana.",  # no pet: no stray space
        "Oi Cliente2, saudade do! A Shop alpha tem horário esta semana.",
    ]


def test_nothing_goes_out_of_the_sending_window_or_business_hours(inactive):
    OutreachSettings.objects.create(window_start=time(9), window_end=time(17))
    campaign = draft()
    campaign_launch(campaign_id=campaign.pk, revision=1, actor=OWNER, now=local(4, 8, 30))

    assert send_at(local(4, 8, 30)) == 0  # the shop is open, the window is not
    campaign.refresh_from_db()
    assert campaign.next_send_at == local(4, 9)
    assert send_at(local(9, 12, 30)) == 0  # Saturday 12:30 is in the window, but the shop closed at 12:00
    campaign.refresh_from_db()
    assert campaign.next_send_at == local(11, 8)  # it opens on Monday at 08:00 ...
    assert send_at(local(11, 8)) == 0
    campaign.refresh_from_db()
    assert campaign.next_send_at == local(11, 9)  # ... and the window at 09:00
    assert send_at(local(11, 9)) == 1


def test_a_stopped_campaign_sends_nothing_until_resumed(inactive):
    campaign = draft()
    campaign_launch(campaign_id=campaign.pk, revision=1, actor=OWNER, now=local(4, 10))
    send_at(local(4, 10))
    campaign_stop(campaign_id=campaign.pk, actor=OWNER)

    assert send_at(local(4, 11)) == 0
    campaign_resume(campaign_id=campaign.pk, actor=OWNER, now=local(4, 12))
    assert send_at(local(4, 12)) == 1
    assert campaign_progress(campaign=campaign)["sent"] == 2


def test_customers_at_their_cap_or_opted_out_since_launch_are_skipped_and_the_campaign_finishes(inactive):
    OutreachSettings.objects.create(per_customer_per_day=1)
    campaign = draft()
    campaign_launch(campaign_id=campaign.pk, revision=1, actor=OWNER, now=local(4, 9))
    with time_machine.travel(local(4, 9), tick=False):
        other = draft(name="Outra")
        campaign_launch(campaign_id=other.pk, revision=1, actor=OWNER, now=local(4, 9))
    Customer.objects.filter(pk=inactive[3].pk).update(marketing_opted_out_at=local(4, 9, 30))

    for minute in range(0, 12, 1):
        send_at(local(4, 10, minute))

    first, second = campaign_progress(campaign=campaign), campaign_progress(campaign=other)
    assert (first["sent"] + second["sent"], first["skipped"] + second["skipped"]) == (4, 6)
    reasons = set(CampaignRecipient.objects.filter(status="skipped").values_list("reason", flat=True))
    assert reasons == {"per-customer daily cap", "the customer opted out of messages"}
    send_at(local(4, 11))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FINISHED
    assert campaign_progress(campaign=campaign)["percent_done"] == 100


def test_progress_counts_deliveries_reads_replies_and_bookings_afterwards(inactive, shop, bath, groomer):
    campaign = draft()
    campaign_launch(campaign_id=campaign.pk, revision=1, actor=OWNER, now=local(4, 10))
    for minute in range(3):
        send_at(local(4, 10, minute))
    first, second, third = Message.objects.filter(data__has_key="campaign").order_by("id")
    Message.objects.filter(pk=first.pk).update(status="read", status_rank=4)
    Message.objects.filter(pk=second.pk).update(status="delivered", status_rank=3)
    customer_says(shop, "Quero marcar!", at=local(4, 11), phone=inactive[1].phone)
    rex = pet_register(customer=inactive[1], name="Rex", actor=STAFF)
    with time_machine.travel(local(4, 12), tick=False):
        booking_create(service=bath, resource=groomer, start=local(6, 10), customer=inactive[1], pet=rex,
                       actor=STAFF, now=local(4, 12))  # fmt: skip

    progress = campaign_progress(campaign=campaign)

    assert {key: progress[key] for key in ("total", "pending", "sent", "delivered", "read", "replied", "booked")} == {
        "total": 5, "pending": 2, "sent": 3, "delivered": 2, "read": 1, "replied": 1, "booked": 1}  # fmt: skip
    assert progress["percent_done"] == 60


def test_the_task_sends_each_shops_campaigns_in_that_shop_only(inactive, alpha, beta):
    campaign = draft()
    campaign_launch(campaign_id=campaign.pk, revision=1, actor=OWNER, now=local(4, 10))
    with tenant_context(beta):
        assert not Campaign.objects.exists()
    with time_machine.travel(local(4, 10), tick=False):
        assert campaigns_all_tenants_task.apply().get() == {"alpha": 1}
        assert campaigns_all_tenants_task.apply().get() == {}  # within the gap


def test_a_scheduled_campaign_waits_for_its_start(inactive):
    campaign = draft(starts_at=local(5, 14))
    campaign_launch(campaign_id=campaign.pk, revision=1, actor=OWNER, now=local(4, 10))

    assert send_at(local(4, 10)) == 0
    assert send_at(local(5, 13, 59)) == 0
    assert send_at(local(5, 14)) == 1
