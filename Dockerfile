FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# pg_dump clones new shops from the template schema; pg_dump/pg_restore back
# up and restore shops (manage.py backup_tenant / restore_tenant, the worker).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SETTINGS_MODULE=oxy.settings SECRET_KEY=build python manage.py collectstatic --noinput -v0 \
    && useradd --create-home oxy \
    && mkdir -p /app/backups && chown oxy /app/backups
USER oxy

EXPOSE 8000
# RUN_MODE=web|worker|beat chooses the process.
CMD ["python", "-m", "oxy"]
