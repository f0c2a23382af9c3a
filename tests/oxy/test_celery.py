"""Tasks run on a real worker (not eager), in the schema they were enqueued from."""

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
