"""FakeOpenAI behaves like OpenAI's API as the real `openai` SDK sees it. No database."""

import json
import time

import httpx
import openai
import pytest

from tests.fakes.openai_server import ChatAnswer, FakeOpenAI, parse_multipart
from tests.fakes.server import Reply

KEY = "test-key"
MODEL = "gpt-4o-mini"
FIND_SLOTS = {
    "type": "function",
    "function": {
        "name": "find_slots",
        "description": "Free slots for a service on a day.",
        "parameters": {
            "type": "object",
            "properties": {"service_id": {"type": "integer"}, "date": {"type": "string"}},
            "required": ["service_id", "date"],
        },
    },
}
USER = [{"role": "system", "content": "Você é a recepcionista."}, {"role": "user", "content": "Tem horário amanhã?"}]
# The first bytes of an Ogg/Opus voice note: enough for the fake, which does not decode audio.
OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00" + bytes(range(256))


@pytest.fixture
def fake():
    with FakeOpenAI(api_key=KEY) as server:
        yield server


def client(fake: FakeOpenAI, max_retries: int = 0, timeout: float = 5, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url + "/v1", api_key=key, max_retries=max_retries, timeout=timeout)


def chat(fake: FakeOpenAI, messages=USER, tools=None, **kwargs):
    extra = {"tools": tools} if tools else {}
    return client(fake, **kwargs).chat.completions.create(model=MODEL, messages=messages, **extra)


def test_scripted_text_reply(fake):
    fake.script_reply("Tenho às 10h e às 15h.")

    completion = chat(fake)

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == MODEL
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "Tenho às 10h e às 15h."
    assert completion.choices[0].message.tool_calls is None
    assert completion._request_id.startswith("req_")
    assert fake.chat_requests == [{"model": MODEL, "messages": USER}]
    assert fake.last_messages() == USER
    fake.assert_script_used()


def test_tool_call_then_tool_result(fake):
    fake.script_tool_calls([("find_slots", {"service_id": 1, "date": "2025-03-10"})])
    fake.script(lambda body: f"Recebi {len(json.loads(body['messages'][-1]['content']))} horários.")
    sdk = client(fake)

    first = sdk.chat.completions.create(model=MODEL, messages=USER, tools=[FIND_SLOTS])

    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.id.startswith("call_")
    assert len(call.id) == len("call_") + 24
    assert call.function.name == "find_slots"
    assert json.loads(call.function.arguments) == {"service_id": 1, "date": "2025-03-10"}

    follow_up = [
        *USER,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps(["10:00", "15:00"])},
    ]
    second = sdk.chat.completions.create(model=MODEL, messages=follow_up, tools=[FIND_SLOTS])

    assert second.choices[0].message.content == "Recebi 2 horários."
    assert fake.last_messages()[-1] == {"role": "tool", "tool_call_id": call.id, "content": '["10:00", "15:00"]'}
    assert fake.last_messages()[2]["tool_calls"][0]["id"] == call.id
    fake.assert_script_used()


def test_several_tool_calls_and_raw_arguments(fake):
    fake.script_tool_calls([("find_slots", {"service_id": 1, "date": "x"}), ("find_slots", '{"service_id": ')])

    calls = chat(fake, tools=[FIND_SLOTS]).choices[0].message.tool_calls

    assert len(calls) == 2
    assert calls[0].id != calls[1].id
    assert calls[1].function.arguments == '{"service_id": '  # broken JSON, verbatim


def test_usage_is_deterministic_and_cached_tokens_settable(fake):
    fake.script_reply("abcdefgh")
    fake.script_reply("abcdefgh", cached_tokens=1024)
    fake.script_reply("x", prompt_tokens=5000, completion_tokens=7)

    first = chat(fake, tools=[FIND_SLOTS]).usage
    second = chat(fake, tools=[FIND_SLOTS]).usage
    fake.cached_tokens = 3
    third = chat(fake).usage

    assert first.completion_tokens == 2  # 8 characters / 4
    assert first.prompt_tokens > 50
    assert first.total_tokens == first.prompt_tokens + first.completion_tokens
    assert first.prompt_tokens_details.cached_tokens == 0
    assert second.prompt_tokens == max(first.prompt_tokens, 1024)
    assert second.prompt_tokens_details.cached_tokens == 1024
    assert (third.prompt_tokens, third.completion_tokens, third.total_tokens) == (5000, 7, 5007)
    assert third.prompt_tokens_details.cached_tokens == 3


def test_wrong_or_missing_key_is_authentication_error(fake):
    fake.script_reply("never sent")

    with pytest.raises(openai.AuthenticationError) as wrong:
        chat(fake, key="sk-wrong-key-123")
    assert wrong.value.code == "invalid_api_key"
    assert wrong.value.body["type"] == "invalid_request_error"
    assert set(wrong.value.body) == {"message", "type", "param", "code"}

    response = httpx.post(fake.base_url + "/v1/chat/completions", json={"model": MODEL, "messages": USER})
    assert response.status_code == 401
    assert "didn't provide an API key" in response.json()["error"]["message"]
    assert fake.pending_script() == 1  # refused requests use no script


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": USER}, "you must provide a model parameter"),
        ({"model": MODEL}, "Missing required parameter: 'messages'"),
        ({"model": MODEL, "messages": []}, "empty array"),
        ({"model": MODEL, "messages": [{"role": "robot", "content": "x"}]}, "Invalid value: 'robot'"),
        ({"model": MODEL, "messages": [{"role": "user"}]}, "'messages[0].content'"),
        ({"model": MODEL, "messages": USER, "stream": True}, "streaming"),
        ({"model": MODEL, "messages": USER, "tools": [{"type": "web"}]}, "Invalid value: 'web'"),
        ({"model": MODEL, "messages": USER, "tools": [{"type": "function", "function": {}}]}, "function.name"),
        (
            {"model": MODEL, "messages": USER, "tools": [{"type": "function", "function": {"name": "a b"}}]},
            "does not match pattern",
        ),
        (
            {
                "model": MODEL,
                "messages": USER,
                "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}],
            },
            "Invalid schema for function 'f'",
        ),
        ({"model": MODEL, "messages": USER, "tool_choice": "auto"}, "only allowed when 'tools' are specified"),
        (
            {"model": MODEL, "messages": [*USER, {"role": "tool", "tool_call_id": "call_1", "content": "[]"}]},
            "must be a response to a preceeding message with 'tool_calls'",
        ),
        (
            {
                "model": MODEL,
                "messages": [
                    *USER,
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                        ],
                    },
                    {"role": "user", "content": "e aí?"},
                ],
            },
            "did not have response messages: call_1",
        ),
    ],
)
def test_invalid_bodies_are_bad_requests(fake, body, message):
    fake.script_reply("unused")
    sdk = client(fake)

    with pytest.raises(openai.BadRequestError) as error:
        sdk.post("/chat/completions", body=body, cast_to=object)

    assert message in error.value.message
    assert set(error.value.body) == {"message", "type", "param", "code"}
    assert fake.pending_script() == 1


def test_empty_script_is_a_500_the_sdk_does_not_retry(fake):
    with pytest.raises(openai.InternalServerError) as error:
        chat(fake, max_retries=2)

    assert "no scripted chat answer left" in error.value.message
    assert len(fake.chat_requests) == 1
    assert len(fake.script_errors) == 1


def test_default_reply_when_configured():
    with FakeOpenAI(api_key=KEY, default_reply="Resposta padrão.") as fake:
        assert chat(fake).choices[0].message.content == "Resposta padrão."


def test_undeclared_tool_in_script_is_a_script_error(fake):
    fake.script_tool_calls([("cancel_booking", {"id": 3})])

    with pytest.raises(openai.InternalServerError):
        chat(fake, tools=[FIND_SLOTS])
    assert "cancel_booking" in fake.script_errors[0]


def test_script_callable_can_return_a_raw_reply(fake):
    fake.script(lambda body: Reply.json(400, {"error": {"message": "context_length_exceeded", "type": "x"}}))
    fake.script(lambda body: ChatAnswer(content="cortado", finish_reason="length"))

    with pytest.raises(openai.BadRequestError):
        chat(fake)
    assert chat(fake).choices[0].finish_reason == "length"


def test_fail_next_500_without_and_with_retries(fake):
    fake.script_reply("depois da falha")
    fake.fail_next(status=500, path="/v1/chat/completions")

    with pytest.raises(openai.InternalServerError) as error:
        chat(fake)
    assert error.value.body["type"] == "server_error"
    assert error.value.response.headers["retry-after-ms"] == "10"
    assert fake.pending_script() == 1  # the failed request never reached the route

    fake.fail_next(status=500, times=2, path="/v1/chat/completions")
    started = time.monotonic()
    completion = chat(fake, max_retries=2)

    assert time.monotonic() - started < 1  # retry-after-ms: 10 keeps the SDK's backoff short
    assert completion.choices[0].message.content == "depois da falha"
    retries = [r.headers.get("x-stainless-retry-count") for r in fake.requests_to("/chat/completions")]
    assert retries == ["0", "0", "1", "2"]
    assert [r.response_status for r in fake.requests_to("/chat/completions")] == [500, 500, 500, 200]


def test_fail_next_is_per_route(fake):
    fake.script_reply("ok")
    fake.fail_next(status=500, path="/v1/audio/transcriptions")

    assert chat(fake).choices[0].message.content == "ok"
    assert client(fake).models.list().data


def test_rate_limit(fake):
    fake.fail_next(status=429, path="/v1/chat/completions")

    with pytest.raises(openai.RateLimitError) as error:
        chat(fake)

    assert error.value.code == "rate_limit_exceeded"
    assert "Please try again in 10ms" in error.value.message
    assert error.value.response.headers["retry-after-ms"] == "10"

    fake.script_reply("agora sim")
    fake.fail_next(status=429, body={"error": {"message": "custom", "type": "tokens", "param": None, "code": "x"}})
    assert chat(fake, max_retries=1).choices[0].message.content == "agora sim"


def test_delay_is_a_timeout(fake):
    fake.delay_next(2, path="/v1/chat/completions")
    fake.script_reply("tarde demais")

    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        chat(fake, timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_timeout_is_retried_with_the_sdk_backoff(fake):
    fake.delay_next(2, path="/v1/chat/completions")
    fake.script_reply("na segunda tentativa")

    started = time.monotonic()
    completion = chat(fake, timeout=0.5, max_retries=1)

    # 0.5 s timeout + the SDK's own backoff (0.375-0.5 s: no response, so no retry-after-ms) + the retry.
    assert 0.8 < time.monotonic() - started < 2
    assert completion.choices[0].message.content == "na segunda tentativa"
    assert len(fake.chat_requests) == 2


def test_transcription_records_the_upload(fake):
    fake.script_transcription("quero marcar um banho amanhã")
    sdk = client(fake)

    result = sdk.audio.transcriptions.create(model="whisper-1", file=("voice.ogg", OGG, "audio/ogg"), language="pt")

    assert result.text == "quero marcar um banho amanhã"
    upload = fake.transcriptions[-1]
    assert upload.data == OGG
    assert upload.filename == "voice.ogg"
    assert upload.content_type == "audio/ogg"
    assert upload.model == "whisper-1"
    assert upload.language == "pt"
    fake.assert_script_used()


def test_transcription_as_text_and_bad_uploads(fake):
    fake.script_transcription(lambda upload: f"{len(upload.data)} bytes")
    sdk = client(fake)

    text = sdk.audio.transcriptions.create(model="whisper-1", file=("a.ogg", OGG), response_format="text")
    assert text.strip() == f"{len(OGG)} bytes"

    with pytest.raises(openai.BadRequestError, match="Invalid file format"):
        sdk.audio.transcriptions.create(model="whisper-1", file=("voice.bin", OGG))
    with pytest.raises(openai.BadRequestError, match="too short"):
        sdk.audio.transcriptions.create(model="whisper-1", file=("voice.ogg", b""))
    with pytest.raises(openai.InternalServerError, match="no scripted transcription"):
        sdk.audio.transcriptions.create(model="whisper-1", file=("voice.ogg", OGG))


def test_models(fake):
    sdk = client(fake)

    assert "gpt-4o-mini" in [m.id for m in sdk.models.list().data]
    assert sdk.models.retrieve("whisper-1").id == "whisper-1"
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("gpt-0")


def test_check_models():
    with FakeOpenAI(api_key=KEY, check_models=True, models=["my-model"]) as fake:
        fake.script_reply("ok")
        with pytest.raises(openai.NotFoundError, match="does not exist"):
            chat(fake)
        assert client(fake).chat.completions.create(model="my-model", messages=USER).choices[0].message.content


def test_parse_multipart_is_byte_exact():
    payload = b"\r\n--not-the-boundary\r\n\x00\xff" + OGG
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="model"\r\n\r\n'
        b"whisper-1\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="v.ogg"\r\n'
        b"Content-Type: audio/ogg\r\n\r\n" + payload + b"\r\n--XyZ--\r\n"
    )

    parts = parse_multipart(body, "multipart/form-data; boundary=XyZ")

    assert [(p.name, p.filename, p.content_type) for p in parts] == [
        ("model", None, None),
        ("file", "v.ogg", "audio/ogg"),
    ]
    assert parts[0].data == b"whisper-1"
    assert parts[1].data == payload
