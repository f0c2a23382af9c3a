"""The one definition of what each fact adds to the daily rollups.

`metrics_for` is used both when a fact is recorded (incrementally) and when
rollups are rebuilt from the events, so the two cannot disagree.
"""

from decimal import Decimal

from .models import AnalyticsEvent

Kind = AnalyticsEvent.Kind

# (metric, dimension, count, total)
MetricDelta = tuple[str, str, int, Decimal]

# The dimensions each kind is broken down by, besides its plain total.
_BREAKDOWNS: dict[str, tuple[str, ...]] = {
    Kind.CONVERSATION_STARTED: ("channel",),
    Kind.MESSAGE_IN: ("channel",),
    Kind.MESSAGE_OUT: ("channel", "sender"),
    Kind.BOOKING_CREATED: ("source", "service", "hour", "weekday"),
    Kind.HANDOVER: ("after_ai",),
}


def metrics_for(kind: str, dims: dict, value: Decimal) -> list[MetricDelta]:
    if kind == Kind.CUSTOMER_MERGED:  # counted as new twice: once is taken back, on its first day
        return [(Kind.CUSTOMER_NEW, "", -1, Decimal(0))]
    if kind == Kind.AI_CALL:
        # One event per turn; a turn can call the model several times.
        return [(kind, "", int(dims.get("calls", 1)), value), ("ai_tokens", "", 0, Decimal(dims.get("tokens", 0)))]
    deltas = [(kind, "", 1, value)]
    for name in _BREAKDOWNS.get(kind, ()):
        if dims.get(name) is not None:
            deltas.append((f"{kind}:{name}", str(dims[name]), 1, value))
    return deltas
