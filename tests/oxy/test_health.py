import pytest
from django.db import connection
from django.test import Client, override_settings

from tenants.models import DeadLetter


@pytest.fixture
def lb_client() -> Client:
    # Load balancers probe by IP, with no shop host.
    return Client(HTTP_HOST="10.0.0.7")


@pytest.mark.parametrize("path", ["/health", "/healthz", "/health/"])
def test_liveness_answers_on_any_host(db, lb_client, path):
    response = lb_client.get(path)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_database_and_redis(db, lb_client):
    body = lb_client.get("/health/ready").json()

    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"]
    assert body["checks"]["redis"]["ok"]


def test_ready_is_503_when_redis_is_unreachable(db, lb_client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = lb_client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}


def test_queues_reports_each_queue_and_dead_letters(db, lb_client):
    DeadLetter.objects.create(task_id="t-1", task_name="x", schema_name="shop_alpha", exception="boom")

    body = lb_client.get("/health/queues").json()

    queues = body["checks"]["queues"]
    assert set(queues["queues"]) == {"inbound", "agents", "outbound", "scheduled", "campaigns", "default"}
    assert queues["dead_letters"] == 1


def test_deep_is_ok_when_everything_is_in_place(db, celery_worker, lb_client):
    response = lb_client.get("/health/deep")

    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["migrations"] == {"ok": True, "pending": {}}
    assert body["checks"]["environment"] == {"ok": True, "environment": "test"}
    assert body["checks"]["workers"]["ok"]


def test_deep_refuses_when_the_database_belongs_to_another_environment(db, celery_worker, lb_client):
    with override_settings(APP_ENV="production"):
        response = lb_client.get("/health/deep")

    assert response.status_code == 503
    assert response.json()["checks"]["environment"] == {
        "ok": False,
        "error": "database belongs to 'test' but APP_ENV is 'production'",
    }


def test_deep_lists_pending_migrations_per_schema(db, celery_worker, lb_client):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM shop_beta.django_migrations WHERE app = 'shop' AND name = '0001_initial'")

    response = lb_client.get("/health/deep")

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["pending"] == {"shop_beta": ["shop.0001_initial"]}
