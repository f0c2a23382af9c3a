"""The Celery app: tenant-aware (tasks run in the schema they were enqueued
from), with the design's queues, a base task that refuses to run shop work in
the public schema, dead letters after the last retry, and a beat scheduler
that refuses to run twice."""

import logging
import os
import traceback

from celery import signals
from django.db import connection
from kombu import Queue
from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

from oxy import logging as oxy_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxy.settings")

logger = logging.getLogger(__name__)

QUEUE_NAMES = ("inbound", "agents", "outbound", "scheduled", "campaigns", "default")


class PublicSchemaTaskError(RuntimeError):
    """A shop task was about to run in the public schema."""


class OxyTask(TenantTask):
    """Base task.

    A task reads and writes one shop's data unless it says otherwise:
    `public_schema = True` marks the few that work on the platform itself
    (dispatchers, sweepers). Running a shop task in public is a bug (it was
    enqueued outside a tenant context), so it fails loudly instead of
    quietly touching the wrong tables.
    """

    abstract = True
    public_schema = False

    def __call__(self, *args, **kwargs):
        if not self.public_schema and connection.schema_name == "public":
            raise PublicSchemaTaskError(
                f"{self.name} runs in a shop's schema but was enqueued from the public schema; "
                "enqueue it inside tenant_context(organization)"
            )
        return super().__call__(*args, **kwargs)

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        # Called once the task has failed for good (after its last retry).
        from tenants.models import DeadLetter

        try:
            DeadLetter.objects.using("default").get_or_create(
                task_id=task_id,
                defaults={
                    "task_name": self.name,
                    "schema_name": connection.schema_name,
                    "args": list(args),
                    "kwargs": dict(kwargs),
                    "exception": f"{type(exc).__name__}: {exc}",
                    "traceback": "".join(traceback.format_tb(exc.__traceback__))[-8000:],
                },
            )
        except Exception:
            logger.exception("could not record dead letter for %s", task_id)


app = CeleryApp("oxy", task_cls=OxyTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in QUEUE_NAMES]
app.conf.task_default_queue = "default"
app.conf.beat_scheduler = "oxy.beat:SingleBeatScheduler"
app.autodiscover_tasks()


@signals.setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """Connected, so Celery leaves logging alone: Django's LOGGING (JSON,
    redacted, with ids) is already configured by the time a worker starts."""


@signals.before_task_publish.connect
def _carry_request_id(headers: dict | None = None, **kwargs) -> None:
    request_id = oxy_logging.current_request_id()
    if request_id and headers is not None:
        headers.setdefault(oxy_logging.TASK_REQUEST_ID_HEADER, request_id)


@signals.task_prerun.connect
def _bind_task_log_context(task_id: str | None = None, task=None, **kwargs) -> None:
    header = oxy_logging.TASK_REQUEST_ID_HEADER
    request_id = (task.request.headers or {}).get(header) or task.request.get(header)
    task.request.oxy_log_token = oxy_logging.log_context_enter(
        task_id=task_id, task_name=task.name, request_id=request_id
    )


@signals.task_postrun.connect
def _unbind_task_log_context(task=None, **kwargs) -> None:
    token = getattr(task.request, "oxy_log_token", None)
    if token is not None:
        oxy_logging.log_context_exit(token)


@signals.worker_ready.connect
def _log_ready(sender=None, **kwargs) -> None:
    logger.info("worker ready on queues: %s", ", ".join(sorted(app.amqp.queues.consume_from)))
