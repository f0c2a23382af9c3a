"""CSV exports against a small hand-built history whose rows are known: a
hand-over, a person answering alone, a conversation at 23:30 (a São Paulo
day, not a UTC one), bookings made just before and after midnight, one
cancelled. Short periods stream at once; long ones are built by the real
Celery worker and downloaded. Managers and owners only, one shop only."""

import csv
import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from analytics.exports import BOOKING_COLUMNS, CONVERSATION_COLUMNS, ERROR_STORAGE, export_job_create
from analytics.models import AnalyticsEvent, ConversationRecord, DailyMetric, ExportJob
from analytics.tasks import export_build_task
from bookings.models import Booking, Customer, Pet, Resource, Service
from bookings.services import booking_cancel, customer_get_or_create, pet_register
from tenants.shop.models import AuditEntry
from tenants.shop.services import Actor, api_key_create
from tests.conftest import ALPHA, BETA, login, wait_until
from tests.fixtures.shop_days import ShopDays, sao_paulo
from whatsapp.models import Channel, Conversation

STREAM = "/api/v1/analytics/export/{}.csv"
JOBS = "/api/v1/analytics/exports/"
STAFF = Actor("staff", "ana@alpha.test")
AI = Actor("ai", "attendant")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
SUNDAY, MONDAY, TUESDAY, WEDNESDAY = date(2030, 3, 3), date(2030, 3, 4), date(2030, 3, 5), date(2030, 3, 6)
FORMULA_NAME = '=HYPERLINK("http://evil.test","Bia")'


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())  # Excel reads the accents right
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def period(start: date, end: date) -> dict[str, str]:
    return {"from": start.isoformat(), "to": end.isoformat()}


@pytest.fixture
def history(shop) -> dict:
    """Sunday 23:50: Duda books by the AI (Monday in UTC, Sunday in São Paulo).
    Monday: Ana is answered by the AI in 20 s, handed over at 09:06, a person
    answers at 09:10 and books her dog a bath. At 23:30 someone whose
    WhatsApp name is a spreadsheet formula writes and a person answers alone
    in 60 s. Tuesday: Caio is answered by the AI in 10 s, and at 23:30 the AI
    books him a bath, which he cancels on Wednesday morning."""
    with time_machine.travel(sao_paulo(SUNDAY, "23:00"), tick=False):
        duda = customer_get_or_create(phone="+5511911110004", name="Duda", actor=STAFF)[0]
    duda_pet = pet_register(customer=duda, name="Mel", species="dog", size="M", actor=STAFF)
    duda_booking = shop.book(sao_paulo(SUNDAY, "23:50"), duda_pet, start=sao_paulo(WEDNESDAY, "12:00"), actor=AI)

    ana = shop.customer_writes(sao_paulo(MONDAY, "09:00"), "+5511911110001", name="Ana")
    shop.answer(sao_paulo(MONDAY, "09:00:20"), ana, "bot")
    shop.customer_writes(sao_paulo(MONDAY, "09:05"), "+5511911110001", "Quero falar com alguém")
    shop.hand_over(sao_paulo(MONDAY, "09:06"), ana)
    shop.answer(sao_paulo(MONDAY, "09:10"), ana, "staff")
    thor = pet_register(customer=ana.customer, name="Thor", species="dog", size="M", actor=STAFF)
    ana_booking = shop.book(sao_paulo(MONDAY, "09:12"), thor, start=sao_paulo(WEDNESDAY, "10:00"))

    bia = shop.customer_writes(sao_paulo(MONDAY, "23:30"), "+5511911110002", name=FORMULA_NAME)
    shop.answer(sao_paulo(MONDAY, "23:31"), bia, "staff")

    caio = shop.customer_writes(sao_paulo(TUESDAY, "10:00"), "+5511911110003", name="Caio")
    shop.answer(sao_paulo(TUESDAY, "10:00:10"), caio, "bot")
    rex = pet_register(customer=caio.customer, name="Rex", species="dog", size="M", actor=STAFF)
    caio_booking = shop.book(sao_paulo(TUESDAY, "23:30"), rex, start=sao_paulo(WEDNESDAY, "14:00"), actor=AI)
    with time_machine.travel(sao_paulo(WEDNESDAY, "08:00"), tick=False):
        booking_cancel(booking=caio_booking, reason="viagem", actor=STAFF, now=sao_paulo(WEDNESDAY, "08:00"))
    return {
        "ana": ana, "bia": bia, "caio": caio, "duda_booking": duda_booking, "ana_booking": ana_booking,
        "caio_booking": caio_booking, "bath": Service.objects.get(category=Service.Category.BATH).name,
        "groomer": Resource.objects.get().name,
    }  # fmt: skip


@pytest.fixture
def owner(alpha, alpha_client) -> Client:
    return login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)


# -- the rows -----------------------------------------------------------------


def test_one_row_per_conversation_with_who_answered_how_fast_and_what_it_booked(history, owner):
    # given the history of Monday and Tuesday
    ana, bia, caio, h = history["ana"], history["bia"], history["caio"], history

    # when the owner downloads the conversations of those two days
    response = owner.get(STREAM.format("conversations"), period(MONDAY, TUESDAY))

    # then every conversation is one row, times in São Paulo, answers in seconds
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="conversations_2030-03-04_2030-03-05.csv"'
    assert "no-store" in response["Cache-Control"]
    assert csv_rows(response.getvalue()) == [
        CONVERSATION_COLUMNS,
        [str(ana.pk), "2030-03-04T09:00:00-03:00", "Ana", "+5511911110001", "Balcão", "handed_over", "20.0",
         "2030-03-04T09:06:00-03:00", "240.0", "2", "2", str(h["ana_booking"].pk), h["bath"], "65.00"],
        [str(bia.pk), "2030-03-04T23:30:00-03:00", "'" + FORMULA_NAME, "+5511911110002", "Balcão", "human", "",
         "", "60.0", "1", "1", "", "", ""],
        [str(caio.pk), "2030-03-05T10:00:00-03:00", "Caio", "+5511911110003", "Balcão", "ai", "10.0", "", "",
         "1", "1", str(h["caio_booking"].pk), h["bath"], "65.00"],
    ]  # fmt: skip


def test_one_row_per_booking_made_in_the_periods_sao_paulo_days(history, owner):
    # given bookings made on Sunday 23:50, Monday 09:12 and Tuesday 23:30 (São Paulo)
    h = history

    # when the owner downloads the bookings made on Monday and Tuesday
    response = owner.get(STREAM.format("bookings"), period(MONDAY, TUESDAY))

    # then Sunday's (already Monday in UTC) is not there, Tuesday 23:30's is
    assert response.status_code == 200
    assert csv_rows(response.getvalue()) == [
        BOOKING_COLUMNS,
        [str(h["ana_booking"].pk), "2030-03-04T09:12:00-03:00", "Ana", "+5511911110001", "Thor", h["bath"],
         h["groomer"], "2030-03-06T10:00:00-03:00", "2030-03-06T11:00:00-03:00", "pending", "staff", "65.00", "",
         ""],
        [str(h["caio_booking"].pk), "2030-03-05T23:30:00-03:00", "Caio", "+5511911110003", "Rex", h["bath"],
         h["groomer"], "2030-03-06T14:00:00-03:00", "2030-03-06T15:00:00-03:00", "cancelled", "ai", "65.00",
         "2030-03-06T08:00:00-03:00", "viagem"],
    ]  # fmt: skip
    sunday = csv_rows(owner.get(STREAM.format("bookings"), period(SUNDAY, SUNDAY)).getvalue())
    assert [row[0] for row in sunday[1:]] == [str(h["duda_booking"].pk)]


def test_a_conversation_at_23_30_counts_on_the_shops_day(history, owner):
    monday = csv_rows(owner.get(STREAM.format("conversations"), period(MONDAY, MONDAY)).getvalue())
    tuesday = csv_rows(owner.get(STREAM.format("conversations"), period(TUESDAY, TUESDAY)).getvalue())

    assert [row[2] for row in monday[1:]] == ["Ana", "'" + FORMULA_NAME]
    assert [row[2] for row in tuesday[1:]] == ["Caio"]


def test_an_empty_period_is_the_header_alone(shop, owner):
    response = owner.get(STREAM.format("bookings"), period(date(2030, 1, 1), date(2030, 1, 31)))

    assert csv_rows(response.getvalue()) == [BOOKING_COLUMNS]


# -- bad input, roles, other shops ---------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("conversations", {"from": "2030-03-10", "to": "2030-03-01"}, "to"),
        ("happiness", {"from": "2030-03-01", "to": "2030-03-10"}, "kind"),
        ("bookings", {"from": "2029-01-01", "to": "2030-03-01"}, "to"),  # more than 366 days
        ("bookings", {"from": "2030-01-01", "to": "2030-02-01"}, "to"),  # 32 days: ask for a background export
        ("bookings", {"from": "ontem"}, "from"),
    ],
)
def test_a_bad_export_request_is_a_clear_400(owner, kind, params, field):
    response = owner.get(STREAM.format(kind), params, HTTP_ACCEPT="text/csv")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["code"], set(body["fields"])) == ("invalid", {field})
    assert body["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "happiness", "from": "2030-01-01", "to": "2030-03-01"}, "kind"),
        ({"kind": "bookings", "from": "2030-03-10", "to": "2030-03-01"}, "to"),
        ({"kind": "bookings", "from": "2029-01-01", "to": "2030-03-01"}, "to"),
        ({"from": "2030-01-01", "to": "2030-03-01"}, "kind"),
    ],
)
def test_a_bad_background_export_is_a_clear_400_and_queues_nothing(alpha, owner, body, field):
    response = owner.post(JOBS, body, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {field}
    with tenant_context(alpha):
        assert not ExportJob.objects.exists()


def test_attendants_cannot_export(alpha, alpha_client):
    # given an attendant of alpha, and an export made by the owner
    with tenant_context(alpha):
        get_user_model().objects.create_user(email="att@alpha.test", password="attendant-pw-1", role="attendant")
        job = export_job_create(kind="bookings", start=MONDAY, end=TUESDAY, requested_by=ALPHA.owner_email)
    login(alpha_client, alpha, email="att@alpha.test", password="attendant-pw-1")

    # when the attendant tries every export URL, then each is refused
    for response in (
        alpha_client.get(STREAM.format("bookings"), period(MONDAY, TUESDAY)),
        alpha_client.get(JOBS),
        alpha_client.post(JOBS, {"kind": "bookings", **period(MONDAY, TUESDAY)}, content_type="application/json"),
        alpha_client.get(f"{JOBS}{job.pk}/"),
        alpha_client.get(f"{JOBS}{job.pk}/download/"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


def test_another_shop_neither_sees_alphas_jobs_nor_gets_its_rows(history, alpha, beta, owner, beta_client):
    # given alpha's history and a finished export of it
    with tenant_context(alpha):
        job = export_job_create(kind="conversations", start=MONDAY, end=TUESDAY, requested_by=ALPHA.owner_email)
        export_build_task.run(job.pk)
    try:
        with tenant_context(beta):
            _key, secret = api_key_create(name="Beta BI", role="manager", actor=Actor("staff", BETA.owner_email))
        login(beta_client, beta, email=BETA.owner_email, password=BETA.owner_password)
        control = owner.get(f"{JOBS}{job.pk}/download/")  # alpha gets it
        assert b"Ana" in b"".join(control.streaming_content)

        # when beta asks for alpha's job on its own host, then it does not exist there
        for url in (f"{JOBS}{job.pk}/", f"{JOBS}{job.pk}/download/"):
            response = beta_client.get(url)
            assert (response.status_code, response.json()["code"]) == (404, "not_found")
        assert beta_client.get(JOBS).json()["results"] == []
        # and beta's own export of the same days has none of alpha's rows
        for kind in ("conversations", "bookings"):
            rows = csv_rows(beta_client.get(STREAM.format(kind), period(SUNDAY, WEDNESDAY)).getvalue())
            assert len(rows) == 1
        # beta's session and beta's key are unknown on alpha's host
        beta_on_alpha = Client(HTTP_HOST=ALPHA.host)
        beta_on_alpha.cookies = beta_client.cookies
        by_key = Client(HTTP_HOST=ALPHA.host)
        for url in (f"{JOBS}{job.pk}/", f"{JOBS}{job.pk}/download/", STREAM.format("conversations")):
            assert beta_on_alpha.get(url).status_code == 403
            response = by_key.get(url, HTTP_AUTHORIZATION=f"Api-Key {secret}")
            assert response.status_code in {401, 403}
            assert b"Ana" not in response.content
    finally:
        with tenant_context(alpha):
            ExportJob.objects.get(pk=job.pk).file.delete(save=False)


# -- background exports ---------------------------------------------------------


def test_a_queued_export_can_be_polled_but_not_downloaded_yet(alpha, owner):
    # given a background export asked for (in a test transaction: never queued)
    body = {"kind": "bookings", **period(date(2030, 1, 1), MONDAY)}
    response = owner.post(JOBS, body, content_type="application/json")
    assert response.status_code == 202
    job = response.json()

    # when it is polled and its file asked for
    poll = owner.get(f"{JOBS}{job['id']}/")
    download = owner.get(f"{JOBS}{job['id']}/download/")

    # then it says where it stands, and that the file is not there yet
    assert response["Location"].endswith(f"{JOBS}{job['id']}/")
    assert poll.json() == job
    assert (job["kind"], job["period"], job["status"]) == ("bookings", {"start": "2030-01-01", "end": "2030-03-04"},
                                                           "queued")  # fmt: skip
    assert (job["rows_done"], job["rows_total"], job["percent"], job["download_url"]) == (0, None, 0, None)
    assert job["requested_by"] == ALPHA.owner_email
    assert (download.status_code, download.json()["code"]) == (409, "export_not_ready")
    assert owner.get(f"{JOBS}999999/").status_code == 404


def test_a_job_whose_file_cannot_be_saved_fails_and_says_why(alpha, owner, tmp_path):
    # given a shop storage that cannot take the file (its folder is a plain file)
    (tmp_path / "full").write_text("")
    with tenant_context(alpha):
        job = export_job_create(kind="bookings", start=MONDAY, end=TUESDAY, requested_by=ALPHA.owner_email)

        # when the task builds it
        with (
            override_settings(MULTITENANT_RELATIVE_MEDIA_ROOT=str(tmp_path / "full" / "%s")),
            pytest.raises(OSError),  # noqa: PT011 - re-raised: it lands in the dead letters too
        ):
            export_build_task.run(job.pk)

    # then the job failed, and says why in words
    poll = owner.get(f"{JOBS}{job.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (poll["status"], poll["error"], poll["download_url"]) == ("failed", ERROR_STORAGE, None)
    assert owner.get(f"{JOBS}{job.pk}/download/").status_code == 409


def conversation_records_add(conversation: Conversation, *, first: date, count: int, booking: Booking | None):
    """`count` conversations over 26 days from `first`, answered by the AI in
    0 to 6 s; the first one booked."""
    records = []
    for n in range(count):
        started = sao_paulo(first + timedelta(days=n % 26), "08:00") + timedelta(seconds=n)
        records.append(
            ConversationRecord(
                conversation=conversation, channel_id=conversation.channel_id, started_at=started,
                day=started.astimezone(SAO_PAULO).date(), last_message_at=started + timedelta(minutes=5),
                first_bot_response_at=started + timedelta(seconds=n % 7), messages_in=1 + n % 3, messages_out=1,
                booking=booking if n == 0 else None, booking_value=booking.price if booking and n == 0 else None,
            )
        )  # fmt: skip
    ConversationRecord.objects.bulk_create(records)


def test_progress_is_saved_every_500_rows_and_the_total_is_what_was_written(shop, alpha):
    # given 1,200 conversations in February
    customer = Customer.objects.create(name="Lia", phone="+5511911118888")
    conversation = Conversation.objects.create(customer=customer, channel=shop.channel, address="5511911118888")
    conversation_records_add(conversation, first=date(2030, 2, 1), count=1200, booking=None)
    job = export_job_create(kind="conversations", start=date(2030, 2, 1), end=date(2030, 2, 28), requested_by="x")

    # when the job is built
    with CaptureQueriesContext(connection) as queries:
        export_build_task.run(job.pk)

    # then its progress was written after each 500 rows, then done with the file
    job.refresh_from_db()
    try:
        progress = [query["sql"] for query in queries if 'SET "rows_done"' in query["sql"]]
        assert [sql.split('"rows_done" = ')[1].split()[0].rstrip(",") for sql in progress] == ["500", "1000", "1200"]
        assert (job.status, job.rows_done, job.rows_total, job.percent) == ("done", 1200, 1200, 100)
        assert len(csv_rows(job.file.read())) == 1201
    finally:
        job.file.delete(save=False)


@pytest.fixture
def committed_month(committed_alpha):
    """February 2031 in alpha, committed for the worker: 1,200 conversation
    records (more than two progress batches) and two bookings, removed after."""
    first, last = date(2031, 2, 3), date(2031, 2, 28)
    with tenant_context(committed_alpha):
        events_before = AnalyticsEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        audit_before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        customer = Customer.objects.create(name="Érica Exportação", phone="+5511911119999")
        pet = Pet.objects.create(customer=customer, name="Pingo", species="dog", size="M")
        channel = Channel.objects.create(name="Export", provider="sandbox", external_id="export-test-channel")
        conversation = Conversation.objects.create(customer=customer, channel=channel, address="5511911119999")
        shop = ShopDays(channel)
        bookings = [
            shop.book(sao_paulo(first, "10:00"), pet, start=sao_paulo(date(2031, 2, 5), "10:00")),
            shop.book(sao_paulo(last, "23:59"), pet, start=sao_paulo(date(2031, 3, 5), "10:00"), actor=AI),
        ]
        conversation_records_add(conversation, first=first, count=1200, booking=bookings[0])
    try:
        yield first, last
    finally:
        with tenant_context(committed_alpha):
            for job in ExportJob.objects.all():
                job.file.delete(save=False)
            ExportJob.objects.all().delete()
            ConversationRecord.objects.filter(conversation=conversation).delete()
            conversation.delete()
            channel.delete()
            Booking.objects.filter(pk__in=[booking.pk for booking in bookings]).delete()
            pet.delete()
            customer.delete()
            AnalyticsEvent.objects.filter(pk__gt=events_before).delete()
            DailyMetric.objects.filter(day__range=(first, date(2031, 3, 31))).delete()
            AuditEntry.objects.filter(pk__gt=audit_before).delete()


def test_a_long_export_is_built_by_the_worker_and_equals_the_streamed_one(
    committed_month, committed_alpha, celery_worker
):
    # given a month of history and its owner
    first, last = committed_month
    owner = login(Client(HTTP_HOST=ALPHA.host), committed_alpha, email=ALPHA.owner_email,
                  password=ALPHA.owner_password)  # fmt: skip

    # when background exports of both kinds are asked for
    jobs = {
        kind: owner.post(JOBS, {"kind": kind, **period(first, last)}, content_type="application/json").json()
        for kind in ("conversations", "bookings")
    }

    # then the worker finishes them: 100 %, every row counted
    def finished() -> bool:
        return all(owner.get(f"{JOBS}{job['id']}/").json()["status"] in {"done", "failed"} for job in jobs.values())

    assert wait_until(finished, timeout=60, interval=0.2)
    for kind, expected_rows in (("conversations", 1200), ("bookings", 2)):
        job = owner.get(f"{JOBS}{jobs[kind]['id']}/").json()
        assert (job["status"], job["error"], job["percent"]) == ("done", "", 100)
        assert job["rows_done"] == job["rows_total"] == expected_rows
        assert job["download_url"] == f"http://{ALPHA.host}{JOBS}{job['id']}/download/"
        # and the file downloaded is exactly the one streamed for the same days
        download = owner.get(job["download_url"])
        streamed = owner.get(STREAM.format(kind), period(first, last))
        assert download.status_code == 200
        assert download["Content-Disposition"] == f'attachment; filename="{kind}_2031-02-03_2031-02-28.csv"'
        content = b"".join(download.streaming_content)
        assert content == streamed.getvalue()
        assert len(csv_rows(content)) == expected_rows + 1
    # in the shop's own folder
    with tenant_context(committed_alpha):
        for job in ExportJob.objects.all():
            assert job.file.path.startswith(str(settings.MEDIA_ROOT / "shop_alpha" / "exports") + "/")


def test_the_export_endpoints_are_in_the_openapi_schema(owner):
    schema = owner.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert {STREAM.format("{kind}"), JOBS, f"{JOBS}{{job_id}}/", f"{JOBS}{{job_id}}/download/"} <= set(schema["paths"])
