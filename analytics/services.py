"""Recording facts: each once (by its dedupe key), in the caller's
transaction, folded into the daily rollups as it is written."""

import json
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Subquery
from django.utils import timezone

from bookings.availability import shop_timezone
from bookings.models import Customer

from .metrics import metrics_for
from .models import ROLLUP_SHARDS, AnalyticsEvent, ConversationRecord, DailyMetric

Kind = AnalyticsEvent.Kind
HandledBy = ConversationRecord.HandledBy

# A customer writing after this much silence starts a new conversation (the
# length of WhatsApp's customer-service window).
CONVERSATION_GAP = timedelta(hours=24)

# Facts and their rollups in one round trip: a fact's rollups are added only
# when the fact was new (a duplicate inserts nothing, so adds nothing).
# Grouped, so two facts of one statement adding to the same rollup row add up
# (an upsert may touch a row once); ordered, so writers that meet lock the
# rollup rows in the same order.
_FACTS_WITH_ROLLUPS = f"""
WITH fact AS (
    INSERT INTO {AnalyticsEvent._meta.db_table} (kind, dedupe_key, occurred_at, day, dims, value)
    VALUES {{facts}}
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING dedupe_key
), rollup_added AS (
    INSERT INTO {DailyMetric._meta.db_table} AS rollup (day, metric, dim, shard, count, total)
    SELECT delta.day, delta.metric, delta.dim, delta.shard, sum(delta.count), sum(delta.total)
    FROM (VALUES {{deltas}}) AS delta (dedupe_key, day, metric, dim, shard, count, total)
    WHERE delta.dedupe_key IN (SELECT dedupe_key FROM fact)
    GROUP BY delta.day, delta.metric, delta.dim, delta.shard
    ORDER BY delta.day, delta.metric, delta.dim, delta.shard
    ON CONFLICT (day, metric, dim, shard) DO UPDATE
    SET count = rollup.count + EXCLUDED.count, total = rollup.total + EXCLUDED.total
)
SELECT dedupe_key FROM fact
"""  # noqa: S608 - table names come from the models
_FACT_ROW = "(%s, %s, %s, %s::date, %s::jsonb, %s::numeric)"
_FACT_DELTA_ROW = "(%s, %s::date, %s, %s, %s::smallint, %s::bigint, %s::numeric)"
_NO_DELTA_ROW = "(NULL, NULL::date, NULL, NULL, NULL::smallint, NULL::bigint, NULL::numeric)"  # facts without figures
_DELTA_ROW = "(%s::date, %s, %s, %s::smallint, %s::bigint, %s::numeric)"

_ROLLUP_UPSERT = f"""
INSERT INTO {DailyMetric._meta.db_table} AS rollup (day, metric, dim, shard, count, total)
VALUES {{rows}}
ON CONFLICT (day, metric, dim, shard) DO UPDATE
SET count = rollup.count + EXCLUDED.count, total = rollup.total + EXCLUDED.total
"""  # noqa: S608


@dataclass(frozen=True)
class Fact:
    kind: str
    dedupe_key: str
    occurred_at: datetime
    day: date
    dims: dict
    value: Decimal


@dataclass
class _PendingFacts:
    savepoints: int  # open at the start of the block
    facts: dict[str, Fact]


# The facts of the `facts_together` block in progress, or None.
_facts_pending: ContextVar[_PendingFacts | None] = ContextVar("facts_pending", default=None)


def _savepoints_open() -> int:
    return sum(1 for savepoint in connection.savepoint_ids if savepoint)


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, shop_timezone()).date()


def event_record(
    *, kind: str, dedupe_key: str, occurred_at: datetime, day: date | None = None, dims: dict | None = None,
    value: Decimal | int | float = 0,
) -> bool:  # fmt: skip
    """Record one fact and add it to the rollups; False if it was already
    recorded. Inside `facts_together` it is written with the others at the
    end of the block (and True: a duplicate is skipped then, by its key)."""
    fact = Fact(kind, dedupe_key, occurred_at, day or local_day(occurred_at), dims or {}, Decimal(str(value)))
    pending = _facts_pending.get()
    # Under a savepoint opened inside the block, the fact is written now, so
    # that rolling back to the savepoint takes it back too.
    if pending is not None and pending.savepoints == _savepoints_open():
        pending.facts.setdefault(dedupe_key, fact)
        return True
    return dedupe_key in _facts_write([fact])


@contextmanager
def facts_together() -> Iterator[None]:
    """Write the facts recorded inside the block in one statement as it
    ends: one round trip for a step's facts instead of one each. A block
    that raises writes none of them."""
    if _facts_pending.get() is not None:  # already inside one: the outer block writes
        yield
        return
    pending = _PendingFacts(savepoints=_savepoints_open(), facts={})
    token = _facts_pending.set(pending)
    try:
        yield
    finally:
        _facts_pending.reset(token)
    if pending.facts:
        _facts_write(list(pending.facts.values()))


def _facts_write(facts: list[Fact]) -> set[str]:
    """Insert the facts and add the new ones to the rollups; returns the
    dedupe keys that were new. One shard per fact, picked at random:
    concurrent writers of the same figure mostly land on different rows."""
    fact_rows, delta_rows = [], []
    for fact in facts:
        fact_rows.append((fact.kind, fact.dedupe_key, fact.occurred_at, fact.day, json.dumps(fact.dims, sort_keys=True),
                          fact.value))  # fmt: skip
        shard = random.randrange(ROLLUP_SHARDS)  # noqa: S311 - not a secret
        delta_rows += [(fact.dedupe_key, fact.day, metric, dim, shard, count, total)
                       for metric, dim, count, total in metrics_for(fact.kind, fact.dims, fact.value)]  # fmt: skip
    query = _FACTS_WITH_ROLLUPS.format(
        facts=", ".join([_FACT_ROW] * len(fact_rows)),
        deltas=", ".join([_FACT_DELTA_ROW] * len(delta_rows)) or _NO_DELTA_ROW,
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [value for row in fact_rows + delta_rows for value in row])
        return {key for (key,) in cursor.fetchall()}


def _delta_params(deltas: dict[tuple[date, str, str], tuple[int, Decimal]], *, shard: int) -> list:
    # Sorted: writers that meet lock the rollup rows in the same order.
    return [value for (day, metric, dim), (count, total) in sorted(deltas.items())
            for value in (day, metric, dim, shard, count, total)]  # fmt: skip


def _rollups_write(cursor, deltas: dict[tuple[date, str, str], tuple[int, Decimal]]) -> None:
    """Add rebuilt figures, a thousand rows a statement, to shard 0."""
    rows = sorted(deltas.items())
    for start in range(0, len(rows), 1000):
        chunk = dict(rows[start : start + 1000])
        query = _ROLLUP_UPSERT.format(rows=", ".join([_DELTA_ROW] * len(chunk)))
        cursor.execute(query, _delta_params(chunk, shard=0))


def _milliseconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds() * 1000))


# -- conversations -----------------------------------------------------------


# A message moves its conversation's open record on in one statement (no
# locked read first): counted, and the AI's first answer timed. A person's
# answer needs the record read first (it may be the hand-over).
_RECORD_ADVANCE = f"""
UPDATE {ConversationRecord._meta.db_table} AS record
SET messages_in = record.messages_in + %(inbound)s::int,
    messages_out = record.messages_out + 1 - %(inbound)s::int,
    last_message_at = GREATEST(record.last_message_at, %(at)s),
    first_bot_response_at = CASE
        WHEN %(bot)s AND record.first_bot_response_at IS NULL AND record.handled_by = '{HandledBy.AI}'
        THEN %(at)s ELSE record.first_bot_response_at END
WHERE record.id = (
    SELECT id FROM {ConversationRecord._meta.db_table}
    WHERE conversation_id = %(conversation)s AND started_at <= %(at)s
    ORDER BY started_at DESC LIMIT 1
) AND record.last_message_at >= %(at)s - %(gap)s
RETURNING record.id, record.day, record.started_at,
    %(bot)s AND record.first_bot_response_at = %(at)s AS first_bot_response
"""  # noqa: S608 - the table name comes from the model


def _record_advance(conversation_id: int, at: datetime, *, inbound: bool, bot: bool) -> bool:
    """Count a message on the conversation's open record (False: it has
    none), and time the AI's (`bot`) first answer."""
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_ADVANCE, {"conversation": conversation_id, "at": at, "inbound": inbound, "bot": bot,
                                         "gap": CONVERSATION_GAP})  # fmt: skip
        row = cursor.fetchone()
    if row is None:
        return False
    record_id, day, started_at, first_bot_response = row
    if first_bot_response:
        event_record(kind=Kind.FIRST_RESPONSE_BOT, dedupe_key=f"first_bot:{record_id}", occurred_at=at, day=day,
                     value=_milliseconds(started_at, at))  # fmt: skip
    return True


def _open_record(conversation_id: int, at: datetime) -> ConversationRecord | None:
    record = (
        ConversationRecord.objects.select_for_update()
        .filter(conversation_id=conversation_id, started_at__lte=at)  # a late message belongs to its own time
        .order_by("-started_at")
        .first()
    )
    return record if record is not None and at - record.last_message_at <= CONVERSATION_GAP else None


@transaction.atomic(savepoint=False)  # the caller's transaction is ours: no savepoint to pay for
def message_fact_record(*, message, new_conversation: bool = False) -> None:
    """A message was stored (`whatsapp.Message`): count it, and follow its
    conversation: started, first answers (AI and person), hand-over. The
    first message of a conversation created with it (`new_conversation`)
    has no record to look for."""
    if message.kind == "reaction":
        return  # an emoji on a message is not a message
    at = message.provider_timestamp or message.created_at
    inbound = message.direction == message.Direction.INBOUND
    dims = {"channel": message.channel_id} | ({} if inbound else {"sender": message.sender_kind})
    kind = Kind.MESSAGE_IN if inbound else Kind.MESSAGE_OUT
    if not event_record(kind=kind, dedupe_key=f"message:{message.pk}", occurred_at=at, dims=dims):
        return
    if message.sender_kind not in {"staff", "owner"}:
        # Without an open record, a customer's message starts one, and the
        # AI's or a reminder's answers nobody.
        advanced = not new_conversation and _record_advance(
            message.conversation_id, at, inbound=inbound, bot=message.sender_kind == "bot"
        )
        if inbound and not advanced:
            customer = Customer.objects.filter(conversations=message.conversation_id)
            record = ConversationRecord.objects.create(
                conversation_id=message.conversation_id, channel_id=message.channel_id, started_at=at,
                day=local_day(at), last_message_at=at, messages_in=1,
                customer_id=Subquery(customer.values("pk")), customer_since=Subquery(customer.values("created_at")),
            )  # fmt: skip
            event_record(kind=Kind.CONVERSATION_STARTED, dedupe_key=f"conversation:{record.pk}", occurred_at=at,
                         day=record.day, dims={"channel": message.channel_id})  # fmt: skip
        return
    record = _open_record(message.conversation_id, at)
    if record is None:
        return
    record.messages_out += 1
    _first_human_response(record, at)
    record.last_message_at = max(record.last_message_at, at)
    record.save()


def _first_human_response(record: ConversationRecord, at: datetime) -> None:
    if record.first_human_response_at is not None:
        return
    if record.handed_over_at is None:
        if record.first_bot_response_at is None:
            # A person answered before the AI did: theirs from the start.
            record.handled_by = HandledBy.HUMAN
            event_record(kind=Kind.HUMAN_ONLY, dedupe_key=f"human_only:{record.pk}", occurred_at=at, day=record.day)
        else:
            # A person stepped in after the AI: that is the hand-over, and no
            # clock was running for them, so this answer has no response time.
            _handover(record, at)
            record.first_human_response_at = at
            return
    clock_start = record.handed_over_at or record.started_at
    record.first_human_response_at = at
    event_record(kind=Kind.FIRST_RESPONSE_HUMAN, dedupe_key=f"first_human:{record.pk}", occurred_at=at,
                 day=record.day, value=_milliseconds(clock_start, at))  # fmt: skip


def _handover(record: ConversationRecord, at: datetime) -> None:
    after_ai = record.first_bot_response_at is not None
    record.handed_over_at, record.handled_by = at, HandledBy.HANDED_OVER
    event_record(kind=Kind.HANDOVER, dedupe_key=f"handover:{record.pk}", occurred_at=at, day=record.day,
                 dims={"after_ai": after_ai})  # fmt: skip


@transaction.atomic
def conversation_handover_record(*, conversation_id: int, at: datetime | None = None) -> None:
    """The conversation passed from the AI to a person (the agent asked for
    one, or staff took it over): the person's response clock starts now."""
    at = at or timezone.now()
    record = _open_record(conversation_id, at)
    if record is None or record.handled_by != HandledBy.AI:
        return
    _handover(record, at)
    record.save(update_fields=["handed_over_at", "handled_by"])


# -- bookings and customers ---------------------------------------------------


@transaction.atomic
def booking_fact_created(*, booking) -> None:
    start = timezone.localtime(booking.start, shop_timezone())
    dims = {"source": booking.source, "service": booking.service_id, "hour": start.hour,
            "weekday": start.isoweekday()}  # fmt: skip
    if not event_record(kind=Kind.BOOKING_CREATED, dedupe_key=f"booking:{booking.pk}:created",
                        occurred_at=booking.created_at, dims=dims, value=booking.price):  # fmt: skip
        return
    record = (
        ConversationRecord.objects.select_for_update()
        .filter(
            conversation__customer_id=booking.customer_id,
            booking__isnull=True,
            last_message_at__gte=booking.created_at - CONVERSATION_GAP,
            started_at__lte=booking.created_at,
        )  # fmt: skip
        .order_by("-started_at")
        .first()
    )
    if record is not None:
        record.booking, record.booking_value = booking, booking.price
        record.save(update_fields=["booking", "booking_value"])
        event_record(kind=Kind.CONVERTED, dedupe_key=f"converted:{record.pk}", occurred_at=booking.created_at,
                     day=record.day, value=booking.price)  # fmt: skip


_STATUS_KINDS = {"completed": Kind.BOOKING_COMPLETED, "cancelled": Kind.BOOKING_CANCELLED,
                 "no_show": Kind.BOOKING_NO_SHOW}  # fmt: skip


def booking_fact_status(*, booking, at: datetime) -> None:
    kind = _STATUS_KINDS.get(booking.status)
    if kind is not None:
        event_record(kind=kind, dedupe_key=f"booking:{booking.pk}:{booking.status}", occurred_at=at,
                     dims={"service": booking.service_id}, value=booking.price)  # fmt: skip


def customer_fact_created(*, customer) -> None:
    event_record(kind=Kind.CUSTOMER_NEW, dedupe_key=f"customer:{customer.pk}", occurred_at=customer.created_at)


def customer_fact_merged(*, keep, absorbed) -> None:
    ConversationRecord.objects.filter(customer_id=absorbed.pk).update(
        customer_id=keep.pk, customer_since=keep.created_at
    )
    event_record(kind=Kind.CUSTOMER_MERGED, dedupe_key=f"customer:{absorbed.pk}:merged", occurred_at=timezone.now(),
                 day=local_day(absorbed.created_at))  # fmt: skip


def ai_call_record(*, call_id: str, calls: int, tokens: int, cost: Decimal, at: datetime | None = None) -> None:
    """One agent turn's model calls, their tokens and cost in US dollars."""
    event_record(kind=Kind.AI_CALL, dedupe_key=f"ai:{call_id}", occurred_at=at or timezone.now(),
                 dims={"tokens": tokens, "calls": calls}, value=cost)  # fmt: skip


# -- rebuild ------------------------------------------------------------------


def rollups_rebuild(*, start: date, end: date, chunk: int = 20_000) -> Iterator[int]:
    """Recompute the rollups of [start, end] from the events, in one
    transaction: readers see the old figures until it commits, and new facts
    wait (they would otherwise be counted twice). Yields the number of events
    folded so far, for progress."""
    deltas: dict[tuple[date, str, str], list] = defaultdict(lambda: [0, Decimal(0)])
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {AnalyticsEvent._meta.db_table} IN SHARE MODE")
        DailyMetric.objects.filter(day__range=(start, end)).delete()
        done = 0
        for events in _in_chunks(AnalyticsEvent.objects.filter(day__range=(start, end)), chunk):
            for kind, day, dims, value in events:
                for metric, dim, count, total in metrics_for(kind, dims, value):
                    deltas[(day, metric, dim)][0] += count
                    deltas[(day, metric, dim)][1] += total
            done += len(events)
            yield done
        with connection.cursor() as cursor:
            _rollups_write(cursor, deltas)


def _in_chunks(events, size: int) -> Iterable[list[tuple]]:
    last_id = 0
    while True:
        rows = list(
            events.filter(id__gt=last_id).order_by("id").values_list("id", "kind", "day", "dims", "value")[:size]
        )
        if not rows:
            return
        last_id = rows[-1][0]
        yield [row[1:] for row in rows]
