"""The audit log as a download: CSV or JSON Lines, streamed row by row so a
shop with years of entries never sits in memory. Used by the shop's admin,
the Settings page and `manage.py export_audit`; the caller owns the tenant
context."""

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from bookings.availability import shop_timezone
from oxy.csv_lines import Echo

from .models import AuditEntry

# format: (content type, label)
FORMATS = {"csv": ("text/csv; charset=utf-8", "CSV"), "jsonl": ("application/x-ndjson", "JSON Lines")}
COLUMNS = ["created_at", "actor_type", "actor_label", "action", "target", "data"]
CHUNK_SIZE = 2000


def audit_entries(*, since: date | None = None, until: date | None = None) -> QuerySet:
    """Entries from the start of `since` to the end of `until` (both days
    included, in the current shop's time zone), oldest first."""
    zone = shop_timezone()
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


def audit_lines(entries: QuerySet, *, export_format: str) -> Iterator[str]:
    """The export, one line at a time (CSV starts with its header)."""
    if export_format == "jsonl":
        for entry in entries.iterator(chunk_size=CHUNK_SIZE):
            yield json.dumps(_row(entry), ensure_ascii=False) + "\n"
        return
    if export_format != "csv":
        raise ValueError(f"unknown format {export_format!r}: choose {', '.join(FORMATS)}")
    writer = csv.DictWriter(Echo(), fieldnames=COLUMNS)
    yield writer.writeheader()
    for entry in entries.iterator(chunk_size=CHUNK_SIZE):
        row = _row(entry)
        yield writer.writerow(row | {"data": json.dumps(row["data"], ensure_ascii=False)})


def audit_export_response(entries: QuerySet, *, export_format: str, filename: str) -> StreamingHttpResponse:
    lines = audit_lines(entries, export_format=export_format)
    content_type, _label = FORMATS[export_format]
    response = StreamingHttpResponse(lines, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{export_format}"'
    response["Cache-Control"] = "no-store"
    return response
