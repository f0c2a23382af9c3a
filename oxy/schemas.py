"""Work that must run in the schema it was asked from."""

from collections.abc import Callable

from django.db import connection, transaction
from django_tenants.utils import schema_context


def on_commit_in_this_schema(func: Callable[[], object]) -> None:
    """`transaction.on_commit`, run in the schema current now. Shop work done
    inside `tenant_context` within a public transaction (the inbox) commits
    after the context has ended: without this, its tasks would be queued for
    the public schema and its dashboard events sent to no shop."""
    schema = connection.schema_name

    def run() -> None:
        with schema_context(schema):
            func()

    transaction.on_commit(run)
