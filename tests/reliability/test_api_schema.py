"""The shop API keeps its OpenAPI contract under generated input.

Schemathesis reads the schema the API serves on alpha's host
(drf-spectacular) and calls every operation in-process with alpha's manager
API key: whatever it sends, the API never answers 5xx, answers only the
statuses the schema documents, with the bodies it documents."""

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance
from schemathesis.config import SchemathesisConfig

from tests.conftest import ALPHA
from tests.fixtures.dashboard import api_key_for

BASE_URL = f"http://{ALPHA.host}"
# Every status answered is documented, and every body matches its documented schema.
CONFORMANCE = [status_code_conformance, response_schema_conformance]


def gateway_unreachable(response) -> bool:
    """The one 5xx by design: 502 when a WhatsApp provider's gateway cannot be
    reached (none runs here; creating an Evolution channel calls it)."""
    return response.status_code == 502 and response.json().get("code") == "provider_unavailable"


CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20300304,  # with "deterministic", the same cases on every run (CI)
        "generation": {"deterministic": True, "max-examples": 15, "mode": "all"},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)


@pytest.fixture
def wsgi_app():
    """Django's own WSGI handler, inside the test's transaction: the
    handler's signals would otherwise close the connection mid-test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def manager_key(alpha) -> str:
    return api_key_for(alpha, role="manager", name="Schemathesis")


def served_schema() -> dict:
    """What /api/schema/ serves on a shop's host (built without a request:
    test collection has no database to resolve the host with)."""
    generated = SchemaGenerator(urlconf="oxy.urls_tenant").get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.openapi.from_dict(served_schema(), config=CONFIG).include(path_regex="^/api/v1/")


def test_the_schema_the_api_serves_is_the_one_tested(alpha, alpha_client):
    response = alpha_client.get("/api/schema/?format=json")

    assert response.status_code == 200, response.content
    assert response.json() == served_schema()


@schema.parametrize()
# Every example of one operation shares the test's transaction and key: deliberate.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_answers_every_generated_request_within_its_schema(case, wsgi_app, manager_key):
    # given a case generated from the schema, sent with alpha's manager key on alpha's host
    response = case.call(base_url=BASE_URL, headers={"Authorization": f"Api-Key {manager_key}"}, app=wsgi_app)

    # then no server error (but the documented 502), and the status and body are the documented ones
    checks = CONFORMANCE if gateway_unreachable(response) else [not_a_server_error, *CONFORMANCE]
    case.validate_response(response, checks=checks)
