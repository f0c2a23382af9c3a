"""Health endpoints for load balancers and deploy pipelines.

Served by a middleware in front of tenant resolution, so they answer on any
host (a load balancer probes by IP) and never touch a shop's schema.

- /health, /healthz  the process is alive
- /health/ready      PostgreSQL and Redis answer
- /health/queues     depth of each Celery queue and the dead letters
- /health/deep       ready + migrations applied everywhere + workers answer
                     + the database belongs to this APP_ENV
"""

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_tenants.utils import get_public_schema_name

from oxy.celery import QUEUE_NAMES
from oxy.celery import app as celery_app
from tenants.schema_template import tenant_app_labels

Check = dict[str, object]


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return {"ok": False, "error": type(exc).__name__}


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def check_redis() -> Check:
    try:
        _redis().ping()
        return {"ok": True}
    except redis.RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}


def queue_depths() -> dict[str, int]:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
    # Kombu's Redis transport keeps one list per queue and priority step.
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    depths = {}
    for queue in QUEUE_NAMES:
        keys = [f"{prefix}{queue}", *[f"{prefix}{queue}\x06\x16{step}" for step in (3, 6, 9)]]
        with client.pipeline() as pipe:
            for key in keys:
                pipe.llen(key)
            depths[queue] = sum(pipe.execute())
    return depths


def check_queues() -> Check:
    from tenants.models import DeadLetter

    try:
        depths = queue_depths()
    except redis.RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}
    dead_letters = DeadLetter.objects.filter(replayed_at__isnull=True).count()
    return {"ok": True, "queues": depths, "dead_letters": dead_letters}


def pending_migrations_by_schema() -> dict[str, list[str]]:
    """Migrations on disk that a schema has not applied, for public and every shop."""
    from tenants.models import Organization

    loader = MigrationLoader(None, ignore_no_migrations=True)
    tenant_labels = tenant_app_labels()
    shared_labels = {label.rsplit(".", 1)[-1] for label in settings.SHARED_APPS}
    on_disk = set(loader.disk_migrations)
    public = get_public_schema_name()
    expected = {
        public: {key for key in on_disk if key[0] in shared_labels or key[0] not in tenant_labels},
    }
    tenant_expected = {key for key in on_disk if key[0] in tenant_labels}
    for schema in Organization.objects.exclude(schema_name=public).values_list("schema_name", flat=True):
        expected[schema] = tenant_expected

    # One round trip: every schema's applied migrations in a single query.
    union = " UNION ALL ".join(
        f"SELECT %s, app, name FROM {connection.ops.quote_name(schema)}.django_migrations"  # noqa: S608
        for schema in expected
    )
    applied: dict[str, set[tuple[str, str]]] = {schema: set() for schema in expected}
    with connection.cursor() as cursor:
        cursor.execute(union, list(expected))
        for schema, app_label, name in cursor.fetchall():
            applied[schema].add((app_label, name))
    return {
        schema: sorted(f"{app}.{name}" for app, name in wanted - applied[schema])
        for schema, wanted in expected.items()
        if wanted - applied[schema]
    }


def check_migrations() -> Check:
    pending = pending_migrations_by_schema()
    return {"ok": not pending, "pending": pending}


def check_workers() -> Check:
    try:
        replies = celery_app.control.ping(timeout=1.0)
    except Exception as exc:  # noqa: BLE001 - broker down or unreachable
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": bool(replies), "workers": sorted(name for reply in replies for name in reply)}


def check_environment() -> Check:
    from tenants.models import DeploymentEnvironment

    recorded = DeploymentEnvironment.objects.values_list("name", flat=True).first()
    if recorded is None:
        return {"ok": False, "error": "no environment recorded in the database: run `manage.py platform_init`"}
    if recorded != settings.APP_ENV:
        return {"ok": False, "error": f"database belongs to '{recorded}' but APP_ENV is '{settings.APP_ENV}'"}
    return {"ok": True, "environment": recorded}


def _report(checks: dict[str, Callable[[], Check]]) -> JsonResponse:
    results: dict[str, Check] = {}
    for name, run in checks.items():
        results[name] = run()
        if name in {"database", "redis"} and not results[name]["ok"]:
            break  # the remaining checks need both
    ok = all(result["ok"] for result in results.values())
    return JsonResponse({"status": "ok" if ok else "fail", "checks": results}, status=200 if ok else 503)


def health_live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def health_ready(request: HttpRequest) -> JsonResponse:
    return _report({"database": check_database, "redis": check_redis})


def health_queues(request: HttpRequest) -> JsonResponse:
    return _report({"database": check_database, "redis": check_redis, "queues": check_queues})


def health_deep(request: HttpRequest) -> JsonResponse:
    return _report(
        {
            "database": check_database,
            "redis": check_redis,
            "environment": check_environment,
            "migrations": check_migrations,
            "workers": check_workers,
            "queues": check_queues,
        }
    )


def health_whatsapp(request: HttpRequest) -> JsonResponse:
    """The last channel health check (every shop's connected channels)."""
    from whatsapp.services.health import health_result_last

    last = health_result_last()
    if last is None:
        return JsonResponse({"status": "unknown", "reason": "no health check has run yet"}, status=503)
    failing = [
        {"shop": shop, **channel}
        for shop, channels in last["shops"].items()
        for channel in channels
        if not channel["ok"]
    ]
    body = {"status": "fail" if failing else "ok", "checked_at": last["checked_at"], "failing": failing}
    return JsonResponse(body, status=503 if failing else 200)


HEALTH_VIEWS = {
    "/health": health_live,
    "/healthz": health_live,
    "/health/ready": health_ready,
    "/health/queues": health_queues,
    "/health/deep": health_deep,
    "/health/whatsapp": health_whatsapp,
}


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = HEALTH_VIEWS.get(request.path.rstrip("/") or "/")
        if view is None:
            return self.get_response(request)
        connection.set_schema_to_public()
        return view(request)
