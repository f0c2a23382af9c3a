"""PostgreSQL dropping every connection of the processes under test (what
a database restart looks like from the client's side; the shared cluster
itself is not restarted): web and worker recover without a restart."""

import threading

from django.db import connection

from tests.conftest import wait_until
from tests.reliability.conftest import answers, customer_message, customer_number, post_webhook, replies_by_customer

# The production setting: connections come from a pool, which then holds
# dead ones. The processes name their connections (libpq reads PGAPPNAME) so
# that only theirs are dropped, never those of the test run itself.
UNDER_TEST = "oxy-under-test"
POOLED = {"DB_POOL_MAX_SIZE": "4", "PGAPPNAME": UNDER_TEST}


def terminate_other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [UNDER_TEST],
        )
        return cursor.fetchone()[0]


def delivered(base_url: str, route, body: dict) -> bool:
    """Deliver like a provider does: again until it is accepted."""

    def accepted() -> bool:
        try:
            return post_webhook(base_url, route, body) == 200
        except Exception:  # noqa: BLE001 - a dropped request is retried like any failure
            return False

    return wait_until(accepted, timeout=20, interval=0.3)


def test_given_every_database_connection_dropped_mid_traffic_then_web_and_worker_serve_again(
    committed_alpha, committed_channel, evolution_server, stack
):
    # given a web server and a worker that have answered a customer
    stack.web(**POOLED)
    stack.worker(**POOLED)
    assert delivered(stack.base_url, committed_channel, customer_message(customer=1, text="Oi", message_id="PG1"))
    assert wait_until(lambda: replies_by_customer(evolution_server) == {customer_number(1): 1}, timeout=30)

    # when the database drops all their connections while customers write
    accepted: list[bool] = []  # an assert in the thread would only warn: the test checks the results

    def traffic() -> None:
        for customer in (2, 3, 4):
            body = customer_message(customer=customer, text="Bom dia!", message_id=f"PG{customer}")
            accepted.append(delivered(stack.base_url, committed_channel, body))

    writing = threading.Thread(target=traffic)
    writing.start()
    assert terminate_other_backends() > 0
    terminate_other_backends()  # again: whatever reconnected meanwhile
    writing.join(timeout=60)
    assert not writing.is_alive()
    assert accepted == [True, True, True]
    assert terminate_other_backends() > 0  # the pools are full of dead connections again

    # then the web says it is ready again, and every customer is answered once
    assert wait_until(lambda: answers(f"{stack.base_url}/health/ready"), timeout=20)
    assert delivered(stack.base_url, committed_channel, customer_message(customer=5, text="Oi!", message_id="PG5"))
    everyone = {customer_number(customer): 1 for customer in range(1, 6)}
    assert wait_until(lambda: replies_by_customer(evolution_server) == everyone, timeout=40), replies_by_customer(
        evolution_server
    )
