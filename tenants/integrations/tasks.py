"""Integration tasks: thin, by id, in the shop's schema they were queued
from; the sweepers visit every active shop."""

from oxy.celery import app
from tenants.services import in_each_active_shop


# Retries are not Celery's: a failed attempt schedules the next one in the
# row (with backoff) and the sweeper sends it when due.
@app.task(name="integrations.deliver_webhook", queue="outbound", time_limit=60, soft_time_limit=50, max_retries=0,
          acks_late=True)  # fmt: skip
def webhook_deliver_task(delivery_id: int) -> str:
    from .services.webhooks import webhook_delivery_attempt

    return webhook_delivery_attempt(delivery_id=delivery_id)


@app.task(name="integrations.sweep_webhooks_all_tenants", queue="scheduled", public_schema=True, time_limit=120,
          max_retries=0)  # fmt: skip
def sweep_webhooks_all_tenants_task() -> dict[str, int]:
    from .services.webhooks import webhook_deliveries_due_enqueue

    return {slug: n for slug, n in in_each_active_shop(webhook_deliveries_due_enqueue).items() if n}


# Likewise: an alert not sent everywhere is queued again by the next check.
@app.task(name="integrations.deliver_alert", queue="outbound", time_limit=60, soft_time_limit=50, max_retries=0,
          acks_late=True)  # fmt: skip
def alert_deliver_task(alert_id: int) -> str:
    from .services.alerts import alert_deliver

    return alert_deliver(alert_id=alert_id)


@app.task(name="integrations.alerts_check_all_tenants", queue="scheduled", public_schema=True, time_limit=300,
          max_retries=0)  # fmt: skip
def alerts_check_all_tenants_task() -> dict[str, list[str]]:
    from .services.alerts import alerts_check

    return {slug: raised for slug, raised in in_each_active_shop(alerts_check).items() if raised}
