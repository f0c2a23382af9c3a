"""What `python -m oxy dev` does before starting the processes."""

import sys

import psycopg
from psycopg import sql


def _database_ensure(settings_dict: dict) -> None:
    params = {
        "host": settings_dict.get("HOST") or "127.0.0.1",
        "port": settings_dict.get("PORT") or 5432,
        "user": settings_dict.get("USER") or "postgres",
        "password": settings_dict.get("PASSWORD") or None,
        "dbname": "postgres",
        "connect_timeout": 5,
        "autocommit": True,
    }
    try:
        with psycopg.connect(**params) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings_dict["NAME"]]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings_dict["NAME"])))
                print(f"oxy: created database {settings_dict['NAME']}")
    except psycopg.OperationalError as exc:
        sys.exit(f"oxy: PostgreSQL is not reachable at {params['host']}:{params['port']}: {exc}")


def dev_prepare() -> None:
    import django
    from django.conf import settings

    _database_ensure(settings.DATABASES["default"])
    django.setup()
    from django.core.management import CommandError, call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    try:
        call_command("platform_init")
        call_command("ensure_demo_shop")
    except CommandError as exc:
        sys.exit(f"oxy: {exc}")
    print("oxy: starting web (http://localhost:8000/), worker and beat; press Ctrl-C to stop them all")
