"""One Redis client per process: its connection pool is shared by every
thread (and reset by redis-py in a forked child), so a call does not open
a connection of its own."""

from functools import cache

import redis
from django.conf import settings


@cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=1)
