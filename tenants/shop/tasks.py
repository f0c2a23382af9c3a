from django.db import connection

from oxy.celery import app
from tenants.services import in_each_active_shop

from .selectors import shop_summary


@app.task(name="shop.summary", queue="default", time_limit=30, soft_time_limit=20, max_retries=0, ignore_result=False)
def shop_summary_task() -> dict:
    """The shop's headline numbers as a worker sees them: support uses it to
    confirm that workers run a shop's tasks in that shop's schema."""
    return {"schema": connection.schema_name, **shop_summary()}


@app.task(name="shop.retention_all_tenants", queue="scheduled", public_schema=True, time_limit=1800,
          soft_time_limit=1700, max_retries=0)  # fmt: skip
def retention_all_tenants_task() -> dict[str, dict[str, int]]:
    """Each shop's retention settings (raw events, old messages); see shop.retention."""
    from .retention import retention_apply

    return {slug: done for slug, done in in_each_active_shop(retention_apply).items() if any(done.values())}
