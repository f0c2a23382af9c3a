"""Security headers on every page, production cookie and HSTS settings, and
CORS only for configured origins and only on the API."""

import pytest
from django.test import Client, override_settings

from tests.conftest import ALPHA
from tests.fixtures.dashboard import PASSWORD, team_member

ORIGIN = "https://site.petshop.example"


@pytest.fixture
def member_email(alpha) -> str:
    return team_member(alpha, role="attendant").email


@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "/api/docs/"])
def test_shop_pages_carry_the_policy(alpha, path):
    response = Client(HTTP_HOST=ALPHA.host).get(path)

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-eval" not in policy
    assert "connect-src 'self'" in policy
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_public_site_carries_the_policy(public_client, db):
    assert "default-src 'self'" in public_client.get("/").headers["Content-Security-Policy"]


def test_the_api_docs_have_no_inline_script(alpha):
    page = Client(HTTP_HOST=ALPHA.host).get("/api/docs/").content.decode()
    assert "<script>" not in page.replace(" ", "")


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True, SECURE_HSTS_SECONDS=31536000,
                   SECURE_HSTS_INCLUDE_SUBDOMAINS=True)  # fmt: skip
def test_production_cookies_are_secure_and_https_is_strict(alpha, member_email):
    client = Client(HTTP_HOST=ALPHA.host)
    page = client.get("/login/", secure=True)
    signed_in = client.post("/login/", {"username": member_email, "password": PASSWORD}, secure=True)

    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.cookies["csrftoken"]["secure"]
    assert page.cookies["csrftoken"]["httponly"]
    assert signed_in.cookies["sessionid"]["secure"]
    assert signed_in.cookies["sessionid"]["httponly"]


@override_settings(CORS_ALLOWED_ORIGINS=[ORIGIN])
def test_an_allowed_origin_may_call_the_api_only(alpha):
    client = Client(HTTP_HOST=ALPHA.host)
    preflight = {"HTTP_ORIGIN": ORIGIN, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"}

    api = client.options("/api/v1/services/", **preflight)
    dashboard = client.options("/inbox/", **preflight)
    stranger = client.options("/api/v1/services/", HTTP_ORIGIN="https://evil.example",
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")  # fmt: skip

    assert api.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in dashboard.headers
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_no_origin_is_allowed_by_default(alpha):
    response = Client(HTTP_HOST=ALPHA.host).get("/api/v1/services/", HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in response.headers
