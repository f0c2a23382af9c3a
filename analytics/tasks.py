"""Analytics tasks: thin, by id, in the schema of the shop that queued them."""

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from oxy.celery import app

logger = logging.getLogger(__name__)


@app.task(
    bind=True, name="analytics.build_export", queue="default", time_limit=900, soft_time_limit=840,
    max_retries=3, acks_late=True,
)  # fmt: skip
def export_build_task(self, job_id: int) -> str:
    """Build a background CSV export. The database going away is retried
    (the build starts over); anything else, or the last retry, marks the job
    failed with a reason the user can read, and lands in the dead letters."""
    from .exports import ERROR_STORAGE, ERROR_TOO_LONG, ERROR_UNEXPECTED, export_job_build, export_job_fail

    try:
        return export_job_build(job_id=job_id)
    except SoftTimeLimitExceeded:
        export_job_fail(job_id=job_id, error=ERROR_TOO_LONG)
        raise
    except (OperationalError, InterfaceError) as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc
        _fail_quietly(job_id, ERROR_UNEXPECTED)
        raise
    except OSError:
        logger.exception("export job %s: the file could not be written", job_id)
        export_job_fail(job_id=job_id, error=ERROR_STORAGE)
        raise
    except Exception:
        logger.exception("export job %s failed", job_id)
        export_job_fail(job_id=job_id, error=ERROR_UNEXPECTED)
        raise


def _fail_quietly(job_id: int, error: str) -> None:
    # The database may still be down: the dead letter keeps the real cause.
    from django.db import connection

    from .exports import export_job_fail

    try:
        connection.close_if_unusable_or_obsolete()
        export_job_fail(job_id=job_id, error=error)
    except Exception:  # noqa: BLE001
        logger.warning("could not mark export job %s failed", job_id, exc_info=True)
