"""Test settings: the real PostgreSQL and Redis, on their own database and
Redis db so a running dev server is never disturbed."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("APP_ENV", "test")
os.environ.setdefault("OXY_BASE_DOMAIN", "oxy.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oxy_test")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
# Runs side by side (two developers, CI) must not share a database, queues
# or locks; processes a run starts inherit its id.
RUN_ID = os.environ.setdefault("OXY_TEST_RUN_ID", str(os.getpid()))
os.environ.setdefault("OXY_REDIS_PREFIX", f"oxy-test-{RUN_ID}")
# Test transactions need one connection per thread, not a pool.
os.environ.setdefault("DB_POOL_MAX_SIZE", "0")
# The whole run shares one client address and two shops: limits that no
# test reaches by accident (tests/oxy/test_security*.py set low ones).
os.environ.setdefault("OXY_API_RATE_PER_KEY", "100000/min")
os.environ.setdefault("OXY_API_RATE_PER_SHOP", "100000/min")
os.environ.setdefault("OXY_LOGIN_MAX_FAILURES_PER_ADDRESS", "100000")
# Throwaway keys that protect nothing outside the test database.
os.environ.setdefault(
    "OXY_ENCRYPTION_KEYS",
    "qUK3Y1vZ7m6fJx2iB0t7pT1n5cQ9uWbQm0tHq2o4l8M=,8d4f0uW9Yb2C6ZkqXv1Rj3Hn5Tg7Lp9Ms2Qa4Ew6Rt8=",
)

from .settings import *  # noqa: E402, F403

DATABASES["default"]["TEST"] = {"NAME": f"test_oxy_{RUN_ID}"}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
OXY_BEAT_LOCK_TTL_S = 5
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"oxy-test-media-{RUN_ID}"  # removed when the run ends
