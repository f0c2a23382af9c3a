"""A tiny per-process cache for hot lookups that may be a few seconds stale
(which shop a host or a webhook route belongs to, on every request)."""

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
_all_caches: list["TTLCache"] = []


class TTLCache(Generic[T]):
    def __init__(self, *, seconds: float, max_entries: int = 10_000) -> None:
        self.seconds, self.max_entries = seconds, max_entries
        self._entries: dict[Hashable, tuple[float, T]] = {}
        _all_caches.append(self)

    def get_or_load(self, key: Hashable, load: Callable[[], T]) -> T:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = load()
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


def ttl_caches_clear() -> None:
    """Forget every cached lookup in this process (other processes catch up
    within their caches' few seconds)."""
    for cache in _all_caches:
        cache.clear()
