"""The one entrypoint (`python -m oxy`) and the single-beat guarantee, with
real processes."""

import pytest
import redis
from django.conf import settings

from oxy.beat import beat_lock_key
from tests.conftest import wait_until
from tests.fixtures.processes import finished, oxy_process, stop


def test_production_without_a_run_mode_exits_with_a_clear_message():
    process = oxy_process(None, APP_ENV="production")

    output = finished(process, timeout=30)

    assert process.returncode == 2
    assert "RUN_MODE is not set; set RUN_MODE to one of web, worker, beat" in output


def test_an_unknown_run_mode_is_refused():
    process = oxy_process("cron")

    output = finished(process, timeout=30)

    assert process.returncode == 2
    assert "unknown RUN_MODE 'cron'" in output


@pytest.fixture
def lock_client():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(beat_lock_key())
    yield client
    client.delete(beat_lock_key())


def test_a_second_beat_refuses_to_start_while_the_first_runs(committed_db, lock_client):
    first = oxy_process("beat")
    try:
        # given one beat holding the lock
        assert wait_until(lambda: lock_client.exists(beat_lock_key()), timeout=30), "first beat never took the lock"

        # when a second one starts
        second = oxy_process("beat")
        output = finished(second, timeout=60)

        # then it exits with an error that says why, and the first keeps its lock
        assert second.returncode != 0
        assert "refusing to start a second one" in output
        assert first.poll() is None
        assert lock_client.get(beat_lock_key()).decode().split(":")[1] == str(first.pid)
    finally:
        stop(first)

    # a beat that stops releases the lock for its successor
    assert not lock_client.exists(beat_lock_key())
