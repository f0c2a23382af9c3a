"""Test fakes of the WhatsApp providers Oxy talks to: loopback HTTP servers.

* `FakeEvolution` (evolution.py): Evolution API v2.3.7 REST + its webhooks.
* `FakeCloudApi` (cloud.py): Meta's Graph API for the WhatsApp Cloud API,
  plus helpers to load, build and sign Cloud webhook bodies.
* `FakeOpenAI` (openai_server.py): an OpenAI-compatible API (chat completions
  with tool calls, audio transcriptions, models), scripted per test.
* `FakeServer` (server.py): the base they all run on (request log, scripted
  failures, delays and disconnects).

Each is a context manager: `with FakeEvolution() as fake:` and point Oxy at
`fake.base_url`. They need no database.
"""

from tests.fakes.cloud import FakeCloudApi, fixture_signature, load_fixture, signed_webhook
from tests.fakes.evolution import FakeEvolution, load_evolution_fixture
from tests.fakes.openai_server import ChatAnswer, FakeOpenAI
from tests.fakes.server import FakeServer, RecordedRequest, Reply, django_client_transport, route

__all__ = [
    "ChatAnswer",
    "FakeCloudApi",
    "FakeEvolution",
    "FakeOpenAI",
    "FakeServer",
    "RecordedRequest",
    "Reply",
    "django_client_transport",
    "fixture_signature",
    "load_evolution_fixture",
    "load_fixture",
    "route",
    "signed_webhook",
]
