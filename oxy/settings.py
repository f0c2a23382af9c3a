"""Django settings for Oxy.

Every value comes from the environment (or a local `.env` that `bin/run`
writes on first start); nothing secret is committed. `.env.example` documents
each variable.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

APP_ENV: str = env.str("APP_ENV", default="development")
IS_PRODUCTION = APP_ENV == "production"
DEBUG: bool = env.bool("DEBUG", default=not IS_PRODUCTION)
SECRET_KEY: str = env.str("SECRET_KEY") if IS_PRODUCTION else env.str("SECRET_KEY", default="dev-only-insecure-key")

# Hosts: the base domain is the public site (support admin, webhooks); each
# shop lives on <slug>.<base domain>. Extra public hosts (127.0.0.1 for load
# balancers and the README's health check) resolve to the public schema too.
OXY_BASE_DOMAIN: str = env.str("OXY_BASE_DOMAIN", default="localhost")
OXY_PUBLIC_HOSTS: list[str] = env.list("OXY_PUBLIC_HOSTS", default=["localhost", "127.0.0.1"])
ALLOWED_HOSTS: list[str] = [OXY_BASE_DOMAIN, f".{OXY_BASE_DOMAIN}", *OXY_PUBLIC_HOSTS]
# How a shop's dashboard is reached, printed after provisioning.
OXY_DASHBOARD_URL: str = env.str("OXY_DASHBOARD_URL", default="http://{domain}:8000/")
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "tenants.staff",
    "whatsapp.inbox",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.postgres",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_htmx",
    "corsheaders",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "tenants.staff",
    "tenants.shop",
    "bookings",
    "whatsapp",
    "analytics",
    "agents",
    "tenants.integrations",
]
INSTALLED_APPS = [*SHARED_APPS, *[app for app in TENANT_APPS if app not in SHARED_APPS]]

TENANT_MODEL = "tenants.Organization"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "oxy.urls_public"
ROOT_URLCONF = "oxy.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
TENANT_LIMIT_SET_CALLS = True
# New shops are cloned from this schema (see tenants/schema_template.py); the
# name cannot collide with a shop because shop schemas start with "shop_".
OXY_TEMPLATE_SCHEMA = "oxy_template"

AUTH_USER_MODEL = "staff.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

MIDDLEWARE = [
    # Async-capable like WhiteNoise: first, so every line a request logs
    # (and uvicorn's access line) carries its id.
    "oxy.logging.RequestIdMiddleware",
    # WhiteNoise is async-capable and everything below is sync: keeping it on
    # top means one switch to a thread per request, not a hop at each layer.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "oxy.health.HealthCheckMiddleware",
    "tenants.middleware.OrganizationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "oxy.security.ContentSecurityPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "oxy.wsgi.application"
ASGI_APPLICATION = "oxy.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/oxy")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# Under ASGI every request runs on a fresh thread, so connections come from
# a pool (psycopg_pool) instead of living with threads. django-tenants sets
# the search path again on every connection taken from it.
DATABASES["default"]["CONN_MAX_AGE"] = 0
DB_POOL_MAX_SIZE: int = env.int("DB_POOL_MAX_SIZE", default=8)
if DB_POOL_MAX_SIZE:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": 10,
    }
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL: str = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Every key Oxy writes to Redis starts with this (tests give each run its own).
OXY_REDIS_PREFIX: str = env.str("OXY_REDIS_PREFIX", default="oxy")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Keys start with the schema name, so one shop never reads another's.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "KEY_PREFIX": OXY_REDIS_PREFIX,
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{OXY_REDIS_PREFIX}:channels"},
    }
}

# Celery (oxy/celery.py reads the CELERY_ namespace).
CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_BROKER_TRANSPORT = "oxy.broker:RedisTransport"  # kombu's, publishing cheaper (see the module)
CELERY_RESULT_BACKEND: str = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{OXY_REDIS_PREFIX}:celery:", "socket_connect_timeout": 1}
# A webhook must answer fast even with Redis down (its events wait in PostgreSQL).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{OXY_REDIS_PREFIX}:celery:"}
CELERY_TASK_ALWAYS_EAGER = False
# Results are opt-in per task: creating a result backend costs a Redis
# connection per thread, on the webhook's path.
CELERY_TASK_IGNORE_RESULT = True
# One result backend for all threads (redis-py is thread-safe); a backend per
# thread costs milliseconds on every request thread that enqueues.
CELERY_RESULT_BACKEND_THREAD_SAFE = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TENANT_CACHE_SECONDS = 30
OXY_BEAT_LOCK_TTL_S = 30

# WhatsApp providers. Evolution: one server per deployment (docker-compose
# runs 2.3.7); each channel has its own instance token. Cloud API: each
# channel's access token and app secret are stored (encrypted) with it.
EVOLUTION_API_URL: str = env.str("EVOLUTION_API_URL", default="http://127.0.0.1:8080")
EVOLUTION_API_KEY: str = env.str("EVOLUTION_API_KEY", default="")
WHATSAPP_CLOUD_API_URL: str = env.str("WHATSAPP_CLOUD_API_URL", default="https://graph.facebook.com")
WHATSAPP_CLOUD_APP_SECRET: str = env.str("WHATSAPP_CLOUD_APP_SECRET", default="")
# Where providers reach our webhooks (printed by add_channel).
OXY_PUBLIC_URL: str = env.str("OXY_PUBLIC_URL", default="http://localhost:8000")
# Customer messages within this many seconds get one answer.
OXY_REPLY_DEBOUNCE_S: float = env.float("OXY_REPLY_DEBOUNCE_S", default=3.0)
# Processed raw webhook events are deleted after this many days.
OXY_INBOX_RETENTION_DAYS: int = env.int("OXY_INBOX_RETENTION_DAYS", default=14)
# Daily shop backups (tenants.backups) go here and are kept this many days.
OXY_BACKUP_DIR = env.path("OXY_BACKUP_DIR", default=BASE_DIR / "backups")
OXY_BACKUP_RETENTION_DAYS: int = env.int("OXY_BACKUP_RETENTION_DAYS", default=14)
# A send still `sending` after this many seconds belongs to a dead worker
# (a live one gives up long before: the send task's time limit is 90 s);
# the outbound sweeper, every OXY_OUTBOUND_SWEEP_S, finishes it without
# sending twice.
OXY_OUTBOUND_STALE_S: float = env.float("OXY_OUTBOUND_STALE_S", default=180.0)
OXY_OUTBOUND_SWEEP_S: float = env.float("OXY_OUTBOUND_SWEEP_S", default=60.0)
# A send the provider failed is retried OXY_SEND_MAX_RETRIES times, waiting
# OXY_SEND_RETRY_BASE_S * 2, 4, 8 ... s (capped at 5 min), then marked failed.
OXY_SEND_MAX_RETRIES: int = env.int("OXY_SEND_MAX_RETRIES", default=8)
OXY_SEND_RETRY_BASE_S: float = env.float("OXY_SEND_RETRY_BASE_S", default=1.0)
# Seconds to wait for a WhatsApp provider's answer before trying again.
OXY_PROVIDER_TIMEOUT_S: float = env.float("OXY_PROVIDER_TIMEOUT_S", default=30.0)
# A reply still due this many seconds after its time lost its task (a worker
# died mid-turn; the broker only redelivers after an hour): the reply sweeper,
# every OXY_REPLY_SWEEP_S, queues it again. Longer than a turn's time limit.
OXY_REPLY_STALE_S: float = env.float("OXY_REPLY_STALE_S", default=150.0)
OXY_REPLY_SWEEP_S: float = env.float("OXY_REPLY_SWEEP_S", default=60.0)
# Platform-wide jobs run once, in the public schema; each visits the shops itself.
CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": every_s, "tenant_schemas": ["public"]}
    for name, task, every_s in [
        ("whatsapp-sweep-inbox", "whatsapp.sweep_inbox", 15.0),
        ("whatsapp-health-check", "whatsapp.health_check_all_tenants", 60.0),
        ("whatsapp-sweep-outbound", "whatsapp.sweep_outbound_all_tenants", OXY_OUTBOUND_SWEEP_S),
        ("whatsapp-purge-inbox", "whatsapp.purge_inbox", 6 * 3600.0),
        ("agents-hand-back-idle", "agents.hand_back_idle_all_tenants", 60.0),
        ("agents-sweep-replies", "agents.sweep_replies_all_tenants", OXY_REPLY_SWEEP_S),
        ("agents-owner-notices", "agents.owner_notices_all_tenants", 60.0),
        ("agents-follow-ups", "agents.follow_ups_all_tenants", 60.0),
        ("agents-campaigns", "agents.campaigns_all_tenants", 15.0),
        ("shop-retention", "shop.retention_all_tenants", 3600.0),
        ("tenants-backups", "tenants.backup_all_tenants", 24 * 3600.0),
        ("integrations-sweep-webhooks", "integrations.sweep_webhooks_all_tenants", 30.0),
        ("integrations-alerts", "integrations.alerts_check_all_tenants", 60.0),
    ]
}
# Outbound webhooks to a shop's own systems: each request waits this long.
OXY_WEBHOOK_TIMEOUT_S: float = env.float("OXY_WEBHOOK_TIMEOUT_S", default=10.0)
# Shops' webhook and Slack URLs may point at private addresses only outside
# production (tenants/integrations/addresses.py).
OXY_OUTBOUND_ALLOW_PRIVATE: bool = env.bool("OXY_OUTBOUND_ALLOW_PRIVATE", default=not IS_PRODUCTION)
# Alerts: this many failed jobs of one shop, not replayed, raise one a day.
OXY_ALERT_DEAD_LETTERS: int = env.int("OXY_ALERT_DEAD_LETTERS", default=10)
# E-mail (alerts): e.g. smtp+tls://user:password@host:587; the console by default.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="Oxy <alerts@localhost>")
# Cloud API deliveries carry up to 1,000 updates (about 3 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

# The LLM (any OpenAI-compatible endpoint); a shop may set its own. Without
# a key the offline agent answers (the demo runs that way).
OXY_LLM_BASE_URL: str = env.str("OXY_LLM_BASE_URL", default="https://api.openai.com/v1")
OXY_LLM_API_KEY: str = env.str("OXY_LLM_API_KEY", default="")
OXY_LLM_MODEL: str = env.str("OXY_LLM_MODEL", default="gpt-4o-mini")
OXY_LLM_TIMEOUT_S: float = env.float("OXY_LLM_TIMEOUT_S", default=20.0)
OXY_LLM_MAX_RETRIES: int = env.int("OXY_LLM_MAX_RETRIES", default=2)

# Secrets at rest: Fernet keys, newest first. Adding a key in front and
# running `manage.py rotate_encryption_key` re-encrypts every stored secret.
OXY_ENCRYPTION_KEYS: list[str] = env.list("OXY_ENCRYPTION_KEYS", default=[])

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português (Brasil)"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True

# Media (WhatsApp attachments) are stored per shop: MEDIA_ROOT/<schema>/...
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "oxy" / "static"]
WHITENOISE_USE_FINDERS = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "oxy.openapi.ShopApiSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "oxy.api.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["oxy.api.IsShopStaff"],
    "DEFAULT_PAGINATION_CLASS": "oxy.api.Pagination",
    "EXCEPTION_HANDLER": "oxy.api.api_exception_handler",
    # Both apply: one bucket per API key (or staff member), one per shop.
    "DEFAULT_THROTTLE_CLASSES": ["oxy.api.PerApiKeyThrottle", "oxy.api.PerShopThrottle"],
}
OXY_API_RATE_PER_KEY: str = env.str("OXY_API_RATE_PER_KEY", default="120/min")
OXY_API_RATE_PER_SHOP: str = env.str("OXY_API_RATE_PER_SHOP", default="600/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Oxy shop API",
    "DESCRIPTION": "Customers, pets, services, availability and bookings of one shop (call it on the shop's host).",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"SpeciesEnum": "bookings.models.Species", "PetSizeEnum": "bookings.models.PetSize"},
}

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
# Sign-in lockout (oxy/login.py): this many failures for one e-mail on one
# host, or from one address (offices share one), within the window lock
# sign-in for OXY_LOGIN_LOCKOUT_S.
OXY_LOGIN_MAX_FAILURES: int = env.int("OXY_LOGIN_MAX_FAILURES", default=5)
OXY_LOGIN_MAX_FAILURES_PER_ADDRESS: int = env.int("OXY_LOGIN_MAX_FAILURES_PER_ADDRESS", default=20)
OXY_LOGIN_FAILURE_WINDOW_S: int = env.int("OXY_LOGIN_FAILURE_WINDOW_S", default=15 * 60)
OXY_LOGIN_LOCKOUT_S: int = env.int("OXY_LOGIN_LOCKOUT_S", default=15 * 60)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page, not the cookie
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# oxy/security.py sends it everywhere (the browser tests run under it).
# Scripts only from our files (no inline code, no eval: htmx runs with
# allowEval false). Style attributes are allowed because pages place boxes
# by computed geometry (agenda slots, progress and chart bars); <style>
# elements and inline scripts are not. 'self' covers ws:/wss: to the same host.
OXY_CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])  # fmt: skip
# Browsers may call the API (never the dashboard) from these origins only.
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/"
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# JSON lines in production (for the log pipeline); plain lines elsewhere,
# because people read development logs in a terminal. Both carry the ids and
# both are redacted (oxy/logging.py).
LOG_FORMAT: str = env.str("LOG_FORMAT", default="json" if IS_PRODUCTION else "plain")
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
# Customers' words stay out of logs unless explicitly switched on (debugging).
OXY_LOG_MESSAGE_BODIES: bool = env.bool("OXY_LOG_MESSAGE_BODIES", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "oxy.logging.ContextFilter"}, "redact": {"()": "oxy.logging.RedactingFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(tenant)s] %(name)s rid=%(request_id)s: %(message)s"},
        "json": {"()": "oxy.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["context", "redact"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs each request's full URL at INFO; a shop's webhook and
        # Slack URLs may carry secrets in their paths.
        "httpx": {"level": "WARNING"},
        # Django's default handlers print a second, unformatted copy: only ours.
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": [], "level": "INFO"},
        # uvicorn configures its own handlers before Django starts: take them over.
        **{
            name: {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    },
}
