"""Sign-in lockout on the dashboard and both admin sites: five failures for
one e-mail on one host (or too many from one address) block sign-in for a
while, even with the right password; a success clears the e-mail's count."""

import itertools
import uuid

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django_tenants.utils import tenant_context

from tenants.shop.models import AuditEntry
from tests.conftest import ALPHA, BETA
from tests.fixtures.dashboard import PASSWORD, team_member

LOCKED = "Too many failed sign-in attempts. Sign-in is blocked for 15 minutes; try again later."
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


def _browser(host: str) -> Client:
    # Each test signs in from its own address, so address counts never mix.
    return Client(HTTP_HOST=host, HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=next(_addresses))


def _sign_in(client: Client, email: str, password: str, path: str = "/login/"):
    return client.post(path, {"username": email, "password": password})


@pytest.fixture
def member(alpha):
    return team_member(alpha, role="manager", email=f"m.{uuid.uuid4().hex[:8]}@alpha.test")


def test_five_failures_lock_the_account_even_for_the_right_password(alpha, member):
    browser = _browser(ALPHA.host)

    answers = [_sign_in(browser, member.email, "wrong-password") for _ in range(5)]
    with_right_password = _sign_in(browser, member.email, PASSWORD)

    assert LOCKED not in answers[3].content.decode()
    assert LOCKED in answers[4].content.decode()
    assert with_right_password.status_code == 200
    assert LOCKED in with_right_password.content.decode()
    assert "_auth_user_id" not in browser.session
    with tenant_context(alpha):
        entry = AuditEntry.objects.get(action="login.locked", target=member.email)
    assert entry.data["scope"] == "account"


def test_a_success_clears_the_count(member):
    browser = _browser(ALPHA.host)

    for _ in range(4):
        _sign_in(browser, member.email, "wrong-password")
    assert _sign_in(browser, member.email, PASSWORD).status_code == 302
    browser.logout()
    for _ in range(4):
        _sign_in(browser, member.email, "wrong-password")

    assert _sign_in(browser, member.email, PASSWORD).status_code == 302


def test_the_lock_is_for_one_email_on_one_host(alpha, beta, member):
    browser = _browser(ALPHA.host)
    other = team_member(alpha, role="attendant")
    same_email_in_beta = team_member(beta, role="manager", email=member.email)
    for _ in range(5):
        _sign_in(browser, member.email, "wrong-password")

    assert _sign_in(_browser(ALPHA.host), other.email, PASSWORD).status_code == 302
    assert _sign_in(_browser(BETA.host), same_email_in_beta.email, PASSWORD).status_code == 302


@override_settings(OXY_LOGIN_MAX_FAILURES_PER_ADDRESS=3)
def test_failures_from_one_address_lock_that_address(alpha, member):
    browser = _browser(ALPHA.host)
    for n in range(3):
        _sign_in(browser, f"guess{n}@alpha.test", "wrong-password")

    assert LOCKED in _sign_in(browser, member.email, PASSWORD).content.decode()
    assert _sign_in(_browser(ALPHA.host), member.email, PASSWORD).status_code == 302
    with tenant_context(alpha):
        assert AuditEntry.objects.filter(action="login.locked", data__scope="address").exists()


def test_the_shop_admin_login_locks_too(member):
    browser = _browser(ALPHA.host)
    for _ in range(5):
        _sign_in(browser, member.email, "wrong-password", "/admin/login/")

    refused = _sign_in(browser, member.email, PASSWORD, "/admin/login/")

    assert refused.status_code == 200
    assert LOCKED in refused.content.decode()


def test_the_support_admin_login_locks_too(db):
    email = f"ana.{uuid.uuid4().hex[:8]}@oxy.dev"
    get_user_model().objects.create_superuser(email=email, password="support-password-1")
    browser = _browser(settings.OXY_BASE_DOMAIN)
    assert _sign_in(_browser(settings.OXY_BASE_DOMAIN), email, "support-password-1", "/admin/login/").status_code == 302
    for _ in range(5):
        _sign_in(browser, email, "wrong-password", "/admin/login/")

    refused = _sign_in(browser, email, "support-password-1", "/admin/login/")

    assert LOCKED in refused.content.decode()
