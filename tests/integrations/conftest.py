import pytest

from .fakes import FakeReceiver, FakeSlack


@pytest.fixture
def receiver():
    with FakeReceiver() as fake:
        yield fake


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake
