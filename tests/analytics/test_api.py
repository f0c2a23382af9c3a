"""The figures over REST: for managers and owners of the shop only, with
clear errors for bad periods."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from agents.models import Campaign, CampaignRecipient
from analytics.models import AnalyticsEvent
from analytics.services import event_record
from bookings.models import Booking, Resource, Service
from bookings.services import customer_get_or_create
from tenants.shop.services import Actor, api_key_create
from tests.conftest import ALPHA, BETA, login

SUMMARY = "/api/v1/analytics/summary/"
SERIES = "/api/v1/analytics/series/"
CAMPAIGNS = "/api/v1/analytics/campaigns/"
MARCH_2 = datetime(2030, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def alpha_owner(alpha, alpha_client):
    with tenant_context(alpha):
        event_record(kind=AnalyticsEvent.Kind.BOOKING_CREATED, dedupe_key="booking:1:created", occurred_at=MARCH_2,
                     dims={"source": "ai"}, value=120)  # fmt: skip
    return login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)


def test_the_owner_reads_a_periods_figures_and_a_daily_series(alpha_owner):
    summary = alpha_owner.get(SUMMARY, {"from": "2030-03-01", "to": "2030-03-31"})
    series = alpha_owner.get(SERIES, {"metric": "booking_created", "from": "2030-03-01", "to": "2030-03-03"})

    assert summary.status_code == 200
    assert summary.json()["bookings"]["revenue_booked"] == "120.00"
    assert summary.json()["period"] == {"start": "2030-03-01", "end": "2030-03-31"}
    assert [(p["start"], p["count"], p["total"]) for p in series.json()] == [
        ("2030-03-01", 0, "0.00"), ("2030-03-02", 1, "120.00"), ("2030-03-03", 0, "0.00"),
    ]  # fmt: skip


def test_a_series_by_week_cuts_its_first_and_last_weeks_to_the_period(alpha_owner):
    # 2030-03-01 is a Friday: the first "week" is Friday to Sunday
    weeks = alpha_owner.get(SERIES, {"metric": "booking_created", "every": "week",
                                     "from": "2030-03-01", "to": "2030-03-12"}).json()  # fmt: skip
    months = alpha_owner.get(SERIES, {"metric": "booking_created", "every": "month",
                                      "from": "2030-02-15", "to": "2030-03-31"}).json()  # fmt: skip

    assert [(w["start"], w["end"], w["count"]) for w in weeks] == [
        ("2030-03-01", "2030-03-03", 1), ("2030-03-04", "2030-03-10", 0), ("2030-03-11", "2030-03-12", 0),
    ]  # fmt: skip
    assert [(m["start"], m["end"], m["count"]) for m in months] == [
        ("2030-02-15", "2030-02-28", 0), ("2030-03-01", "2030-03-31", 1),
    ]  # fmt: skip


def test_without_a_period_it_is_the_last_30_days(alpha_owner):
    period = alpha_owner.get(SUMMARY).json()["period"]

    start, end = (datetime.fromisoformat(period[key]) for key in ("start", "end"))
    assert (end - start).days == 29


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2030-03-10", "to": "2030-03-01"}, "to"),
        ({"from": "2029-01-01", "to": "2030-03-01"}, "to"),
        ({"from": "ontem"}, "from"),
    ],
)
def test_a_bad_period_is_a_clear_400(alpha_owner, params, field):
    response = alpha_owner.get(SUMMARY, params)

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert response.json()["message"]


def test_an_unknown_metric_is_refused(alpha_owner):
    response = alpha_owner.get(SERIES, {"metric": "happiness"})

    assert response.status_code == 400
    assert "metric" in response.json()["fields"]


def test_attendants_do_not_see_revenue(alpha, alpha_client):
    with tenant_context(alpha):
        get_user_model().objects.create_user(email="att@alpha.test", password="attendant-pw-1", role="attendant")
    login(alpha_client, alpha, email="att@alpha.test", password="attendant-pw-1")

    assert alpha_client.get(SUMMARY).status_code == 403
    assert alpha_client.get(SERIES, {"metric": "message_in"}).status_code == 403


def test_another_shops_owner_and_key_see_nothing_here(alpha_owner, alpha, beta, beta_client, alpha_client):
    with tenant_context(beta):
        _key, secret = api_key_create(name="Beta BI", role="manager", actor=Actor("staff", BETA.owner_email))
    login(beta_client, beta, email=BETA.owner_email, password=BETA.owner_password)

    # on its own host beta sees its own (empty) figures
    own = beta_client.get(SUMMARY, {"from": "2030-03-01", "to": "2030-03-31"}).json()
    assert own["bookings"]["made"] == 0

    # beta's session is unknown on alpha's host, and beta's key too
    beta_session_on_alpha = alpha_client.__class__(HTTP_HOST=ALPHA.host)
    beta_session_on_alpha.cookies = beta_client.cookies
    assert beta_session_on_alpha.get(SUMMARY).status_code == 403
    by_key = alpha_client.__class__(HTTP_HOST=ALPHA.host).get(SUMMARY, HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert by_key.status_code in {401, 403}
    assert "bookings" not in by_key.json()


def test_the_endpoints_are_in_the_openapi_schema(alpha_owner):
    schema = alpha_owner.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert {SUMMARY, SERIES} <= set(schema["paths"])


def test_campaign_results_are_the_shops_own_and_count_bookings_within_the_days_asked(alpha, beta, alpha_owner,
                                                                                     beta_client):  # fmt: skip
    with tenant_context(alpha):
        campaign = launched_campaign_with_a_booking_after(days=10)
    beta_owner = login(beta_client, beta, email=BETA.owner_email, password=BETA.owner_password)

    params = {"from": "2030-03-01", "to": "2030-03-31"}
    default = alpha_owner.get(CAMPAIGNS, params).json()
    within_7 = alpha_owner.get(CAMPAIGNS, params | {"booked_within_days": 7}).json()

    assert [(c["campaign"], c["sent"], c["booked"], c["booked_within_days"]) for c in default] == [
        (campaign.pk, 1, 1, 14)]  # fmt: skip
    assert within_7[0]["booked"] == 0
    assert beta_owner.get(CAMPAIGNS, params).json() == []
    assert alpha_owner.get(CAMPAIGNS, params | {"booked_within_days": 0}).status_code == 400


def launched_campaign_with_a_booking_after(*, days: int):
    """A campaign sent to one customer on 2 March, who booked `days` later."""
    customer, _created = customer_get_or_create(phone="+5511966660000", name="Rui", actor=Actor.system())
    campaign = Campaign.objects.create(name="Volta", text="Oi", created_by="test", status="finished",
                                       launched_at=MARCH_2)  # fmt: skip
    CampaignRecipient.objects.create(campaign=campaign, customer=customer, status="sent", sent_at=MARCH_2)
    start = MARCH_2 + timedelta(days=20)
    booking = Booking.objects.create(
        customer=customer, service=Service.objects.first(), resource=Resource.objects.first(), start=start,
        end=start + timedelta(hours=1), occupied_until=start + timedelta(hours=1), source="staff", created_by="test",
    )  # fmt: skip
    Booking.objects.filter(pk=booking.pk).update(created_at=MARCH_2 + timedelta(days=days))
    return campaign
