"""The only place that talks to an LLM: configuration (the shop's own, or
the deployment's), timeouts, retries with backoff (the SDK's), and token and
cost accounting. Everything that goes wrong becomes `LlmUnavailable`, so
callers have one thing to handle: fall back to the offline agent."""

import functools
import json
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal

import openai
from django.conf import settings
from openai.types.chat import ChatCompletion

from .models import AgentSettings

logger = logging.getLogger(__name__)

# USD per million tokens: input, cached input, output. A model not listed is
# priced as gpt-4o-mini (and says so in the log) rather than as free.
PRICES_PER_MILLION: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.075"), Decimal("0.60")),
    "gpt-4o": (Decimal("2.50"), Decimal("1.25"), Decimal("10.00")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("0.10"), Decimal("1.60")),
    "gpt-4.1-nano": (Decimal("0.10"), Decimal("0.025"), Decimal("0.40")),
}
TRANSCRIPTION_MODEL = "whisper-1"
# What the SDK raises on a 200 whose body is not what it asked for (not JSON,
# HTML from a proxy, JSON of another shape): the endpoint is as good as down.
UNREADABLE = (ValueError, TypeError, AttributeError, IndexError, KeyError)


class LlmUnavailable(Exception):
    """No answer from the LLM (not configured, unreachable, refused, over budget)."""


@dataclass(frozen=True)
class LlmConfig:
    model: str
    base_url: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict | None  # None: the model sent arguments that are not JSON


@dataclass(frozen=True)
class LlmReply:
    text: str
    tool_calls: list[ToolCall]
    assistant_message: dict  # to append to the conversation for the next call
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    latency_ms: int


def llm_config(*, shop: AgentSettings | None) -> LlmConfig | None:
    """The shop's own model, URL and key where set (its `AgentSettings`, if
    any), else the deployment's; None when there is no key (the offline
    agent answers)."""
    api_key = (shop.api_key if shop else "") or settings.OXY_LLM_API_KEY
    if not api_key:
        return None
    return LlmConfig(
        model=(shop.model if shop else "") or settings.OXY_LLM_MODEL,
        base_url=(shop.base_url if shop else "") or settings.OXY_LLM_BASE_URL,
        api_key=api_key,
    )


def _client(config: LlmConfig) -> openai.OpenAI:
    return _cached_client(config, settings.OXY_LLM_TIMEOUT_S, settings.OXY_LLM_MAX_RETRIES)


@functools.lru_cache(maxsize=64)
def _cached_client(config: LlmConfig, timeout: float, max_retries: int) -> openai.OpenAI:
    # Built once per shop configuration: building one loads the TLS
    # certificates (~45 ms); the client is thread-safe and pools connections.
    return openai.OpenAI(api_key=config.api_key, base_url=config.base_url, timeout=timeout, max_retries=max_retries)


def cost_usd(*, model: str, prompt_tokens: int, cached_tokens: int, completion_tokens: int) -> Decimal:
    prices = PRICES_PER_MILLION.get(model)
    if prices is None:
        logger.warning("no price for model %s: priced as gpt-4o-mini", model)
        prices = PRICES_PER_MILLION["gpt-4o-mini"]
    fresh, cached, output = prices
    total = (prompt_tokens - cached_tokens) * fresh + cached_tokens * cached + completion_tokens * output
    return (total / 1_000_000).quantize(Decimal("0.000001"))


def chat(*, config: LlmConfig, messages: list[dict], tools: list[dict]) -> LlmReply:
    started = time.monotonic()
    try:
        # The SDK's generic POST, not `chat.completions.create`: our body is
        # plain JSON already, and create's per-call walk over every message
        # and tool schema took 3 of the 5 ms a call costs us (bench/pipeline.py).
        # Timeouts, retries and the typed response are the same.
        body = {"model": config.model, "messages": messages, "temperature": 0.3} | ({"tools": tools} if tools else {})
        response = _client(config).post("/chat/completions", cast_to=ChatCompletion, body=body)
        message = response.choices[0].message
    except openai.OpenAIError as exc:
        raise LlmUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    except UNREADABLE as exc:
        raise LlmUnavailable(f"the answer is not a chat completion ({type(exc).__name__})") from exc
    usage = response.usage
    prompt, completion = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
    details = getattr(usage, "prompt_tokens_details", None)
    cached = (details.cached_tokens or 0) if details else 0
    calls = [ToolCall(id=call.id, name=call.function.name, arguments=_json_or_none(call.function.arguments))
             for call in message.tool_calls or []]  # fmt: skip
    return LlmReply(
        text=(message.content or "").strip(),
        tool_calls=calls,
        assistant_message=message.model_dump(exclude_none=True, include={"role", "content", "tool_calls"}),
        prompt_tokens=prompt,
        cached_tokens=cached,
        completion_tokens=completion,
        cost_usd=cost_usd(
            model=config.model, prompt_tokens=prompt, cached_tokens=cached, completion_tokens=completion
        ),  # fmt: skip
        latency_ms=round((time.monotonic() - started) * 1000),
    )


def transcribe(*, config: LlmConfig, audio: bytes, filename: str) -> str:
    try:
        result = _client(config).audio.transcriptions.create(
            model=TRANSCRIPTION_MODEL, file=(filename, audio), language="pt"
        )
        return result.text.strip()
    except openai.OpenAIError as exc:
        raise LlmUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    except UNREADABLE as exc:
        raise LlmUnavailable(f"the answer is not a transcription ({type(exc).__name__})") from exc


def _json_or_none(raw: str) -> dict | None:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
