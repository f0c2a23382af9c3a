"""CSV exports of a period (shop-local days, both included): one row per
conversation, or one row per booking made in the period.

The same bytes whether streamed to the browser (`export_csv`) or written
by a background job (`export_job_build`). The file is UTF-8 with a byte
order mark (so Excel reads accents right), comma-separated, CRLF line ends
(RFC 4180). Headers and values are stable English codes (`handled_by` is
`ai`, `handed_over` or `human`; `status` and `source` are the bookings'
own codes), times are ISO 8601 in the shop's timezone with their offset,
money has two decimals with a dot, response times are seconds with one
decimal, and an unknown value is an empty cell.
"""

import csv
import logging
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from bookings.availability import shop_timezone
from bookings.models import Booking
from oxy.csv_lines import Echo
from oxy.schemas import on_commit_in_this_schema

from .models import ConversationRecord, ExportJob
from .selectors import conversation_records

logger = logging.getLogger(__name__)

Kind = ExportJob.Kind
Status = ExportJob.Status

BOM = "\ufeff"
# Rows read from the database at a time, and rows per streamed chunk and
# per progress update of a background job.
FETCH_ROWS = 2000
BATCH_ROWS = 500

CONVERSATION_COLUMNS = [
    "conversation_id", "started_at", "customer_name", "customer_phone", "channel", "handled_by",
    "first_response_ai_s", "handed_over_at", "first_response_human_s", "messages_in", "messages_out",
    "booking_id", "booking_service", "booking_value",
]  # fmt: skip
BOOKING_COLUMNS = [
    "booking_id", "created_at", "customer_name", "customer_phone", "pet", "service", "resource", "start", "end",
    "status", "source", "price", "cancelled_at", "cancellation_reason",
]  # fmt: skip

# Why a background export failed, as the user reads it (translated when shown).
ERROR_TOO_LONG = gettext_noop("The export took too long. Ask for a shorter period.")
ERROR_STORAGE = gettext_noop("The file could not be saved. Please try again later.")
ERROR_NOT_QUEUED = gettext_noop("The export could not be queued. Please try again in a few minutes.")
ERROR_UNEXPECTED = gettext_noop("The export failed unexpectedly. Please try again; if it fails again, call support.")


# -- rows ---------------------------------------------------------------------


def _conversations(*, start: date, end: date) -> QuerySet[ConversationRecord]:
    return conversation_records(start=start, end=end).order_by("started_at", "id")


def _bookings(*, start: date, end: date, tz: ZoneInfo) -> QuerySet[Booking]:
    """Bookings made (not held) in the period's shop-local days."""
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    return (
        Booking.objects.filter(created_at__gte=since, created_at__lt=until)
        .select_related("customer", "pet", "service", "resource")
        .order_by("created_at", "id")
    )


def _conversation_rows(*, start: date, end: date, tz: ZoneInfo) -> Iterator[list[str]]:
    for record in _conversations(start=start, end=end).iterator(chunk_size=FETCH_ROWS):
        customer, booking = record.conversation.customer, record.booking
        yield [
            str(record.conversation_id),
            _moment(record.started_at, tz),
            _text(customer.name),
            customer.phone or "",
            _text(record.conversation.channel.name),
            record.handled_by,
            _seconds(record.first_bot_response_s),
            _moment(record.handed_over_at, tz),
            _seconds(record.first_human_response_s),
            str(record.messages_in),
            str(record.messages_out),
            "" if booking is None else str(booking.pk),
            "" if booking is None else _text(booking.service.name),
            _money(record.booking_value),
        ]


def _booking_rows(*, start: date, end: date, tz: ZoneInfo) -> Iterator[list[str]]:
    for booking in _bookings(start=start, end=end, tz=tz).iterator(chunk_size=FETCH_ROWS):
        yield [
            str(booking.pk),
            _moment(booking.created_at, tz),
            _text(booking.customer.name),
            booking.customer.phone or "",
            "" if booking.pet is None else _text(booking.pet.name),
            _text(booking.service.name),
            _text(booking.resource.name),
            _moment(booking.start, tz),
            _moment(booking.end, tz),
            booking.status,
            booking.source,
            _money(booking.price),
            _moment(booking.cancelled_at, tz),
            _text(booking.cancellation_reason),
        ]


_EXPORTS = {
    Kind.CONVERSATIONS: (CONVERSATION_COLUMNS, _conversation_rows),
    Kind.BOOKINGS: (BOOKING_COLUMNS, _booking_rows),
}


def export_row_count(*, kind: str, start: date, end: date, tz: ZoneInfo | None = None) -> int:
    if kind == Kind.CONVERSATIONS:
        return _conversations(start=start, end=end).count()
    return _bookings(start=start, end=end, tz=tz or shop_timezone()).count()


def export_filename(*, kind: str, start: date, end: date) -> str:
    return f"{kind}_{start.isoformat()}_{end.isoformat()}.csv"


def export_csv(*, kind: str, start: date, end: date, tz: ZoneInfo | None = None) -> Iterator[bytes]:
    """The whole CSV, in chunks of UTF-8 bytes (header first)."""
    for chunk, _rows in _csv_batches(kind=kind, start=start, end=end, tz=tz or shop_timezone()):
        yield chunk


def _csv_batches(*, kind: str, start: date, end: date, tz: ZoneInfo) -> Iterator[tuple[bytes, int]]:
    """(chunk, rows in it): the header alone, then up to BATCH_ROWS rows a chunk."""
    columns, rows = _EXPORTS[Kind(kind)]
    writer = csv.writer(Echo())
    yield (BOM + writer.writerow(columns)).encode(), 0
    batch: list[str] = []
    for row in rows(start=start, end=end, tz=tz):
        batch.append(writer.writerow(row))
        if len(batch) == BATCH_ROWS:
            yield "".join(batch).encode(), len(batch)
            batch = []
    if batch:
        yield "".join(batch).encode(), len(batch)


def _moment(value: datetime | None, tz: ZoneInfo) -> str:
    return "" if value is None else timezone.localtime(value, tz).isoformat(timespec="seconds")


def _money(value: Decimal | None) -> str:
    return "" if value is None else str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _text(value: str) -> str:
    # Names come from WhatsApp profiles: a cell starting like a formula
    # would run as one in a spreadsheet, so it is quoted as text.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# -- background jobs ----------------------------------------------------------


@transaction.atomic
def export_job_create(*, kind: str, start: date, end: date, requested_by: str) -> ExportJob:
    """Queue a background export; the file is built after the transaction commits."""
    job = ExportJob.objects.create(kind=kind, start=start, end=end, requested_by=requested_by)
    on_commit_in_this_schema(lambda: _build_enqueue(job.pk))
    return job


def _build_enqueue(job_id: int) -> None:
    from .tasks import export_build_task

    try:
        export_build_task.delay(job_id)
    except Exception:  # noqa: BLE001 - broker unreachable: say so instead of leaving the job queued forever
        logger.warning("export job %s not queued (broker unavailable)", job_id, exc_info=True)
        export_job_fail(job_id=job_id, error=ERROR_NOT_QUEUED)


def export_job_build(*, job_id: int) -> str:
    """Write the job's CSV into the shop's storage, counting rows as it goes.

    Safe to run again (a retry, a redelivery after a worker died, a replay
    from the dead letters): a finished job is left alone, anything else is
    built from the start."""
    job = ExportJob.objects.get(pk=job_id)
    if job.status == Status.DONE:
        return "already done"
    tz = shop_timezone()
    jobs = ExportJob.objects.filter(pk=job_id)
    jobs.update(
        status=Status.RUNNING, rows_total=export_row_count(kind=job.kind, start=job.start, end=job.end, tz=tz),
        rows_done=0, error="", started_at=timezone.now(), finished_at=None,
    )  # fmt: skip
    done = 0
    with tempfile.TemporaryFile() as content:
        for chunk, rows in _csv_batches(kind=job.kind, start=job.start, end=job.end, tz=tz):
            content.write(chunk)
            if rows:
                done += rows
                jobs.update(rows_done=done)
        content.seek(0)
        previous = job.file.name
        job.file.save(f"{job.kind}_{job.start}_{job.end}_job{job.pk}.csv", File(content), save=False)
    # Rows may have come or gone since the count: the total is what was written.
    jobs.update(status=Status.DONE, file=job.file.name, rows_done=done, rows_total=done, finished_at=timezone.now())
    if previous and previous != job.file.name:
        job.file.storage.delete(previous)
    return f"{done} rows"


def export_job_fail(*, job_id: int, error: str) -> None:
    """The job failed for good; `error` is one of the ERROR_ messages."""
    ExportJob.objects.filter(pk=job_id).exclude(status=Status.DONE).update(
        status=Status.FAILED, error=error, finished_at=timezone.now()
    )
