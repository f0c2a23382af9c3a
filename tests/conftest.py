"""Test harness: the real PostgreSQL and Redis.

Two shops, alpha and beta, are provisioned once per session with the real
provisioning service (committed, outside any test transaction); each test
runs in a transaction that is rolled back. Tests that need another thread or
process to see their data (Celery worker, WebSockets) use `committed_db`.
"""

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import setup_databases, teardown_databases
from django.utils import translation
from django_tenants.utils import tenant_context

from oxy.ttl_cache import ttl_caches_clear
from tenants.models import Organization
from tenants.platform import platform_init
from tenants.services import organization_provision

pytest_plugins = [
    "tests.fixtures.celery",
    "tests.fixtures.bookings",
    "tests.fixtures.whatsapp",
    "tests.fixtures.shop_days",
    "tests.fixtures.dashboard",
]


@dataclass(frozen=True)
class TestShop:
    slug: str
    owner_email: str
    owner_password: str
    owner_phone: str

    @property
    def host(self) -> str:
        return f"{self.slug}.{settings.OXY_BASE_DOMAIN}"


ALPHA = TestShop("alpha", "owner@alpha.test", "alpha-owner-password", "+5511987650001")
BETA = TestShop("beta", "owner@beta.test", "beta-owner-password", "+5521987650002")


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_modify_db_settings, django_db_blocker):
    # Always the test database, even when the only tests selected use
    # `committed_db` (pytest-django would otherwise set none up).
    with django_db_blocker.unblock():
        databases = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        platform_init()
        for shop in (ALPHA, BETA):
            organization_provision(
                name=f"Shop {shop.slug}",
                slug=shop.slug,
                owner_email=shop.owner_email,
                owner_phone=shop.owner_phone,
                created_by_name="Test Harness",
                created_by_email="harness@oxy.test",
                owner_password=shop.owner_password,
            )
    yield
    with django_db_blocker.unblock():
        # Worker and socket threads keep their own connections open.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        teardown_databases(databases, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True)
def _public_schema_between_tests():
    # A request through the test client leaves the connection in the shop's
    # schema; every test starts (and ends) in public, like a fresh request.
    connection.set_schema_to_public()
    ttl_caches_clear()  # hosts and routes a previous test cached
    yield
    connection.set_schema_to_public()
    translation.deactivate()  # a request's language (Accept-Language: en) must not outlive its test


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Database access without a test transaction: what the test writes is
    visible to other threads and processes, and the test cleans it up."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def alpha(db) -> Organization:
    return Organization.objects.get(slug=ALPHA.slug)


@pytest.fixture
def beta(db) -> Organization:
    return Organization.objects.get(slug=BETA.slug)


@pytest.fixture
def committed_alpha(committed_db) -> Organization:
    return Organization.objects.get(slug=ALPHA.slug)


@pytest.fixture
def committed_beta(committed_db) -> Organization:
    return Organization.objects.get(slug=BETA.slug)


@pytest.fixture
def alpha_client() -> Client:
    return Client(HTTP_HOST=ALPHA.host)


@pytest.fixture
def beta_client() -> Client:
    return Client(HTTP_HOST=BETA.host)


@pytest.fixture
def public_client() -> Client:
    return Client(HTTP_HOST=settings.OXY_BASE_DOMAIN)


@pytest.fixture
def support_client(db, public_client) -> Client:
    """Signed in to the public (support) admin as Ana, a platform superuser."""
    get_user_model().objects.create_superuser(email="ana@oxy.dev", password="support-password-1", first_name="Ana")
    assert public_client.login(username="ana@oxy.dev", password="support-password-1")
    return public_client


@pytest.fixture
def owner_sessions(committed_alpha, committed_beta) -> Iterator[dict[str, str]]:
    """A committed login session of each shop's owner, {slug: session key}:
    what a browser's socket presents (sockets read sessions on another thread)."""
    shops = ((committed_alpha, ALPHA), (committed_beta, BETA))
    keys = {shop.slug: session_key_for(organization, email=shop.owner_email) for organization, shop in shops}
    yield keys
    for organization, shop in shops:
        with tenant_context(organization):
            SessionStore(keys[shop.slug]).delete()


def session_key_for(organization: Organization, *, email: str) -> str:
    """A new login session of the shop's member (sessions live in its schema)."""
    with tenant_context(organization):
        user = get_user_model().objects.get(email=email)
        session = SessionStore()
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: user.get_session_auth_hash()})  # fmt: skip
        session.create()
    return session.session_key


def login(client: Client, organization: Organization, *, email: str, password: str) -> Client:
    """Log a test client in to one shop (users and sessions live in its schema)."""
    with tenant_context(organization):
        assert client.login(username=email, password=password), f"login as {email} failed"
    return client


def wait_until(condition, *, timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll until another thread or process has done its part."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
