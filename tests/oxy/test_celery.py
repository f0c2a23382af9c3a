"""Tasks run on a real worker (not eager), in the schema they were enqueued from."""

from collections import Counter

import pytest
from django_tenants.utils import tenant_context

from oxy.celery import PublicSchemaTaskError
from tenants.models import DeadLetter
from tenants.shop.tasks import shop_summary_task
from tests.conftest import ALPHA, BETA, wait_until


def test_a_task_enqueued_in_a_shop_runs_in_that_shops_schema(celery_worker, committed_alpha, committed_beta):
    alpha, beta = committed_alpha, committed_beta
    with tenant_context(alpha):
        alpha_result = shop_summary_task.delay()
    with tenant_context(beta):
        beta_result = shop_summary_task.delay()

    assert alpha_result.get(timeout=10) == {
        "schema": "shop_alpha", "staff_users": 1, "owner_numbers": [ALPHA.owner_phone],
    }  # fmt: skip
    assert beta_result.get(timeout=10)["owner_numbers"] == [BETA.owner_phone]


def test_a_shop_task_enqueued_from_public_refuses_and_is_dead_lettered(committed_db, celery_worker):
    result = shop_summary_task.delay()

    with pytest.raises(PublicSchemaTaskError, match="enqueue it inside tenant_context"):
        result.get(timeout=10)
    # the dead letter is written right after the failure is reported
    assert wait_until(lambda: DeadLetter.objects.filter(task_id=result.id).exists())
    letter = DeadLetter.objects.get(task_id=result.id)
    assert letter.task_name == "shop.summary"
    assert letter.schema_name == "public"
    letter.delete()


def test_every_scheduled_job_can_be_queued_for_the_platform(committed_db):
    """Beat sends each job to the public schema; a job Celery refuses to queue
    (e.g. a soft time limit above its hard one) would silently never run."""
    from django.conf import settings
    from django.db import connection

    from oxy.beat import SingleBeatScheduler
    from oxy.celery import app
    from tests.fixtures.processes import private_redis

    assert "public" in SingleBeatScheduler.get_queryset().values_list("schema_name", flat=True)
    connection.set_schema_to_public()
    with private_redis() as redis_server, app.connection_for_write(redis_server.url) as broker:
        queues = Counter()
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            task = app.tasks[entry["task"]]
            task.apply_async(connection=broker, headers={"_schema_name": "public"})
            queues[task.queue] += 1
        assert set(queues) == {"scheduled", "campaigns"}  # periodic work never waits behind customers' turns
        assert {queue: broker.default_channel.client.llen(queue) for queue in queues} == queues


def test_no_task_has_a_soft_time_limit_above_its_hard_one():
    from oxy.celery import app

    for name, task in app.tasks.items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert not (soft and hard and soft > hard), name
