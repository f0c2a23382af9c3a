"""No route of the shop host lets one shop see or change another's data.

Every route of oxy/urls_tenant.py (dashboard pages, media, admin, API,
included urlconfs alike), with beta's rows in its path, is called with GET,
POST and DELETE (PUT and PATCH on the API too):
- on beta's host with alpha's owner session and with alpha's API key:
  refused (401, 403, 404, 405 or a redirect to sign in) unless the page is
  public by design, and never a beta row in the answer;
- on alpha's host with alpha's credentials: beta's ids are not found there.
After every route, beta's tables are compared with what they were."""

import asyncio

import pytest
from django.http import HttpResponse
from django.test import Client

from oxy.asgi import application
from tests.conftest import ALPHA, BETA, login
from tests.fixtures.dashboard import api_key_for, dashboard_socket
from tests.reliability.sweep_support import (
    MARK,
    Route,
    beta_fingerprint,
    beta_world,
    route_url,
    tenant_routes,
    websocket_routes,
)

ROUTES = tenant_routes()
# Open to anyone by design: they show no shop data (sign-in, language, API description).
PUBLIC = {"set_language", "login", "logout", "jsi18n", "api-schema", "api-docs"}
LOGIN_PAGES = ("/login/", "/admin/login/")


def methods(route: Route) -> tuple[str, ...]:
    return ("get", "post", "put", "patch", "delete") if route.path.startswith("api/") else ("get", "post", "delete")


def call(client: Client, method: str, route: Route, url: str) -> tuple[HttpResponse, str]:
    """The response and everything it shows (body, streamed body, redirect target)."""
    if method == "get":
        response = client.get(url)
    elif route.path.startswith("api/"):
        response = getattr(client, method)(url, "{}", content_type="application/json")
    else:
        response = getattr(client, method)(url, {})
    # Reading a streamed body to its end closes the response, as the test client expects.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode(errors="replace") + response.get("Location", "")


def _refused(response: HttpResponse) -> bool:
    if response.status_code in {401, 403, 404, 405}:
        return True
    return response.status_code == 302 and response["Location"].startswith(LOGIN_PAGES)


@pytest.fixture
def world(alpha, beta, alpha_key):
    # After alpha's key: beta's rows are checked against every row alpha has.
    return beta_world(beta, alpha)


@pytest.fixture
def alpha_key(alpha) -> str:
    return api_key_for(alpha, role="manager", name="Alpha ERP")


def test_every_route_parameter_has_a_beta_value(world):
    # given every route of the shop host; then each one's path can be filled with beta's rows
    urls = {str(route): route_url(route, world)[0] for route in ROUTES}

    assert all("<" not in url for url in urls.values()), urls
    assert len(ROUTES) > 200  # dashboard, admin and API all walked


def test_alphas_session_and_key_get_nothing_of_beta_on_betas_host(alpha, beta, world, alpha_key):
    # given alpha's owner session and alpha's manager API key, presented on beta's host
    session = login(Client(HTTP_HOST=BETA.host), alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)
    key = Client(HTTP_HOST=BETA.host, HTTP_AUTHORIZATION=f"Api-Key {alpha_key}")
    # (both work on alpha's own host: the control; the sweep posts to logout/ later)
    assert session.get("/customers/", HTTP_HOST=ALPHA.host).status_code == 200
    assert key.get("/api/v1/customers/", HTTP_HOST=ALPHA.host).status_code == 200

    # when each calls every route with every method
    offenders = _sweep(
        beta, [(route, route_url(route, world)[0]) for route in ROUTES], session, key,
        refused=lambda route, url, response: route.name in PUBLIC or _refused(response), expected="refused",
    )  # fmt: skip

    # then every call was refused, showed nothing of beta and changed nothing in it
    assert offenders == [], "\n".join(offenders)


def test_betas_ids_are_not_found_on_alphas_host(alpha, beta, world, alpha_key):
    # given alpha's owner session and alpha's API key on alpha's own host
    session = login(Client(HTTP_HOST=ALPHA.host), alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)
    key = Client(HTTP_HOST=ALPHA.host, HTTP_AUTHORIZATION=f"Api-Key {alpha_key}")
    naming_beta = [(route, url) for route in ROUTES for url, names in [route_url(route, world)] if names]

    # when each calls every route whose path names one of beta's rows
    offenders = _sweep(beta, naming_beta, session, key, refused=_not_found, expected="a 404")

    # then beta's rows do not exist there, and beta is unchanged
    assert len(naming_beta) > 100
    assert offenders == [], "\n".join(offenders)


def _sweep(beta, calls, session: Client, key: Client, *, refused, expected: str) -> list[str]:
    """Each (route, url) with each of its methods, as the session and as the
    key: what showed beta's data, was not refused, or changed beta."""
    offenders = []
    for route, url in calls:
        before = beta_fingerprint(beta)
        for method in methods(route):
            for who, client in (("alpha session", session), ("alpha key", key)):
                response, shown = call(client, method, route, url)
                if MARK in shown:
                    offenders.append(f"{method.upper()} {url} ({who}): {response.status_code} shows beta's data")
                elif not refused(route, url, response):
                    offenders.append(f"{method.upper()} {url} ({who}): {response.status_code}, not {expected}")
        if (changed := _changed(before, beta_fingerprint(beta))) != []:
            offenders.append(f"{url}: changed beta's {', '.join(changed)}")
    return offenders


def _not_found(route: Route, url: str, response: HttpResponse) -> bool:
    # Besides 404: 405 (not the view's method) and refusals (an API key on a page, a session without the role).
    if _refused(response):
        return True
    # The admin sends a missing object to its index, and an object's bare URL to its change page.
    return (
        route.path.startswith("admin/")
        and response.status_code == 302
        and response["Location"]
        in {
            "/admin/",
            f"{url}change/",
        }
    )


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))


@pytest.mark.parametrize("path", websocket_routes(application))
def test_alphas_session_opens_no_socket_on_betas_host(owner_sessions, path):
    async def connects(host: str) -> tuple[bool, int | None]:
        communicator = dashboard_socket(host, owner_sessions["alpha"], path=path)
        connected, code = await communicator.connect()
        if connected:
            await communicator.disconnect()
        return connected, code

    # given alpha's owner session; when it opens the socket on alpha's host (the control) and on beta's
    # then only alpha's host accepts it
    assert asyncio.run(connects(ALPHA.host)) == (True, None)
    assert asyncio.run(connects(BETA.host)) == (False, 4403)
