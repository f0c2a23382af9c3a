"""Fast schema creation: new shops are copies of a migrated template schema.

`schema_create_from_template` replays a `pg_dump` of the template (structure
plus its few rows: migration history, content types, permissions) under the
new schema's name, inside the caller's transaction. bench/provisioning.py
measures it against running the migrations, which `schema_create_by_migrating`
still does (for the template itself and for the comparison).
"""

import hashlib
import re

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import app_labels, schema_context, schema_exists

from .pg import PgToolError, pg_run

_dump_cache: dict[str, str] = {}
_SESSION_SETTING = re.compile(r"^(SET |SELECT pg_catalog\.set_config|\\|--)")


class TemplateSchemaError(RuntimeError):
    pass


def _quote(schema_name: str) -> str:
    return connection.ops.quote_name(schema_name)


def tenant_app_labels() -> set[str]:
    return set(app_labels(settings.TENANT_APPS))


def tenant_migrations_on_disk() -> set[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    tenant_apps = tenant_app_labels()
    return {key for key in loader.disk_migrations if key[0] in tenant_apps}


def applied_migrations(schema_name: str) -> set[tuple[str, str]]:
    if not schema_exists(schema_name):
        return set()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {_quote(schema_name)}.django_migrations")  # noqa: S608
        return set(cursor.fetchall())


def schema_create_by_migrating(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema_name)}")
    call_command("migrate_schemas", schema_name=schema_name, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def template_schema_ensure_current() -> str:
    """Create or migrate the template so it holds every tenant migration on disk."""
    template = settings.OXY_TEMPLATE_SCHEMA
    if not tenant_migrations_on_disk() <= applied_migrations(template):
        schema_create_by_migrating(template)
    return template


def _template_dump(template: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), max(id) FROM {_quote(template)}.django_migrations")  # noqa: S608
        fingerprint = hashlib.sha256(repr(cursor.fetchone()).encode()).hexdigest()
    if fingerprint not in _dump_cache:
        _dump_cache.clear()
        _dump_cache[fingerprint] = _pg_dump_schema(template)
    return _dump_cache[fingerprint]


def _pg_dump_schema(schema_name: str) -> str:
    try:
        dump = pg_run("pg_dump", "--schema", schema_name, "--inserts", "--no-owner", "--no-privileges", "--no-comments")
    except PgToolError as exc:
        raise TemplateSchemaError(f"dump of {schema_name}: {exc}") from exc
    statements = [line for line in dump.splitlines() if not _SESSION_SETTING.match(line)]
    return "\n".join(statements)


def schema_create_from_template(schema_name: str) -> None:
    """Create `schema_name` as a copy of the (current) template schema.

    Runs in the caller's transaction, so a failure later in provisioning
    leaves no schema behind.
    """
    template = template_schema_ensure_current()
    sql = _template_dump(template)
    # Every name in the dump is qualified with the template's schema.
    sql = re.sub(rf"\b{re.escape(template)}\b", _quote(schema_name), sql)
    with connection.cursor() as cursor:
        cursor.execute(sql)
    with schema_context(schema_name):
        missing = tenant_migrations_on_disk() - applied_migrations(schema_name)
    if missing:
        raise TemplateSchemaError(f"schema {schema_name} is missing migrations: {sorted(missing)[:3]}")
