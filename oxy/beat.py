"""A beat scheduler that runs once per deployment.

Two beats would send every periodic task twice (two reminders, two daily
summaries), so the scheduler holds a Redis lock for as long as it runs and
refuses to start while another process holds it. A beat that dies stops
refreshing the lock, and another can start once it expires.
"""

import logging
import os
import socket
import uuid

import redis
from django.conf import settings
from tenant_schemas_celery.scheduler import TenantAwareScheduler

logger = logging.getLogger(__name__)


def beat_lock_key() -> str:
    return f"{settings.OXY_REDIS_PREFIX}:beat:lock"


# Refresh only if the lock is still ours: compare-and-extend in one step.
_REFRESH = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class BeatAlreadyRunning(RuntimeError):
    pass


class SingleBeatScheduler(TenantAwareScheduler):
    @classmethod
    def get_queryset(cls):
        """Where due tasks may go: active shops, and the public schema for the
        platform's own jobs (the base class excludes it from all-shop jobs)."""
        from django.db.models import Q

        from tenants.models import Organization

        return Organization.objects.filter(Q(status=Organization.Status.ACTIVE) | Q(schema_name="public"))

    def setup_schedule(self) -> None:
        self._lock_client = redis.Redis.from_url(settings.REDIS_URL)
        self._lock_token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        ttl = settings.OXY_BEAT_LOCK_TTL_S
        if not self._lock_client.set(beat_lock_key(), self._lock_token, nx=True, ex=ttl):
            holder = self._lock_client.get(beat_lock_key())
            raise BeatAlreadyRunning(
                f"another beat holds {beat_lock_key()} ({holder.decode() if holder else 'just released'}); "
                "refusing to start a second one"
            )
        logger.info("beat lock acquired by %s", self._lock_token)
        super().setup_schedule()

    def tick(self, *args, **kwargs) -> float:
        ttl = settings.OXY_BEAT_LOCK_TTL_S
        if not self._lock_client.eval(_REFRESH, 1, beat_lock_key(), self._lock_token, ttl):
            raise BeatAlreadyRunning(f"beat lock {beat_lock_key()} was lost; stopping so only one beat runs")
        return min(super().tick(*args, **kwargs), ttl / 3)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if getattr(self, "_lock_client", None) is not None:
                self._lock_client.eval(_RELEASE, 1, beat_lock_key(), self._lock_token)
