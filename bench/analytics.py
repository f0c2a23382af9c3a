"""Analytics benchmark.

    .venv/bin/python bench/analytics.py [--runs 20]

A shop with 1,000,000 WhatsApp messages over a year (about 20,000 customers,
150,000 conversations, 30,000 bookings) and the analytics events they would
have produced; the owner's summary of the last 30 days. Prints one JSON line:
the median milliseconds of `shop_summary` (from the daily rollups) and,
measured in the same run, of the same figures aggregated directly from the
raw tables (messages, conversation records, bookings, customers), and their
ratio. Also how long `rollups_rebuild` took over the whole year, and whether
the two ways give the same figures. The bench shop is dropped after.

The data is written with set-based SQL in the shop's schema (the ORM would
take far too long for a million rows); the events are those the write path
(`analytics.services`) records for the same messages, conversations,
bookings and customers, so the rollups rebuilt from them must agree with the
raw aggregate. The raw side dates a completion or no-show by the booking's
end and a cancellation by `cancelled_at`, which is when the bench's events
say they happened.
"""

import argparse
import json
import os
import signal
import sys
import time
import uuid
from contextlib import closing
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxy.settings")
os.environ.setdefault("DEBUG", "false")  # measure what production runs

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from analytics.models import AnalyticsEvent, ConversationRecord, DailyMetric  # noqa: E402
from analytics.selectors import WEEKDAYS, shop_summary  # noqa: E402
from analytics.services import rollups_rebuild  # noqa: E402
from bench.shop import bench_shop, median_ms  # noqa: E402
from bookings.availability import shop_timezone  # noqa: E402
from bookings.models import Booking, Customer, Resource, Service  # noqa: E402
from whatsapp.models import Channel, Message  # noqa: E402

MESSAGES, CUSTOMERS, DAYS, PERIOD_DAYS = 1_000_000, 20_000, 365, 30
SESSION_GAP_DAYS = 30  # a conversation comes back about once a month: ~150,000 sessions
CONVERSION = 0.15  # share of conversations that end in a booking (~22,000)
EXTRA_BOOKINGS = 8_000  # booked by the owner, staff at the counter, or the API
RESOURCES = 6
INACTIVE_DAYS = 60


def _offset_ms(seq: str, p: str = "") -> str:
    """SQL: milliseconds from a conversation's start to its message number
    `seq` (0 = the customer's first). In and out alternate; the first answer
    comes from the AI (or a person, when nobody else answered), a hand-over
    after the customer's second message adds 5 s and the person's delay."""
    return (
        f"CASE WHEN {seq} = 0 THEN 0 ELSE (CASE WHEN {p}handled_by = 'human' THEN {p}human_ms ELSE {p}bot_ms END)"
        f" + ({seq} - 1) * {p}step_ms + CASE WHEN {p}handled_by = 'handed_over' AND {seq} >= 3"
        f" THEN 5000 + {p}human_ms - {p}step_ms ELSE 0 END END"
    )


def _local_day(column: str) -> str:
    return f"(({column}) AT TIME ZONE %(tz)s)::date"


# When a booking was completed, cancelled or found a no-show.
_STATUS_AT = "CASE WHEN status = 'cancelled' THEN cancelled_at ELSE \"end\" END"

POPULATE = [
    "SELECT setseed(0.42)",
    # Customers: 30% were already customers before the year, the rest first
    # wrote during it (the moment they are created).
    """
    CREATE TEMP TABLE bench_customer AS
    SELECT id, join_day, ((%(first_day)s::date + join_day) + time '08:00' + secs * interval '1 second')
                         AT TIME ZONE %(tz)s AS join_at
    FROM (SELECT i AS id, floor(random() * 50400)::int AS secs,
                 CASE WHEN random() < 0.3 THEN -1 - floor(random() * 720)::int
                      ELSE floor(random() * %(days)s)::int END AS join_day
          FROM generate_series(1, %(customers)s) i) c
    """,
    # One conversation per customer and channel: 80% on the main number, 20%
    # on the second, 10% on both.
    """
    CREATE TEMP TABLE bench_conversation AS
    SELECT row_number() OVER (ORDER BY c.id, ch.n) AS id, c.id AS customer_id, ch.channel_id, c.join_day, c.join_at
    FROM bench_customer c
    JOIN (SELECT n, (%(channel_ids)s::bigint[])[n] AS channel_id FROM generate_series(1, 2) n) ch
      ON (ch.n = 1 AND mod(c.id, 5) <> 0) OR (ch.n = 2 AND (mod(c.id, 5) = 0 OR mod(c.id, 10) = 1))
    """,
    # Sessions (a conversation after 24 h of silence): one per window of
    # about a month from the customer's first day, at least two days apart,
    # 08:00-22:00 local; the first one of a new customer is when they joined.
    """
    CREATE TEMP TABLE bench_session AS
    SELECT conversation_id, customer_id, channel_id, started_at, n, random() AS pick
    FROM (
      SELECT cv.id AS conversation_id, cv.customer_id, cv.channel_id, 2 + floor(random() * 10)::int AS n,
             CASE WHEN j = 0 AND cv.join_day >= 0 THEN cv.join_at
                  ELSE ((%(first_day)s::date + cv.a0 + floor(j * cv.w + random() * greatest(cv.w - 2, 0))::int)
                        + time '08:00' + floor(random() * 50400) * interval '1 second') AT TIME ZONE %(tz)s
             END AS started_at
      FROM (SELECT *, r::float8 / s AS w
            FROM (SELECT *, greatest(join_day, 0) AS a0, %(days)s - greatest(join_day, 0) AS r,
                         greatest(1, floor((%(days)s - greatest(join_day, 0))::float8 / %(gap)s))::int AS s
                  FROM bench_conversation) a) cv
      CROSS JOIN LATERAL generate_series(0, cv.s - 1) j
    ) x
    """,
    # Exactly MESSAGES messages: sessions in random order until they are
    # used up. 70% the AI alone, 20% handed to a person, 10% a person only.
    f"""
    CREATE TEMP TABLE bench_record AS
    SELECT row_number() OVER (ORDER BY started_at, conversation_id) AS id, x.*, {_local_day("started_at")} AS day,
           CASE WHEN handled_by <> 'human' AND n >= 2 THEN started_at + bot_ms * interval '1 millisecond'
           END AS first_bot_response_at,
           CASE WHEN handled_by = 'handed_over' THEN started_at + (bot_ms + step_ms + 5000) * interval '1 millisecond'
           END AS handed_over_at,
           CASE handled_by
             WHEN 'handed_over' THEN started_at + (bot_ms + step_ms + 5000 + human_ms) * interval '1 millisecond'
             WHEN 'human' THEN started_at + human_ms * interval '1 millisecond'
           END AS first_human_response_at,
           started_at + ({_offset_ms("(n - 1)")}) * interval '1 millisecond' AS last_message_at
    FROM (
      SELECT conversation_id, customer_id, channel_id, started_at, n,
             CASE WHEN n >= 4 AND u < 0.2 THEN 'handed_over' WHEN n >= 2 AND u >= 0.9 THEN 'human' ELSE 'ai'
             END AS handled_by,
             CASE WHEN random() < 0.15 THEN 'owner' ELSE 'staff' END AS human_sender,
             n >= 2 AND random() < %(conversion)s AS converted,
             (3000 + floor(random() * 37000))::int AS bot_ms,
             (60000 + floor(random() * 2640000))::int AS human_ms,
             (20000 + floor(random() * 220000))::int AS step_ms
      FROM (SELECT conversation_id, customer_id, channel_id, started_at, least(n, %(messages)s - before)::int AS n,
                   random() AS u
            FROM (SELECT *, sum(n) OVER (ORDER BY pick ROWS UNBOUNDED PRECEDING) - n AS before
                  FROM bench_session) s
            WHERE before < %(messages)s) y
    ) x
    """,
    """
    INSERT INTO bookings_customer (id, name, phone, email, notes, tags, marketing_consent, last_interaction_at,
                                   created_at, updated_at)
    SELECT c.id, 'Cliente ' || c.id, '+55119' || lpad(c.id::text, 8, '0'), '', '', '{}', false, l.last_at,
           c.join_at, coalesce(l.last_at, c.join_at)
    FROM bench_customer c
    LEFT JOIN (SELECT customer_id, max(last_message_at) AS last_at FROM bench_record GROUP BY customer_id) l
      ON l.customer_id = c.id
    """,
    """
    INSERT INTO bookings_pet (id, customer_id, name, species, breed, size, coat, notes, created_at, updated_at)
    SELECT id, id, 'Pet ' || id,
           CASE WHEN mod(id * 7, 20) < 14 THEN 'dog' WHEN mod(id * 7, 20) < 19 THEN 'cat' ELSE 'bird' END,
           '', (ARRAY['P', 'M', 'G', 'GG'])[1 + mod(id, 4)], '', '', join_at, join_at
    FROM bench_customer
    """,
    """
    INSERT INTO whatsapp_conversation (id, customer_id, channel_id, address, owner, handover_reason, unread_count,
                                       last_message_at, last_inbound_at, created_at)
    SELECT cv.id, cv.customer_id, cv.channel_id, '55119' || lpad(cv.customer_id::text, 8, '0') || '@s.whatsapp.net',
           'bot', '', 0, l.last_at, l.last_at, cv.join_at
    FROM bench_conversation cv
    LEFT JOIN (SELECT conversation_id, max(last_message_at) AS last_at FROM bench_record GROUP BY conversation_id) l
      ON l.conversation_id = cv.id
    """,
    # Bookings: the converted conversations (by the AI, or staff after a
    # hand-over), plus some by the owner, staff and the API; 1-14 days ahead,
    # 08:00-17:00, never on Sundays, the price of the service.
    """
    CREATE TEMP TABLE bench_booking AS
    SELECT row_number() OVER (ORDER BY created_at, customer_id) AS id, b.*,
           (%(service_ids)s::bigint[])[k] AS service_id, (%(service_prices)s::numeric[])[k] AS price,
           (%(service_minutes)s::int[])[k] AS minutes, (%(service_buffers)s::int[])[k] AS buffer,
           (%(resource_ids)s::bigint[])[1 + floor(u_resource * %(resource_count)s)::int] AS resource_id,
           start_local AT TIME ZONE %(tz)s AS start, NULL::text AS status, NULL::timestamptz AS cancelled_at
    FROM (
      SELECT *, 1 + floor(u_service * %(service_count)s)::int AS k,
             (start_day + CASE WHEN extract(isodow FROM start_day) = 7 THEN 1 ELSE 0 END) + time '08:00'
             + floor(u_hour * 18) * interval '30 minutes' AS start_local
      FROM (
        SELECT *, (created_at AT TIME ZONE %(tz)s)::date + 1 + floor(u_lead * 14)::int AS start_day
        FROM (
          SELECT r.id AS record_id, r.customer_id, CASE WHEN r.handled_by = 'ai' THEN 'ai' ELSE 'staff' END AS source,
                 r.last_message_at + interval '10 seconds' AS created_at, random() AS u_service, random() AS u_lead,
                 random() AS u_hour, random() AS u_resource, random() AS u_status, random() AS u_cancel
          FROM bench_record r WHERE r.converted
          UNION ALL
          SELECT NULL, c.id, CASE WHEN e.u < 0.4 THEN 'owner' WHEN e.u < 0.7 THEN 'staff' ELSE 'api' END,
                 greatest(c.join_at, %(year_start)s) + e.v * (%(year_end)s - greatest(c.join_at, %(year_start)s)),
                 random(), random(), random(), random(), random(), random()
          FROM (SELECT 1 + floor(random() * %(customers)s)::int AS customer_id, random() AS u, random() AS v
                FROM generate_series(1, %(extra_bookings)s)) e
          JOIN bench_customer c ON c.id = e.customer_id
        ) a
      ) b1
    ) b
    """,
    # What has happened by now: 80% completed, 12% cancelled before the day,
    # 8% no-shows. Those still ahead are confirmed, on a grid of 2-hour slots
    # per resource, so the no-overlap constraint holds.
    """
    UPDATE bench_booking SET status = CASE WHEN start > %(now)s - interval '1 day' THEN 'confirmed'
                                           WHEN u_status < 0.8 THEN 'completed'
                                           WHEN u_status < 0.92 THEN 'cancelled' ELSE 'no_show' END
    """,
    "UPDATE bench_booking SET cancelled_at = created_at + u_cancel * (start - created_at) WHERE status = 'cancelled'",
    """
    UPDATE bench_booking b
    SET resource_id = (%(resource_ids)s::bigint[])[1 + mod(g.rn - 1, %(resource_count)s)::int],
        start = ((%(today)s::date + 1 + ((g.rn - 1) / %(resource_count)s / 5)::int) + time '08:00'
                 + mod((g.rn - 1) / %(resource_count)s, 5) * interval '2 hours') AT TIME ZONE %(tz)s
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM bench_booking WHERE status = 'confirmed') g
    WHERE b.id = g.id
    """,
    """
    INSERT INTO bookings_booking (id, start, "end", occupied_until, status, price, source, notes, cancellation_reason,
                                  created_by, created_at, updated_at, confirmed_at, cancelled_at, customer_id, pet_id,
                                  resource_id, service_id)
    SELECT id, start, start + minutes * interval '1 minute', start + (minutes + buffer) * interval '1 minute', status,
           price, source, '', CASE WHEN status = 'cancelled' THEN 'customer cancelled' ELSE '' END,
           CASE source WHEN 'ai' THEN 'ai' WHEN 'api' THEN 'api' ELSE 'staff@bench.test' END, created_at,
           coalesce(cancelled_at, created_at), CASE WHEN status <> 'cancelled' THEN created_at END, cancelled_at,
           customer_id, customer_id, resource_id, service_id
    FROM bench_booking
    """,
    """
    INSERT INTO analytics_conversationrecord (id, conversation_id, channel_id, started_at, day, last_message_at,
                                              first_bot_response_at, handed_over_at, first_human_response_at,
                                              handled_by, messages_in, messages_out, booking_id, booking_value,
                                              customer_id, customer_since)
    SELECT r.id, r.conversation_id, r.channel_id, r.started_at, r.day, r.last_message_at, r.first_bot_response_at,
           r.handed_over_at, r.first_human_response_at, r.handled_by, (r.n + 1) / 2, r.n / 2, b.id, b.price,
           r.customer_id, c.join_at
    FROM bench_record r LEFT JOIN bench_booking b ON b.record_id = r.id JOIN bench_customer c ON c.id = r.customer_id
    """,
    f"""
    INSERT INTO whatsapp_message (id, direction, sender_kind, sent_by, kind, text, data, media, provider_message_id,
                                  reply_to_provider_id, status, status_rank, error, send_attempts, provider_timestamp,
                                  created_at, channel_id, conversation_id)
    SELECT row_number() OVER (ORDER BY at, record_id, seq), CASE WHEN inbound THEN 'in' ELSE 'out' END, sender,
           CASE WHEN sender IN ('staff', 'owner') THEN 'atendente@bench.test' ELSE '' END, 'text',
           CASE WHEN inbound THEN 'Oi! Queria marcar um banho para o meu cachorro.'
                ELSE 'Claro! Temos horário amanhã às 10h, pode ser?' END,
           '{{}}', '', 'BENCH' || record_id || '.' || seq, '', CASE WHEN inbound THEN 'received' ELSE 'read' END,
           CASE WHEN inbound THEN 0 ELSE 4 END, '', CASE WHEN inbound THEN 0 ELSE 1 END, at, at, channel_id,
           conversation_id
    FROM (
      SELECT r.id AS record_id, s AS seq, r.channel_id, r.conversation_id, mod(s, 2) = 0 AS inbound,
             CASE WHEN mod(s, 2) = 0 THEN 'customer'
                  WHEN r.handled_by = 'ai' OR (r.handled_by = 'handed_over' AND s = 1) THEN 'bot'
                  ELSE r.human_sender END AS sender,
             r.started_at + ({_offset_ms("s", "r.")}) * interval '1 millisecond' AS at
      FROM bench_record r CROSS JOIN LATERAL generate_series(0, r.n - 1) s
    ) m
    """,
    # The events `analytics.services` records for all of the above (same
    # kinds, dedupe keys, days, dimensions and values), in time order.
    f"""
    INSERT INTO analytics_analyticsevent (kind, dedupe_key, occurred_at, day, dims, value)
    SELECT kind, dedupe_key, occurred_at, day, dims, value FROM (
      SELECT CASE WHEN direction = 'in' THEN 'message_in' ELSE 'message_out' END AS kind,
             'message:' || id AS dedupe_key,
             coalesce(provider_timestamp, created_at) AS occurred_at,
             {_local_day("coalesce(provider_timestamp, created_at)")} AS day,
             CASE WHEN direction = 'in' THEN jsonb_build_object('channel', channel_id)
                  ELSE jsonb_build_object('channel', channel_id, 'sender', sender_kind) END AS dims,
             0::numeric AS value
      FROM whatsapp_message WHERE kind <> 'reaction'
      UNION ALL
      SELECT 'conversation_started', 'conversation:' || id, started_at, day,
             jsonb_build_object('channel', channel_id), 0
      FROM analytics_conversationrecord
      UNION ALL
      SELECT 'first_response_bot', 'first_bot:' || id, first_bot_response_at, day, '{{}}',
             round(extract(epoch FROM first_bot_response_at - started_at) * 1000)
      FROM analytics_conversationrecord WHERE first_bot_response_at IS NOT NULL
      UNION ALL
      SELECT 'handover', 'handover:' || id, handed_over_at, day,
             jsonb_build_object('after_ai', first_bot_response_at IS NOT NULL), 0
      FROM analytics_conversationrecord WHERE handed_over_at IS NOT NULL
      UNION ALL
      SELECT 'human_only', 'human_only:' || id, first_human_response_at, day, '{{}}', 0
      FROM analytics_conversationrecord WHERE handled_by = 'human'
      UNION ALL
      SELECT 'first_response_human', 'first_human:' || id, first_human_response_at, day, '{{}}',
             round(extract(epoch FROM first_human_response_at - coalesce(handed_over_at, started_at)) * 1000)
      FROM analytics_conversationrecord WHERE first_human_response_at IS NOT NULL
      UNION ALL
      SELECT 'converted', 'converted:' || r.id, b.created_at, r.day, '{{}}', b.price
      FROM analytics_conversationrecord r JOIN bookings_booking b ON b.id = r.booking_id
      UNION ALL
      SELECT 'booking_created', 'booking:' || id || ':created', created_at, {_local_day("created_at")},
             jsonb_build_object('source', source, 'service', service_id,
                                'hour', extract(hour FROM start AT TIME ZONE %(tz)s)::int,
                                'weekday', extract(isodow FROM start AT TIME ZONE %(tz)s)::int), price
      FROM bookings_booking
      UNION ALL
      SELECT 'booking_' || status, 'booking:' || id || ':' || status,
             {_STATUS_AT}, {_local_day(_STATUS_AT)},
             jsonb_build_object('service', service_id), price
      FROM bookings_booking WHERE status IN ('completed', 'cancelled', 'no_show')
      UNION ALL
      SELECT 'customer_new', 'customer:' || id, created_at, {_local_day("created_at")}, '{{}}', 0
      FROM bookings_customer
    ) e
    ORDER BY occurred_at
    """,
    *(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        for table in (
            "bookings_customer",
            "bookings_pet",
            "whatsapp_conversation",
            "bookings_booking",
            "analytics_conversationrecord",
            "whatsapp_message",
        )
    ),
    "DROP TABLE bench_customer, bench_conversation, bench_session, bench_record, bench_booking",
    # As autovacuum would have by now.
    *(
        f"ANALYZE {table}"
        for table in (
            "bookings_customer",
            "bookings_pet",
            "whatsapp_conversation",
            "bookings_booking",
            "analytics_conversationrecord",
            "whatsapp_message",
            "analytics_analyticsevent",
        )
    ),
]


def populate(*, first_day: date, tz, now: datetime) -> None:
    channels = [
        Channel.objects.create(name=name, provider="evolution", external_id=f"bench-{uuid.uuid4().hex[:12]}",
                               state="connected")
        for name in ("Loja", "Banho e tosa")
    ]  # fmt: skip
    services = list(Service.objects.order_by("id"))
    for n in range(RESOURCES - Resource.objects.count()):
        Resource.objects.create(name=f"Bench {n}").services.set(services)
    resources = list(Resource.objects.order_by("id").values_list("id", flat=True))
    year_start = datetime.combine(first_day, datetime.min.time(), tzinfo=tz)
    params = {
        "tz": str(tz),
        "first_day": first_day,
        "today": first_day + timedelta(days=DAYS),
        "days": DAYS,
        "year_start": year_start,
        "year_end": year_start + timedelta(days=DAYS),
        "now": now,
        "customers": CUSTOMERS,
        "messages": MESSAGES,
        "gap": SESSION_GAP_DAYS,
        "conversion": CONVERSION,
        "extra_bookings": EXTRA_BOOKINGS,
        "channel_ids": [channel.pk for channel in channels],
        "service_ids": [service.pk for service in services],
        "service_prices": [service.price for service in services],
        "service_minutes": [service.duration_minutes for service in services],
        "service_buffers": [service.buffer_after_minutes for service in services],
        "service_count": len(services),
        "resource_ids": resources,
        "resource_count": len(resources),
    }
    with connection.cursor() as cursor:
        for statement in POPULATE:
            cursor.execute(statement, params)


# -- the same figures straight from the raw tables ------------------------------

RAW_RECORDS = """
SELECT channel_id, handled_by, count(*), count(booking_id),
       count(first_bot_response_at),
       coalesce(sum(round(extract(epoch FROM first_bot_response_at - started_at) * 1000)), 0),
       count(first_human_response_at),
       coalesce(sum(round(extract(epoch FROM first_human_response_at - coalesce(handed_over_at, started_at))
                          * 1000)), 0)
FROM analytics_conversationrecord WHERE day BETWEEN %(start)s AND %(end)s
GROUP BY channel_id, handled_by
"""
RAW_RETURNING = """
SELECT count(DISTINCT c.customer_id)
FROM analytics_conversationrecord r
JOIN whatsapp_conversation c ON c.id = r.conversation_id
JOIN bookings_customer cu ON cu.id = c.customer_id
WHERE r.day BETWEEN %(start)s AND %(end)s AND cu.created_at < %(lo)s
"""
RAW_MESSAGES = """
SELECT direction, channel_id, sender_kind, count(*) FROM whatsapp_message
WHERE created_at >= %(lo)s AND created_at < %(hi)s AND kind <> 'reaction'
GROUP BY direction, channel_id, sender_kind
"""
RAW_BOOKINGS_MADE = """
SELECT b.source, b.service_id, s.name, extract(hour FROM b.start AT TIME ZONE %(tz)s)::int,
       extract(isodow FROM b.start AT TIME ZONE %(tz)s)::int, count(*), sum(b.price)
FROM bookings_booking b JOIN bookings_service s ON s.id = b.service_id
WHERE b.created_at >= %(lo)s AND b.created_at < %(hi)s
GROUP BY 1, 2, 3, 4, 5
"""
RAW_BOOKINGS_ENDED = """
SELECT status, count(*), sum(price) FROM bookings_booking
WHERE (status IN ('completed', 'no_show') AND "end" >= %(lo)s AND "end" < %(hi)s)
   OR (status = 'cancelled' AND cancelled_at >= %(lo)s AND cancelled_at < %(hi)s)
GROUP BY status
"""
RAW_CUSTOMERS = """
SELECT count(*) FILTER (WHERE created_at >= %(lo)s AND created_at < %(hi)s),
       count(*) FILTER (WHERE last_interaction_at < %(since)s
                        OR (last_interaction_at IS NULL AND created_at < %(since)s))
FROM bookings_customer
"""
RAW_PETS = "SELECT species, count(*) FROM bookings_pet GROUP BY species"


def _money(value) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _ratio(part: float, whole: float) -> float | None:
    return None if not whole else round(part / whole, 4)


def _average_s(total_ms, count: int) -> float | None:
    return None if not count else round(float(total_ms) / count / 1000, 1)


def _add(counter: dict, key, amount) -> None:
    counter[key] = counter.get(key, 0) + amount


def raw_summary(*, start: date, end: date, now: datetime) -> dict:
    """The figures of `shop_summary` (but AI cost, which only events record),
    aggregated from the tables the facts come from."""
    tz = shop_timezone()
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    params = {"start": start, "end": end, "lo": lo, "hi": hi, "tz": str(tz),
              "since": now - timedelta(days=INACTIVE_DAYS)}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(RAW_RECORDS, params)
        records = cursor.fetchall()
        cursor.execute(RAW_RETURNING, params)
        (returning,) = cursor.fetchone()
        cursor.execute(RAW_MESSAGES, params)
        messages = cursor.fetchall()
        cursor.execute(RAW_BOOKINGS_MADE, params)
        made = cursor.fetchall()
        cursor.execute(RAW_BOOKINGS_ENDED, params)
        ended = {status: (count, total) for status, count, total in cursor.fetchall()}
        cursor.execute(RAW_CUSTOMERS, params)
        new, inactive = cursor.fetchone()
        cursor.execute(RAW_PETS)
        pets = dict(cursor.fetchall())

    by_channel, handled, bot, human = {}, {}, [0, 0], [0, 0]
    converted = ai_alone = 0
    for channel, handled_by, count, with_booking, bot_n, bot_ms, human_n, human_ms in records:
        _add(by_channel, str(channel), count)
        _add(handled, handled_by, count)
        ai_alone += bot_n if handled_by == "ai" else 0
        converted += with_booking
        bot[0], bot[1], human[0], human[1] = bot[0] + bot_n, bot[1] + bot_ms, human[0] + human_n, human[1] + human_ms
    started = sum(by_channel.values())
    handed_over, human_only = handled.get("handed_over", 0), handled.get("human", 0)

    in_by_channel, out_by_channel, out_by_sender = {}, {}, {}
    for direction, channel, sender, count in messages:
        if direction == Message.Direction.INBOUND:
            _add(in_by_channel, str(channel), count)
        else:
            _add(out_by_channel, str(channel), count)
            _add(out_by_sender, sender, count)

    by_source, services, by_hour, by_weekday = {}, {}, {}, {}
    for source, service, name, hour, weekday, count, total in made:
        _add(by_source, source, count)
        counted = services.setdefault(str(service), [name, 0, Decimal(0)])
        counted[1], counted[2] = counted[1] + count, counted[2] + total
        _add(by_hour, hour, count)
        _add(by_weekday, weekday, count)
    booked = sum(by_source.values())
    completed, revenue_completed = ended.get("completed", (0, Decimal(0)))
    no_shows = ended.get("no_show", (0, 0))[0]
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "conversations": {
            "started": started,
            "by_channel": by_channel,
            "ai_alone": ai_alone,
            "unanswered": started - ai_alone - handed_over - human_only,
            "handed_over": handed_over,
            "human_only": human_only,
            "first_response_ai_s": _average_s(bot[1], bot[0]),
            "first_response_human_s": _average_s(human[1], human[0]),
            "converted": converted,
            "conversion_rate": _ratio(converted, started),
        },
        "messages": {
            "in": sum(in_by_channel.values()),
            "out": sum(out_by_channel.values()),
            "in_by_channel": in_by_channel,
            "out_by_channel": out_by_channel,
            "out_by_sender": out_by_sender,
        },
        "bookings": {
            "made": booked,
            "by_source": by_source,
            "revenue_booked": _money(sum((total for *_, total in made), Decimal(0))),
            "revenue_completed": _money(revenue_completed),
            "completed": completed,
            "average_ticket": _money(revenue_completed / completed) if completed else None,
            "cancelled": ended.get("cancelled", (0, 0))[0],
            "no_shows": no_shows,
            "no_show_rate": _ratio(no_shows, no_shows + completed),
            "top_services": [
                {"service": name, "bookings": count, "revenue": _money(total)}
                for _pk, (name, count, total) in sorted(services.items(), key=lambda item: (-item[1][1], item[0]))[:5]
            ],
            "by_hour": dict(sorted(by_hour.items())),
            "by_weekday": {WEEKDAYS[day]: count for day, count in sorted(by_weekday.items())},
        },
        "customers": {
            "new": new,
            "returning": returning,
            "inactive": inactive,
            "inactive_days": INACTIVE_DAYS,
            "pets_by_species": pets,
        },
    }


def mismatches(summary: dict, raw: dict) -> list[str]:
    return [
        f"{section}.{key}: rollups {summary[section].get(key)!r} != raw {value!r}"
        for section, figures in raw.items()
        if section != "period"
        for key, value in figures.items()
        if summary[section].get(key) != value
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # killed: still drop the bench shop
    begun = time.perf_counter()
    with bench_shop("analytics") as organization, tenant_context(organization):
        tz = shop_timezone()
        now = timezone.now()
        last_day = now.astimezone(tz).date() - timedelta(days=1)
        first_day = last_day - timedelta(days=DAYS - 1)
        period_start = last_day - timedelta(days=PERIOD_DAYS - 1)

        populate(first_day=first_day, tz=tz, now=now)
        built_s = time.perf_counter() - begun

        days = AnalyticsEvent.objects.order_by("day").values_list("day", flat=True)
        started = time.perf_counter()
        folded = 0
        # Closed at once if interrupted: its transaction must not stay open.
        with closing(rollups_rebuild(start=days.first(), end=days.last())) as rebuild:
            for done in rebuild:
                folded = done
        rebuild_s = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE analytics_dailymetric")

        def rollups() -> dict:
            return shop_summary(start=period_start, end=last_day, inactive_days=INACTIVE_DAYS, now=now)

        def raw() -> dict:
            return raw_summary(start=period_start, end=last_day, now=now)

        summary, direct = rollups(), raw()  # warm up, and the figures must agree
        differences = mismatches(summary, direct)
        rollup_ms, raw_ms = median_ms(rollups, args.runs), median_ms(raw, args.runs)
        counts = {
            "messages": Message.objects.count(),
            "events": folded,
            "bookings": Booking.objects.count(),
            "conversations": ConversationRecord.objects.count(),
            "customers": Customer.objects.count(),
            "rollup_rows_in_period": DailyMetric.objects.filter(day__range=(period_start, last_day)).count(),
        }

    for difference in differences:
        print(difference, file=sys.stderr)
    print(
        json.dumps(
            {
                "bench": "analytics",
                "rollup_median_ms": round(rollup_ms, 2),
                "raw_median_ms": round(raw_ms, 2),
                "ratio": round(rollup_ms / raw_ms, 2),
                **counts,
                "period": [period_start.isoformat(), last_day.isoformat()],
                "messages_in_period": summary["messages"]["in"] + summary["messages"]["out"],
                "bookings_in_period": summary["bookings"]["made"],
                "figures_match": not differences,
                "build_s": round(built_s, 1),
                "rebuild_s": round(rebuild_s, 1),
                "runs": args.runs,
            }
        )
    )


if __name__ == "__main__":
    main()
