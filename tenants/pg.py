"""The PostgreSQL client tools (pg_dump, pg_restore, psql, ...) run against
Django's database. The connection goes in their environment (PGHOST,
PGPASSWORD, ...), never on their command line, so no password shows in `ps`."""

import os
import shutil
import subprocess

from django.db import connection


class PgToolError(RuntimeError):
    """A tool is missing or failed; the message is one line for a human."""


def pg_env() -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "PGHOST": db.get("HOST") or "127.0.0.1",
        "PGPORT": str(db.get("PORT") or 5432),
        "PGUSER": db.get("USER") or "postgres",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": db["NAME"],
    }


def pg_run(tool: str, *args: str) -> str:
    """Run `tool` with `args` (on Django's database unless they name another);
    its standard output."""
    executable = shutil.which(tool)
    if executable is None:
        raise PgToolError(f"{tool} is not installed (Debian: postgresql-client)")
    result = subprocess.run([executable, *args], capture_output=True, text=True, env=pg_env(), check=False)  # noqa: S603
    if result.returncode != 0:
        raise PgToolError(f"{tool} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout
