"""FakeOpenAI: an OpenAI-compatible HTTP server for tests, scripted per test.

Use it with the real `openai` SDK (or anything that speaks the OpenAI REST
shapes) by pointing the base URL at it:

    with FakeOpenAI(api_key="test-key") as fake:
        client = openai.OpenAI(base_url=fake.base_url + "/v1", api_key="test-key", max_retries=0)
        fake.script_reply("Olá! Como posso ajudar?")
        fake.script_tool_calls([("find_slots", {"service_id": 1, "date": "2025-03-10"})])
        fake.script(lambda body: "ok" if body["messages"][-1]["role"] == "tool" else [("x", {})])
        fake.script_transcription("quero marcar um banho amanhã")
        ...                                    # the product talks to the fake
        fake.chat_requests                     # JSON bodies of chat calls, in order
        fake.last_messages()                   # `messages` of the last chat call
        fake.transcriptions[-1].data           # the uploaded audio bytes

Routes (all need `Authorization: Bearer <api_key>`; missing or wrong → 401
`invalid_api_key`, like OpenAI; `api_key=None` accepts any key):

* POST /v1/chat/completions — the body is checked the way OpenAI checks it
  (see `validate_chat`): `model`, non-empty `messages` with known roles and
  content, `tool` messages answering a preceding assistant `tool_calls` id,
  every assistant `tool_calls` id answered before the next non-tool message,
  `tools` of `type: function` with a valid `function.name` and (if given)
  `parameters` being a `type: object` JSON schema, `tool_choice` naming a
  declared tool, no `stream: true` (unsupported), `n` of 1. A bad body → 400 in
  OpenAI's error shape and does not consume the script. A good one takes the
  next scripted answer: text (`finish_reason: "stop"`) or tool calls (`content:
  null`, ids like `call_…`, `arguments` a JSON string, `finish_reason:
  "tool_calls"`). `usage` is deterministic: prompt_tokens = ceil(len(compact
  JSON of messages + tools) / 4), completion_tokens = ceil(len(answer text or
  tool-call JSON) / 4), both at least 1; `prompt_tokens_details.cached_tokens`
  is `fake.cached_tokens` (0) or the per-answer `cached_tokens=` (prompt_tokens
  is raised to at least that).
* POST /v1/audio/transcriptions — multipart/form-data with `file` (its filename
  must end in a format OpenAI accepts, e.g. `.ogg`; empty → 400
  `audio_too_short`; > 25 MiB → 413), `model`, optional `language`, `prompt`,
  `response_format` (`json`, default, → `{"text": …}`; `text` → text/plain).
  Answers the next `script_transcription(...)`; every upload is recorded in
  `fake.transcriptions` (filename, content type, bytes, fields).
* GET /v1/models, GET /v1/models/{id} — `fake.models`.

An empty script is a test bug, so by default the fake answers 500 with a
message saying so and `x-should-retry: false` (the SDK does not retry it) and
notes it in `fake.script_errors`. Pass `default_reply="…"` (chat) or
`default_transcription="…"` to answer that text instead. A scripted tool call
to a function the request did not declare is also a script error (500), unless
`check_tool_names=False`.

Scripted trouble from `FakeServer` works per route (`path=` is a substring of
the request path): `fail_next(500, path="/chat/completions")`,
`fail_next(429, path=...)` (body: OpenAI's `rate_limit_exceeded` error; pass
`body=` to override), `delay_next(2.0)` with a client timeout below it,
`disconnect_next()`. Every 429 and 5xx answer carries `retry-after-ms:
<fake.retry_after_ms>` (10 by default) so the SDK's retries are quick; set
`fake.retry_after_ms = None` to see the SDK's own backoff (0.5 s, 1 s, … up to
8 s, minus up to 25 % jitter). Failed, delayed and retried calls are all in
`fake.requests` / `fake.chat_requests`: a retry shows up as another entry (the
SDK marks it with the `x-stainless-retry-count` header).
"""

from __future__ import annotations

import email.message
import json
import math
import re
import secrets
import string
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from tests.fakes.server import FakeServer, RecordedRequest, Reply, route

CHAT_PATH = "/v1/chat/completions"
TRANSCRIPTIONS_PATH = "/v1/audio/transcriptions"
DEFAULT_API_KEY = "test-key"
DEFAULT_MODELS = (
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1-mini",
    "gpt-4.1",
    "whisper-1",
    "gpt-4o-mini-transcribe",
    "gpt-4o-transcribe",
)
MESSAGE_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
AUDIO_FORMATS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
MAX_AUDIO_BYTES = 25 * 1024 * 1024
FUNCTION_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ALNUM = string.ascii_letters + string.digits


def openai_error(
    message: str, type_: str = "invalid_request_error", param: str | None = None, code: Any = None
) -> dict:
    """OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _random_id(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_tool_call_id() -> str:
    """`call_` + 24 letters/digits, like OpenAI's tool call ids."""
    return _random_id("call_", 24)


def estimate_tokens(text: str) -> int:
    """The fake's deterministic token count: ~4 characters a token, at least 1."""
    return max(1, math.ceil(len(text) / 4))


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# -- scripted answers ------------------------------------------------------


@dataclass
class ChatAnswer:
    """One scripted chat answer: text, or tool calls (`[(name, args dict or raw JSON string)]`).

    `prompt_tokens` / `completion_tokens` / `cached_tokens` override the usage
    the fake would compute; `finish_reason` defaults to "tool_calls" when there
    are tool calls, else "stop".
    """

    content: str | None = None
    tool_calls: list[tuple[str, Any]] | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None


ScriptResult = str | list[tuple[str, Any]] | ChatAnswer | Reply
ChatScript = Callable[[dict], ScriptResult]


@dataclass
class Upload:
    """One multipart upload to /v1/audio/transcriptions."""

    filename: str | None
    content_type: str | None
    data: bytes
    fields: dict[str, str] = field(default_factory=dict)  # the other form fields (model, language, …)

    @property
    def model(self) -> str | None:
        return self.fields.get("model")

    @property
    def language(self) -> str | None:
        return self.fields.get("language")


@dataclass
class FormPart:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(body: bytes, content_type: str) -> list[FormPart]:
    """Split a multipart/form-data body into its parts, byte-exact (standard library only).

    Raises ValueError when the content type has no boundary or a part is malformed.
    """
    header = email.message.Message()
    header["content-type"] = content_type
    if header.get_content_type() != "multipart/form-data":
        raise ValueError(f"expected multipart/form-data, got {header.get_content_type()!r}")
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise ValueError("multipart body without a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise ValueError("multipart body without its closing boundary")
    parts = []
    for chunk in chunks[1:-1]:
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        raw_headers, separator, data = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise ValueError("multipart part without a blank line after its headers")
        headers = email.message.Message()
        for line in raw_headers.decode("utf-8", "replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip()] = value.strip()
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("multipart part without a name")
        filename = headers.get_param("filename", header="content-disposition")
        parts.append(
            FormPart(
                name=name,
                filename=filename if isinstance(filename, str) else None,
                content_type=headers.get("content-type"),
                data=data,
            )
        )
    return parts


# -- validation --------------------------------------------------------------


class InvalidRequest(Exception):
    def __init__(self, message: str, param: str | None = None, code: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status

    def reply(self) -> Reply:
        return Reply.json(self.status, openai_error(self.message, param=self.param, code=self.code))


def _missing(param: str) -> InvalidRequest:
    return InvalidRequest(f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")


def _invalid_type(param: str, expected: str, value: Any) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid type for '{param}': expected {expected}, but got {_json_type(value)} instead.",
        param=param,
        code="invalid_type",
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def validate_chat(body: Any) -> None:
    """Check a chat completion body the way OpenAI would; raise InvalidRequest."""
    if not isinstance(body, dict):
        raise InvalidRequest("We could not parse the JSON body of your request. (HINT: it should be a JSON object.)")
    if "model" not in body:
        raise InvalidRequest("you must provide a model parameter")
    if not isinstance(body["model"], str) or not body["model"]:
        raise _invalid_type("model", "a non-empty string", body["model"])
    if body.get("stream"):
        raise InvalidRequest("FakeOpenAI does not support streaming ('stream': true).", param="stream")
    if body.get("n") not in (None, 1):
        raise InvalidRequest("FakeOpenAI only answers 'n': 1.", param="n")
    tool_names = _validate_tools(body)
    _validate_messages(body.get("messages"))
    _validate_tool_choice(body, tool_names)


def _validate_tools(body: dict) -> list[str]:
    if "tools" not in body or body["tools"] is None:
        return []
    tools = body["tools"]
    if not isinstance(tools, list):
        raise _invalid_type("tools", "an array", tools)
    names = []
    for index, tool in enumerate(tools):
        param = f"tools[{index}]"
        if not isinstance(tool, dict):
            raise _invalid_type(param, "an object", tool)
        if tool.get("type") != "function":
            raise InvalidRequest(
                f"Invalid value: '{tool.get('type')}'. Supported values are: 'function' and 'custom'.",
                param=f"{param}.type",
                code="invalid_value",
            )
        function = tool.get("function")
        if not isinstance(function, dict):
            raise _missing(f"{param}.function")
        name = function.get("name")
        if not isinstance(name, str):
            raise _missing(f"{param}.function.name")
        if not FUNCTION_NAME_RE.match(name):
            raise InvalidRequest(
                f"Invalid '{param}.function.name': string does not match pattern. "
                "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                param=f"{param}.function.name",
                code="invalid_value",
            )
        if name in names:
            raise InvalidRequest(f"Duplicate function name: '{name}'.", param=f"{param}.function.name")
        if "parameters" in function:
            parameters = function["parameters"]
            if not isinstance(parameters, dict):
                raise _invalid_type(f"{param}.function.parameters", "an object", parameters)
            if parameters.get("type") != "object":
                raise InvalidRequest(
                    f"Invalid schema for function '{name}': schema must be a JSON Schema of 'type: \"object\"', "
                    f"got 'type: \"{parameters.get('type')}\"'.",
                    param=f"{param}.function.parameters",
                    code="invalid_function_parameters",
                )
        names.append(name)
    return names


def _validate_messages(messages: Any) -> None:
    if messages is None:
        raise _missing("messages")
    if not isinstance(messages, list):
        raise _invalid_type("messages", "an array", messages)
    if not messages:
        raise InvalidRequest(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param="messages",
            code="empty_array",
        )
    open_calls: list[str] = []  # tool_call ids of the last assistant message not yet answered
    for index, message in enumerate(messages):
        param = f"messages[{index}]"
        if not isinstance(message, dict):
            raise _invalid_type(param, "an object", message)
        role = message.get("role")
        if role is None:
            raise _missing(f"{param}.role")
        if role not in MESSAGE_ROLES:
            raise InvalidRequest(
                f"Invalid value: '{role}'. Supported values are: "
                + ", ".join(f"'{r}'" for r in MESSAGE_ROLES[:-1])
                + f", and '{MESSAGE_ROLES[-1]}'.",
                param=f"{param}.role",
                code="invalid_value",
            )
        if role != "tool" and open_calls:
            raise InvalidRequest(
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(open_calls)}",
                param=f"{param}.role",
            )
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str):
                raise _missing(f"{param}.tool_call_id")
            if call_id not in open_calls:
                raise InvalidRequest(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
                    "'tool_calls'.",
                    param=f"{param}.role",
                )
            open_calls.remove(call_id)
            _validate_content(message, param, required=True)
        elif role == "assistant":
            tool_calls = message.get("tool_calls")
            if tool_calls:
                open_calls = _validate_assistant_tool_calls(tool_calls, param)
            _validate_content(message, param, required=not tool_calls and not message.get("function_call"))
        else:
            _validate_content(message, param, required=True)
    if open_calls:
        raise InvalidRequest(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(open_calls)}",
            param="messages",
        )


def _validate_content(message: dict, param: str, *, required: bool) -> None:
    if "content" not in message or message["content"] is None:
        if required:
            raise _missing(f"{param}.content")
        return
    content = message["content"]
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise _invalid_type(f"{param}.content", "one of a string or array of objects", content)
    for index, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise _missing(f"{param}.content[{index}].type")


def _validate_assistant_tool_calls(tool_calls: Any, param: str) -> list[str]:
    if not isinstance(tool_calls, list):
        raise _invalid_type(f"{param}.tool_calls", "an array", tool_calls)
    ids = []
    for index, call in enumerate(tool_calls):
        call_param = f"{param}.tool_calls[{index}]"
        if not isinstance(call, dict):
            raise _invalid_type(call_param, "an object", call)
        for key in ("id", "type", "function"):
            if key not in call:
                raise _missing(f"{call_param}.{key}")
        function = call["function"]
        if not isinstance(function, dict):
            raise _invalid_type(f"{call_param}.function", "an object", function)
        if not isinstance(function.get("name"), str):
            raise _missing(f"{call_param}.function.name")
        if not isinstance(function.get("arguments"), str):
            raise _invalid_type(f"{call_param}.function.arguments", "a string", function.get("arguments"))
        ids.append(call["id"])
    return ids


def _validate_tool_choice(body: dict, tool_names: list[str]) -> None:
    choice = body.get("tool_choice")
    if choice is None:
        return
    if not tool_names:
        raise InvalidRequest(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            param="tool_choice",
        )
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            raise InvalidRequest(
                f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and 'required'.",
                param="tool_choice",
                code="invalid_value",
            )
        return
    name = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    if name not in tool_names:
        raise InvalidRequest(
            f"Invalid value for 'tool_choice': function '{name}' not found in 'tools'.", param="tool_choice"
        )


# -- the fake ----------------------------------------------------------------


class FakeOpenAI(FakeServer):
    """OpenAI's chat completions, audio transcriptions and models for tests. See the module docstring."""

    def __init__(
        self,
        api_key: str | None = DEFAULT_API_KEY,
        *,
        models: tuple[str, ...] | list[str] = DEFAULT_MODELS,
        check_models: bool = False,
        default_reply: str | None = None,
        default_transcription: str | None = None,
        check_tool_names: bool = True,
        cached_tokens: int = 0,
        retry_after_ms: float | None = 10,
    ) -> None:
        """`api_key`: the bearer token accepted (None: any). `check_models`: an
        unknown `model` → 404 `model_not_found`. `default_reply` /
        `default_transcription`: answer for an empty script (None: 500 script
        error). `cached_tokens`: `usage.prompt_tokens_details.cached_tokens` of
        every answer. `retry_after_ms`: `retry-after-ms` header on 429/5xx
        answers (None: no header)."""
        super().__init__()
        self.api_key = api_key
        self.models = list(models)
        self.check_models = check_models
        self.default_reply = default_reply
        self.default_transcription = default_transcription
        self.check_tool_names = check_tool_names
        self.cached_tokens = cached_tokens
        self.retry_after_ms = retry_after_ms
        self.script_errors: list[str] = []  # script bugs the fake answered 500 for
        self.transcriptions: list[Upload] = []  # every accepted upload, in order
        self._chat_script: deque[ChatAnswer | ChatScript] = deque()
        self._transcription_script: deque[str | Callable[[Upload], str]] = deque()
        self._created = int(time.time())

    # -- scripting -----------------------------------------------------------

    def script_reply(self, text: str, **usage: Any) -> None:
        """Queue a text answer (`finish_reason: "stop"`). `usage`: ChatAnswer's
        `prompt_tokens`, `completion_tokens`, `cached_tokens`, `finish_reason`."""
        self.script_answer(ChatAnswer(content=text, **usage))

    def script_tool_calls(self, calls: list[tuple[str, Any]], content: str | None = None, **usage: Any) -> None:
        """Queue a tool-call answer: `[(function name, arguments)]`; a dict of
        arguments is sent as JSON, a string verbatim (to test broken JSON)."""
        self.script_answer(ChatAnswer(content=content, tool_calls=list(calls), **usage))

    def script_answer(self, answer: ChatAnswer) -> None:
        with self._lock:
            self._chat_script.append(answer)

    def script(self, func: ChatScript) -> None:
        """Queue a callable: `func(request_json)` returns a text, a list of
        tool calls, a ChatAnswer, or a `Reply` (sent as is)."""
        with self._lock:
            self._chat_script.append(func)

    def script_transcription(self, text: str | Callable[[Upload], str]) -> None:
        """Queue a transcription text (or `func(upload) -> text`)."""
        with self._lock:
            self._transcription_script.append(text)

    def pending_script(self) -> int:
        """How many scripted chat answers and transcriptions are still unused."""
        with self._lock:
            return len(self._chat_script) + len(self._transcription_script)

    def assert_script_used(self) -> None:
        """Fail if a scripted answer was left over or the fake met a script error."""
        assert not self.script_errors, f"FakeOpenAI script errors: {self.script_errors}"
        assert self.pending_script() == 0, f"FakeOpenAI: {self.pending_script()} scripted answer(s) never requested"

    # -- request log -----------------------------------------------------------

    @property
    def chat_requests(self) -> list[dict]:
        """The JSON bodies POSTed to /v1/chat/completions, in order (failed and retried ones too)."""
        return [r.json for r in self.requests_to(CHAT_PATH, "POST")]

    def last_messages(self) -> list[dict]:
        """`messages` of the last chat request."""
        requests = self.chat_requests
        assert requests, "FakeOpenAI received no chat completion request"
        return requests[-1]["messages"]

    # -- errors ----------------------------------------------------------------

    def failure_body(self, status: int) -> Any:
        """OpenAI's error shape for scripted `fail_next(status)`."""
        if status == 401:
            return openai_error("Incorrect API key provided.", code="invalid_api_key")
        if status == 429:
            delay = f"{self.retry_after_ms:g}ms" if self.retry_after_ms is not None else "1s"
            return openai_error(
                "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): "
                f"Limit 3, Used 3, Requested 1. Please try again in {delay}.",
                type_="requests",
                code="rate_limit_exceeded",
            )
        if status == 503:
            return openai_error("The engine is currently overloaded, please try again later", type_="server_error")
        if status >= 500:
            return openai_error(
                "The server had an error while processing your request. Sorry about that!", type_="server_error"
            )
        return openai_error(HTTPStatus(status).phrase)

    def not_found(self, request: RecordedRequest) -> Reply:
        return Reply.json(404, openai_error(f"Invalid URL ({request.method} {request.path})"))

    def _serve(self, handler: Any) -> None:
        # Adds `retry-after-ms` to every 429/5xx answer, the scripted failures
        # included (the base class builds those without extra headers).
        send_response = handler.send_response

        def send_response_with_retry_hint(code: int, message: str | None = None) -> None:
            send_response(code, message)
            if self.retry_after_ms is not None and (code == 429 or code >= 500):
                handler.send_header("retry-after-ms", f"{self.retry_after_ms:g}")

        handler.send_response = send_response_with_retry_hint
        try:
            super()._serve(handler)
        finally:
            del handler.send_response  # the handler serves the connection's next request too

    def _unauthorized(self, request: RecordedRequest) -> Reply | None:
        if self.api_key is None:
            return None
        auth = request.headers.get("authorization", "")
        if not auth:
            return Reply.json(
                401,
                openai_error(
                    "You didn't provide an API key. You need to provide your API key in an Authorization header "
                    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                ),
            )
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.api_key:
            masked = key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 7 else "****"
            return Reply.json(
                401,
                openai_error(
                    f"Incorrect API key provided: {masked}. You can find your API key at "
                    "https://platform.openai.com/account/api-keys.",
                    code="invalid_api_key",
                ),
            )
        return None

    def _check_model(self, model: str) -> None:
        if self.check_models and model not in self.models:
            raise InvalidRequest(
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
                status=404,
            )

    def _script_error(self, message: str) -> Reply:
        self.script_errors.append(message)
        return Reply.json(
            500,
            openai_error(f"FakeOpenAI script error: {message}", type_="server_error"),
            headers={"x-should-retry": "false"},
        )

    def _ok(self, payload: dict) -> Reply:
        return Reply.json(200, payload, headers={"x-request-id": _random_id("req_", 32), "openai-processing-ms": "1"})

    # -- routes ------------------------------------------------------------------

    @route("GET", "/v1/models")
    def _list_models(self, request: RecordedRequest) -> Reply:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        return self._ok({"object": "list", "data": [self._model(m) for m in self.models]})

    @route("GET", "/v1/models/{model}")
    def _get_model(self, request: RecordedRequest, model: str) -> Reply:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        if model not in self.models:
            return Reply.json(
                404,
                openai_error(f"The model '{model}' does not exist", param="model", code="model_not_found"),
            )
        return self._ok(self._model(model))

    def _model(self, model: str) -> dict:
        return {"id": model, "object": "model", "created": self._created, "owned_by": "system"}

    @route("POST", CHAT_PATH)
    def _chat_completions(self, request: RecordedRequest) -> Reply:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        body = request.json
        try:
            validate_chat(body)
            self._check_model(body["model"])
        except InvalidRequest as error:
            return error.reply()
        if not self._chat_script:
            if self.default_reply is None:
                return self._script_error(f"no scripted chat answer left for request #{len(self.chat_requests)}")
            answer: ScriptResult = ChatAnswer(content=self.default_reply)
        else:
            item = self._chat_script.popleft()
            answer = item(body) if callable(item) else item
        if isinstance(answer, Reply):
            return answer
        if isinstance(answer, str):
            answer = ChatAnswer(content=answer)
        elif isinstance(answer, list):
            answer = ChatAnswer(tool_calls=answer)
        if not isinstance(answer, ChatAnswer):
            return self._script_error(f"a script returned {answer!r}, not a text, tool calls, ChatAnswer or Reply")
        declared = {t["function"]["name"] for t in body.get("tools") or []}
        for name, _ in answer.tool_calls or []:
            if self.check_tool_names and name not in declared:
                return self._script_error(
                    f"scripted tool call {name!r} but the request declared {sorted(declared) or 'no tools'}"
                )
        return self._ok(self._completion(body, answer))

    def _completion(self, body: dict, answer: ChatAnswer) -> dict:
        tool_calls = None
        if answer.tool_calls:
            tool_calls = [
                {
                    "id": new_tool_call_id(),
                    "type": "function",
                    "function": {
                        "name": name,
                        "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                    },
                }
                for name, arguments in answer.tool_calls
            ]
        finish_reason = answer.finish_reason or ("tool_calls" if tool_calls else "stop")
        cached = self.cached_tokens if answer.cached_tokens is None else answer.cached_tokens
        prompt_tokens = answer.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = max(cached, estimate_tokens(_compact([body["messages"], body.get("tools") or []])))
        completion_tokens = answer.completion_tokens
        if completion_tokens is None:
            produced = (answer.content or "") + (_compact([c["function"] for c in tool_calls]) if tool_calls else "")
            completion_tokens = estimate_tokens(produced)
        return {
            "id": _random_id("chatcmpl-", 29),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": answer.content,
                        "refusal": None,
                        "annotations": [],
                        "tool_calls": tool_calls,
                    },
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fakeopenai",
        }

    @route("POST", TRANSCRIPTIONS_PATH)
    def _transcriptions(self, request: RecordedRequest) -> Reply:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        try:
            upload = self._parse_upload(request)
            self._check_model(upload.fields["model"])
        except InvalidRequest as error:
            return error.reply()
        response_format = upload.fields.get("response_format", "json")
        if response_format not in ("json", "text"):
            return InvalidRequest(
                f"FakeOpenAI only answers response_format 'json' or 'text', not {response_format!r}.",
                param="response_format",
            ).reply()
        self.transcriptions.append(upload)
        if self._transcription_script:
            item = self._transcription_script.popleft()
            text = item(upload) if callable(item) else item
        elif self.default_transcription is not None:
            text = self.default_transcription
        else:
            return self._script_error(f"no scripted transcription left for {upload.filename!r}")
        if response_format == "text":
            return Reply(200, (text + "\n").encode(), content_type="text/plain; charset=utf-8")
        return self._ok({"text": text, "usage": {"type": "duration", "seconds": 1}})

    def _parse_upload(self, request: RecordedRequest) -> Upload:
        if len(request.body) > MAX_AUDIO_BYTES:
            raise InvalidRequest(
                f"Maximum content size limit ({MAX_AUDIO_BYTES}) exceeded ({len(request.body)} bytes read)",
                status=413,
            )
        try:
            parts = parse_multipart(request.body, request.headers.get("content-type", ""))
        except ValueError as error:
            raise InvalidRequest(f"Could not parse multipart form: {error}") from error
        fields = {p.name: p.data.decode("utf-8", "replace") for p in parts if p.filename is None}
        files = [p for p in parts if p.name == "file" and p.filename is not None]
        if not files:
            raise _missing("file")
        if not fields.get("model"):
            raise _missing("model")
        file = files[0]
        extension = file.filename.rsplit(".", 1)[-1].lower() if "." in file.filename else ""
        if extension not in AUDIO_FORMATS:
            raise InvalidRequest(
                f"Invalid file format. Supported formats: {list(AUDIO_FORMATS)}",
                param="file",
                code="invalid_value",
            )
        if not file.data:
            raise InvalidRequest(
                "Audio file is too short. Minimum audio length is 0.1 seconds.", param="file", code="audio_too_short"
            )
        return Upload(filename=file.filename, content_type=file.content_type, data=file.data, fields=fields)
