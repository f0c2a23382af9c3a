"""The audit log as a download: CSV or JSON Lines, streamed row by row so a
shop with years of entries never sits in memory. Used by the shop's admin,
the Settings page and `manage.py export_audit`; the caller owns the tenant
context."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from .models import AuditEntry

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
COLUMNS = ["created_at", "actor_type", "actor_label", "action", "target", "data"]
CHUNK_SIZE = 2000


def audit_entries(*, since: date | None = None, until: date | None = None, time_zone: str = "UTC") -> QuerySet:
    """Entries from the start of `since` to the end of `until` (both days
    included, in the shop's time zone), oldest first."""
    zone = ZoneInfo(time_zone)
    entries = AuditEntry.objects.order_by("created_at", "pk")
    if since:
        entries = entries.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until:
        entries = entries.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone))
    return entries


def _row(entry: AuditEntry) -> dict:
    return {
        "created_at": entry.created_at.isoformat(),
        "actor_type": entry.actor_type,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "target": entry.target,
        "data": entry.data,
    }


def _streamed(entries: QuerySet | Iterable[AuditEntry]) -> Iterator[AuditEntry]:
    return entries.iterator(chunk_size=CHUNK_SIZE) if isinstance(entries, QuerySet) else iter(entries)


def audit_lines(entries: QuerySet | Iterable[AuditEntry], *, export_format: str) -> Iterator[str]:
    """The export, one line at a time (CSV starts with its header)."""
    if export_format == "jsonl":
        for entry in _streamed(entries):
            yield json.dumps(_row(entry), ensure_ascii=False) + "\n"
        return
    if export_format != "csv":
        raise ValueError(f"unknown format {export_format!r}: choose {', '.join(FORMATS)}")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for entry in _streamed(entries):
        row = _row(entry)
        writer.writerow(row | {"data": json.dumps(row["data"], ensure_ascii=False)})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def audit_export_response(
    entries: QuerySet | Iterable[AuditEntry], *, export_format: str, filename: str
) -> StreamingHttpResponse:  # fmt: skip
    lines = audit_lines(entries, export_format=export_format)
    response = StreamingHttpResponse(lines, content_type=FORMATS[export_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{export_format}"'
    response["Cache-Control"] = "no-store"
    return response
