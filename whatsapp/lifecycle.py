"""The connection state machine and the reconnect policy.

new → pairing → connected; a lost connection is `reconnecting` and is
retried with exponential backoff (5 s, ×1.5, capped at 60 s, at most 10
tries) before it becomes `failed`. A device logged out on the phone or a
session replaced elsewhere is never retried: it needs a person to pair again.
"""

from .models import Channel

FIRST_DELAY_S = 5.0
FACTOR = 1.5
MAX_DELAY_S = 60.0
MAX_ATTEMPTS = 10

State = Channel.State
ALLOWED = {
    State.NEW: {State.PAIRING, State.CONNECTED, State.FAILED},
    State.PAIRING: {State.PAIRING, State.CONNECTED, State.LOGGED_OUT, State.FAILED, State.RECONNECTING},
    State.CONNECTED: {State.RECONNECTING, State.LOGGED_OUT, State.FAILED, State.PAIRING, State.CONNECTED},
    State.RECONNECTING: {State.CONNECTED, State.RECONNECTING, State.LOGGED_OUT, State.FAILED, State.PAIRING},
    State.LOGGED_OUT: {State.PAIRING, State.CONNECTED},
    State.FAILED: {State.PAIRING, State.CONNECTED, State.RECONNECTING},
}


def reconnect_delay(attempt: int) -> float | None:
    """Seconds before reconnect attempt number `attempt` (0-based), or None
    once the attempts are used up."""
    if attempt >= MAX_ATTEMPTS:
        return None
    return min(FIRST_DELAY_S * FACTOR**attempt, MAX_DELAY_S)


def can_move(from_state: str, to_state: str) -> bool:
    return to_state in ALLOWED[State(from_state)]
