"""Loopback receivers: a shop's system taking Oxy's webhooks, and a
Slack-compatible incoming webhook."""

from tests.fakes.server import FakeServer, RecordedRequest, Reply, route


class FakeReceiver(FakeServer):
    """Answers 200 to every POST on /hooks/<name>; scripted trouble comes from FakeServer."""

    @route("POST", "/hooks/{name}")
    def hook(self, request: RecordedRequest, name: str) -> Reply:
        return Reply.json(200, {"received": True})

    def url(self, name: str = "oxy") -> str:
        return f"{self.base_url}/hooks/{name}"


class FakeSlack(FakeServer):
    """Slack's incoming webhooks answer a plain "ok"."""

    @route("POST", "/services/{team}/{channel}/{token}")
    def incoming(self, request: RecordedRequest, team: str, channel: str, token: str) -> Reply:
        if not isinstance(request.json, dict) or not request.json.get("text"):
            return Reply(400, b"no_text", content_type="text/plain")
        return Reply(200, b"ok", content_type="text/plain")

    @property
    def url(self) -> str:
        return f"{self.base_url}/services/T000/B000/secret-token"
