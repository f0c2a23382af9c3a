from django.db import connection

from oxy.celery import app

from .selectors import shop_summary


@app.task(name="shop.summary", queue="default", time_limit=30, soft_time_limit=20, max_retries=0, ignore_result=False)
def shop_summary_task() -> dict:
    """The shop's headline numbers as a worker sees them: support uses it to
    confirm that workers run a shop's tasks in that shop's schema."""
    return {"schema": connection.schema_name, **shop_summary()}
