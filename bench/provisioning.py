"""Provisioning benchmark: template clone vs running migrations.

    .venv/bin/python bench/provisioning.py [--n 5] [--noop-schemas 100]

Provisions N shops with the production path (schema cloned from the
template) and N with the schema made by migrations, in the same run and
database (whole provisioning, and the schema step alone: the rest, mostly
hashing and verifying the owner's password, is the same in both), then
times a `migrate_schemas` with nothing to do over the given number of
schemas. Prints one JSON line; every shop it made is dropped.
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxy.settings")
os.environ.setdefault("DEBUG", "false")  # measure what production runs

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from tenants import services  # noqa: E402
from tenants.models import Organization  # noqa: E402
from tenants.platform import platform_init  # noqa: E402
from tenants.schema_template import schema_create_by_migrating, schema_create_from_template  # noqa: E402

schema_step_seconds: list[float] = []


def timed_step(create_schema):
    def wrapper(schema_name: str) -> None:
        started = time.perf_counter()
        create_schema(schema_name)
        schema_step_seconds.append(time.perf_counter() - started)

    return wrapper


def provision_timed(prefix: str) -> float:
    slug = f"{prefix}{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    services.organization_provision(
        name=f"Bench {slug}",
        slug=slug,
        owner_email=f"owner@{slug}.test",
        owner_phone="+5511987654321",
        created_by_name="bench",
        created_by_email="bench@oxy.dev",
    )
    return time.perf_counter() - started


def drop_bench_shops(prefix: str) -> None:
    for organization in Organization.objects.filter(slug__startswith=prefix):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{organization.schema_name}" CASCADE')
        organization.domains.all().delete()
        organization.delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--noop-schemas", type=int, default=100)
    args = parser.parse_args()
    platform_init()
    prefix = "bench-"
    try:
        provision_timed(prefix)  # warm-up: imports, template dump cache
        with mock.patch.object(services, "schema_create_from_template", timed_step(schema_create_from_template)):
            clone = [provision_timed(prefix) for _ in range(args.n)]
        clone_schema, schema_step_seconds[:] = list(schema_step_seconds), []
        with mock.patch.object(services, "schema_create_from_template", timed_step(schema_create_by_migrating)):
            migrate = [provision_timed(prefix) for _ in range(args.n)]
        migrate_schema = list(schema_step_seconds)

        existing = Organization.objects.exclude(schema_name="public").count()
        for _ in range(max(0, args.noop_schemas - existing)):
            provision_timed(prefix)
        schemas = Organization.objects.exclude(schema_name="public").count()
        started = time.perf_counter()
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
        noop_per_schema = (time.perf_counter() - started) / schemas
    finally:
        drop_bench_shops(prefix)

    clone_median, migrate_median = statistics.median(clone), statistics.median(migrate)
    print(
        json.dumps(
            {
                "bench": "provisioning",
                "n": args.n,
                "clone_median_s": round(clone_median, 3),
                "migrate_median_s": round(migrate_median, 3),
                "speedup": round(migrate_median / clone_median, 2),
                "clone_schema_step_median_s": round(statistics.median(clone_schema), 3),
                "migrate_schema_step_median_s": round(statistics.median(migrate_schema), 3),
                "noop_migrate_schemas": schemas,
                "noop_migrate_s_per_schema": round(noop_per_schema, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
