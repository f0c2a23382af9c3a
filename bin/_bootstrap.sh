# Shared by bin/run and bin/test: make the virtualenv, install requirements
# when they change, and make sure PostgreSQL and Redis answer (starting them
# when they are installed here but down). Sourced, not run.

say() { printf 'oxy: %s\n' "$*"; }
die() { printf 'oxy: %s\n' "$*" >&2; exit 1; }

python_ensure() {
  local python=${PYTHON:-python3}
  command -v "$python" >/dev/null || die "Python 3.11+ is needed (python3 not found)"
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11+ is needed ($("$python" --version))"
  if [ ! -x .venv/bin/python ]; then
    say "creating the virtualenv in .venv"
    "$python" -m venv .venv || die "could not create .venv (Debian: apt-get install python3-venv)"
  fi
  local wanted; wanted=$(sha256sum requirements.txt | cut -d' ' -f1)
  if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$wanted" ]; then
    say "installing requirements (first run takes a minute)"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r requirements.txt || die "pip install -r requirements.txt failed"
    echo "$wanted" > .venv/.requirements.sha256
  fi
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

postgres_ensure() {
  port_open 127.0.0.1 5432 && return 0
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    say "PostgreSQL is down; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
    for _ in $(seq 1 30); do port_open 127.0.0.1 5432 && break; sleep 0.5; done
  fi
  port_open 127.0.0.1 5432 || die "PostgreSQL is not running on 127.0.0.1:5432 and could not be started: install PostgreSQL 15 (Debian: apt-get install postgresql) with trust auth for user postgres, or set DATABASE_URL"
  command -v pg_dump >/dev/null || die "pg_dump is missing (Debian: apt-get install postgresql-client): new shops are cloned with it"
}

redis_ensure() {
  port_open 127.0.0.1 6379 && return 0
  if command -v redis-server >/dev/null; then
    say "Redis is down; starting it"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 1 30); do port_open 127.0.0.1 6379 && break; sleep 0.2; done
  fi
  port_open 127.0.0.1 6379 || die "Redis is not running on 127.0.0.1:6379 and could not be started: install it (Debian: apt-get install redis-server)"
}

# The end-to-end tests drive Debian's Chromium (Playwright's own download
# needs the internet).
chromium_ensure() {
  [ -x /usr/bin/chromium ] && return 0
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "installing Debian's chromium for the browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
  fi
  [ -x /usr/bin/chromium ] || die "the browser tests need Chromium at /usr/bin/chromium (Debian: apt-get install chromium)"
}

bootstrap() {
  python_ensure
  postgres_ensure
  redis_ensure
}
