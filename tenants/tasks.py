from oxy.celery import app

from .backups import backups_run_all_tenants


@app.task(name="tenants.backup_all_tenants", queue="scheduled", public_schema=True, time_limit=6 * 3600, max_retries=0)
def backup_all_tenants_task() -> dict[str, str]:
    # A shop's backup that failed is recorded as failed; the next run (or a
    # re-run the same day) tries it again, a finished one is not repeated.
    return backups_run_all_tenants()
