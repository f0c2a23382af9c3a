"""The analytics page, for managers and owners, against a small history
whose figures are known: a period picked from presets or typed (a bad one
is said in the page), the figures and charts of that period, the results
of its campaigns, and CSV exports at once or in the background. Another
shop sees none of it."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django_tenants.utils import tenant_context

from agents.models import AgentSettings
from agents.outreach.campaigns import campaign_draft_create, campaign_launch
from analytics.models import ExportJob
from analytics.services import ai_call_record
from analytics.tasks import export_build_task
from bookings.models import Pet
from bookings.services import booking_complete
from tenants.shop.services import Actor
from tests.fixtures.shop_days import sao_paulo

STAFF = Actor("staff", "ana@alpha.test")
AI = Actor("ai", "attendant")
MONDAY, TUESDAY, WEDNESDAY = date(2030, 3, 4), date(2030, 3, 5), date(2030, 3, 6)
PERIOD = {"period": "custom", "from": "2030-03-04", "to": "2030-03-06"}


def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def figure(html: str, label: str) -> str:
    """The value beside a label in the page's figures, as read."""
    value = html.split(f"<dt>{label}</dt>", 1)[1].split("<dd>", 1)[1].split("</dd>", 1)[0]
    while "<" in value:  # drop the tags, keep the text
        head, _tag, tail = value.partition("<")
        value = head + tail.partition(">")[2]
    return " ".join(value.split())


def chart(html: str, chart_id: str) -> str:
    return html.split(f'aria-labelledby="{chart_id}-title')[1].split("</svg>")[0]


@pytest.fixture
def history(shop) -> dict:
    """Monday: Ana is answered by the AI in 20 s and the team books her dog
    a bath for Wednesday 10:00 (completed there). Bia writes at 23:30 and a
    person answers alone in 60 s. Tuesday: Caio is answered by the AI in
    10 s, and the AI books his dog a bath for Wednesday 14:00."""
    ana = shop.customer_writes(sao_paulo(MONDAY, "09:00"), "+5511911110001", name="Ana")
    shop.answer(sao_paulo(MONDAY, "09:00:20"), ana, "bot")
    thor = Pet.objects.create(customer=ana.customer, name="Thor", species="dog", size="M")
    bath = shop.book(sao_paulo(MONDAY, "09:05"), thor, start=sao_paulo(WEDNESDAY, "10:00"))
    bia = shop.customer_writes(sao_paulo(MONDAY, "23:30"), "+5511911110002", name="Bia")
    shop.answer(sao_paulo(MONDAY, "23:31"), bia, "staff")
    caio = shop.customer_writes(sao_paulo(TUESDAY, "10:00"), "+5511911110003", name="Caio")
    shop.answer(sao_paulo(TUESDAY, "10:00:10"), caio, "bot")
    rex = Pet.objects.create(customer=caio.customer, name="Rex", species="dog", size="M")
    shop.book(sao_paulo(TUESDAY, "10:05"), rex, start=sao_paulo(WEDNESDAY, "14:00"), actor=AI)
    with time_machine.travel(sao_paulo(WEDNESDAY, "11:30"), tick=False):
        booking_complete(booking=bath, actor=STAFF, now=sao_paulo(WEDNESDAY, "11:30"))
    return {"price": bath.price, "service": bath.service.name}


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_the_page_shows_the_periods_true_figures(history, alpha_team, role):
    response = english(alpha_team(role)).get("/analytics/", PERIOD)

    html = response.content.decode()
    price = f"R$ {history['price']:.2f}"
    assert response.status_code == 200
    assert "4 Mar 2030 to 6 Mar 2030: 3 days" in html
    # conversations: who answered, how fast
    assert figure(html, "Started") == "3"
    assert figure(html, "Answered by the AI alone") == "2"
    assert figure(html, "Answered by a person only") == "1"
    assert figure(html, "First answer by the AI, on average") == "15 s"  # (20 + 10) / 2
    assert figure(html, "First answer by a person, on average") == "1 min from the hand-over"
    assert (figure(html, "Received"), figure(html, "Sent")) == ("3", "3")
    # bookings: made, their value, the one completed
    assert figure(html, "Made") == "2"
    assert figure(html, "Value booked") == f"R$ {2 * history['price']:.2f}"
    assert figure(html, "Completed") == "1"
    assert figure(html, "Revenue of completed bookings") == price
    assert figure(html, "Average ticket") == price
    assert figure(html, "Busiest weekday") == "Wed"
    assert f"<td>{history['service']}</td><td>2</td>" in html
    # customers and pets
    assert figure(html, "New") == "3"
    assert "<td>Dog</td><td>2</td>" in html


def test_ai_cost_per_conversation_and_booking_and_this_months_spend_against_the_cap(history, alpha_team):
    with time_machine.travel(sao_paulo(MONDAY, "09:00:10"), tick=False):
        ai_call_record(call_id="turn-1", calls=2, tokens=1200, cost=Decimal("0.30"))  # a tool call, then the answer
    AgentSettings.objects.create(monthly_cap_usd=Decimal("3.00"))

    with time_machine.travel(sao_paulo(WEDNESDAY, "18:00"), tick=False):
        html = english(alpha_team("owner")).get("/analytics/", PERIOD).content.decode()

    assert (figure(html, "Model calls"), figure(html, "Tokens")) == ("2", "1,200")
    assert figure(html, "Cost") == "US$ 0.3000"
    assert figure(html, "Per conversation") == "US$ 0.1000"  # 3 conversations
    assert figure(html, "Per booking made by the AI") == "US$ 0.3000"  # Caio's
    assert "US$ 0.3000 of the US$ 3.00 monthly cap (10.0%)" in html


def test_the_charts_draw_the_periods_series_and_breakdowns(history, alpha_team):
    html = english(alpha_team("manager")).get("/analytics/", PERIOD).content.decode()

    conversations = chart(html, "chart-conversations")
    assert conversations.count('class="bar"') == 3  # one column a day
    assert "4 Mar 2030: 2" in conversations
    assert "5 Mar 2030: 1" in conversations
    assert "6 Mar 2030: 0" in conversations
    bookings = chart(html, "chart-bookings")
    assert "4 Mar 2030: 1" in bookings
    assert "5 Mar 2030: 1" in bookings
    assert "6 Mar 2030: R$ " in chart(html, "chart-revenue")
    hours = chart(html, "chart-hours")
    assert "10:00: 1" in hours
    assert "14:00: 1" in hours
    assert "Wed: 2" in chart(html, "chart-weekdays")
    sources = chart(html, "chart-sources")
    assert "AI attendant: 1" in sources
    assert "staff: 1" in sources


def test_presets_are_shop_local_days_and_columns_follow_the_length(alpha_team):
    with time_machine.travel(sao_paulo(date(2030, 3, 15), "23:30"), tick=False):  # already the 16th in UTC
        manager = english(alpha_team("manager"))
        last_month = manager.get("/analytics/", {"period": "last_month"}).content.decode()
        quarter = manager.get("/analytics/", {"period": "90d"}).content.decode()
        by_month = manager.get("/analytics/", {"period": "90d", "every": "month"}).content.decode()

    assert "1 Feb 2030 to 28 Feb 2030: 28 days" in last_month
    assert "16 Dec 2029 to 15 Mar 2030: 90 days" in quarter
    assert "No data in this period." in chart(quarter, "chart-conversations")
    assert 'aria-current="true">Last 90 days' in quarter
    assert 'value="2029-12-16"' in quarter  # the period shown, ready to adjust
    assert "16 Dec 2029 to 15 Mar 2030" in by_month


def test_columns_are_days_up_to_a_month_then_weeks_or_as_asked(history, alpha_team):
    manager = english(alpha_team("manager"))
    march, quarter = {"from": "2030-03-01", "to": "2030-03-31"}, {"from": "2030-01-01", "to": "2030-03-31"}

    by_day = chart(manager.get("/analytics/", march).content.decode(), "chart-conversations")
    by_week = chart(manager.get("/analytics/", march | {"every": "week"}).content.decode(), "chart-conversations")
    weeks = chart(manager.get("/analytics/", quarter).content.decode(), "chart-conversations")
    months = chart(manager.get("/analytics/", quarter | {"every": "month"}).content.decode(), "chart-conversations")

    assert by_day.count('class="bar"') == 31
    # weeks start on Monday; the first and last are cut to the period
    assert by_week.count('class="bar"') == 5
    assert "1 Mar–3 Mar 2030: 0" in by_week
    assert "4 Mar–10 Mar 2030: 3" in by_week
    assert weeks.count('class="bar"') == 13  # 90 days: weekly columns unless asked otherwise
    assert months.count('class="bar"') == 3
    assert "1 Mar–31 Mar 2030: 3" in months
    assert ">Mar 2030</text>" in months


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "custom", "from": "2030-03-10", "to": "2030-03-01"}, "The end of the period must not be before"),
        ({"from": "2029-01-01", "to": "2030-03-01"}, "Ask for at most 366 days at a time."),
        ({"period": "custom", "from": "ontem", "to": "2030-03-01"}, "Enter a valid date."),
        ({"period": "custom", "to": "2030-03-01"}, "Enter a date."),
        ({"period": "forever"}, "Select a valid choice."),
    ],
)
def test_a_bad_period_is_said_in_the_page(alpha_team, params, message):
    response = english(alpha_team("manager")).get("/analytics/", params)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<h1>Analytics</h1>" in response.content.decode()


def test_the_periods_campaigns_and_their_results(history, alpha_team):
    campaign = campaign_draft_create(name="Volta março", text="Oi {name}!", actor=STAFF)
    campaign_launch(campaign_id=campaign.pk, revision=1, actor=STAFF, now=sao_paulo(TUESDAY, "12:00"))

    html = english(alpha_team("manager")).get("/analytics/", PERIOD).content.decode()
    later = english(alpha_team("manager")).get("/analytics/", {"period": "custom", "from": "2030-04-01",
                                                                "to": "2030-04-02"}).content.decode()  # fmt: skip

    row = html.split(f'href="/campaigns/{campaign.pk}/">Volta março</a>')[1].split("</tr>")[0]
    assert "<td>3</td><td>0</td>" in row  # 3 recipients, none sent yet
    assert "Volta março" not in later
    assert "No campaign was launched in this period." in later


# -- CSV exports -------------------------------------------------------------------------------


def test_a_short_period_links_the_csv_at_once_a_long_one_asks_for_a_background_file(alpha_team):
    manager = english(alpha_team("manager"))

    short = manager.get("/analytics/", PERIOD).content.decode()
    long = manager.get("/analytics/", {"period": "custom", "from": "2030-01-01", "to": "2030-03-06"}).content.decode()

    assert 'href="/api/v1/analytics/export/bookings.csv?from=2030-03-04&amp;to=2030-03-06"' in short
    assert 'href="/api/v1/analytics/export/conversations.csv?from=2030-03-04&amp;to=2030-03-06"' in short
    assert "export/bookings.csv" not in long
    assert "prepared in the background" in long
    assert 'name="from" value="2030-01-01"' in long  # the background form, set to the period shown


def test_a_background_export_is_started_followed_and_downloaded(history, alpha, alpha_team):
    manager = english(alpha_team("manager"))

    # when the manager asks for the bookings of the period
    started = manager.post("/analytics/exports/", {"kind": "bookings", **PERIOD}, HTTP_HX_REQUEST="true")

    # then a job is queued, and its row asks to be polled every 2 s
    job = ExportJob.objects.get()
    assert (job.kind, job.start, job.end, job.status) == ("bookings", MONDAY, WEDNESDAY, "queued")
    fragment = started.content.decode()
    assert fragment.lstrip().startswith('<div id="exports">')
    assert f'hx-get="/analytics/exports/{job.pk}/" hx-trigger="every 2s"' in fragment

    # when the worker has built it
    export_build_task.run(job.pk)
    try:
        poll = manager.get(f"/analytics/exports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()

        # then the row stops polling and links the file, which has the period's two bookings
        assert "every 2s" not in poll
        assert "2 rows" in poll
        assert f'href="/api/v1/analytics/exports/{job.pk}/download/"' in poll
        download = manager.get(f"/api/v1/analytics/exports/{job.pk}/download/")
        assert b"".join(download.streaming_content).decode("utf-8-sig").count("\r\n") == 3  # header + 2
    finally:
        with tenant_context(alpha):
            ExportJob.objects.get(pk=job.pk).file.delete(save=False)


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ({"from": "2030-03-10", "to": "2030-03-01"}, "The end of the period must not be before its start."),
        ({"from": "2029-01-01", "to": "2030-03-01"}, "Ask for at most 366 days at a time."),
        ({"from": "", "to": "2030-03-01"}, "This field is required."),
    ],
)
def test_a_bad_background_export_is_refused_in_the_form_and_queues_nothing(alpha, alpha_team, period, message):
    manager = english(alpha_team("manager"))

    by_htmx = manager.post("/analytics/exports/", {"kind": "bookings", **period}, HTTP_HX_REQUEST="true")
    plain = manager.post("/analytics/exports/", {"kind": "bookings", **period})

    assert (by_htmx.status_code, plain.status_code) == (200, 400)  # htmx swaps only a 2xx answer
    assert message in by_htmx.content.decode()
    assert message in plain.content.decode()
    assert f'value="{period["to"]}"' in plain.content.decode()
    with tenant_context(alpha):
        assert not ExportJob.objects.exists()


# -- who may ----------------------------------------------------------------------------------


def test_an_attendant_sees_no_figures_and_starts_no_export(alpha, alpha_team):
    with tenant_context(alpha):
        job = ExportJob.objects.create(kind="bookings", start=MONDAY, end=TUESDAY, requested_by="x")
    attendant = alpha_team("attendant")

    assert attendant.get("/analytics/", PERIOD).status_code == 403
    assert attendant.get("/analytics/exports/").status_code == 403
    assert attendant.post("/analytics/exports/", {"kind": "bookings", **PERIOD}).status_code == 403
    assert attendant.get(f"/analytics/exports/{job.pk}/").status_code == 403
    with tenant_context(alpha):
        assert ExportJob.objects.count() == 1


def test_another_shops_manager_sees_none_of_alphas_figures_or_exports(history, alpha, beta, beta_team):
    with tenant_context(alpha):
        job = ExportJob.objects.create(kind="bookings", start=MONDAY, end=TUESDAY, requested_by="ana@alpha.test")
        campaign = campaign_draft_create(name="Volta alpha", text="Oi {name}!", actor=STAFF)
        campaign_launch(campaign_id=campaign.pk, revision=1, actor=STAFF, now=sao_paulo(TUESDAY, "12:00"))
    beta_manager = english(beta_team("manager"))

    html = beta_manager.get("/analytics/", PERIOD).content.decode()
    exports = beta_manager.get("/analytics/exports/").content.decode()

    assert figure(html, "Started") == "0"
    assert figure(html, "Made") == "0"
    assert "Volta alpha" not in html
    assert history["service"] not in html
    assert "ana@alpha.test" not in exports
    assert beta_manager.get(f"/analytics/exports/{job.pk}/").status_code == 404
    assert beta_manager.get(f"/analytics/exports/{job.pk}/", HTTP_HX_REQUEST="true").status_code == 404
    with tenant_context(beta):
        assert not ExportJob.objects.exists()
