"""Answering customers: a reply is scheduled when one is due, and a turn
runs once per customer message, one at a time per conversation, by the LLM
attendant or, when it cannot (no key, unreachable, over budget, too many
messages a minute), by the offline attendant, which hands over what it
cannot handle. Either way the customer is answered."""

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.utils import timezone

from analytics.selectors import monthly_ai_cap
from analytics.services import ai_call_record, facts_together
from oxy.schemas import on_commit_in_this_schema
from tenants.shop.services import Actor
from whatsapp.models import Conversation, Message
from whatsapp.providers.base import ProviderError
from whatsapp.services.conversations import conversation_hand_back
from whatsapp.services.media import message_media_download
from whatsapp.services.outbound import message_outbound_create

from . import aurora, llm
from .attendant import TurnOutcome, customer_turn
from .models import AgentSettings, AIInteraction
from .offline.parser import is_opt_out
from .offline_attendant import media_only_turn, offline_turn, paused_turn, unheard_voice_turn
from .outreach.replies import reminder_reply_turn
from .selectors import conversation_for_turn, recent_messages
from .tools import TurnContext

logger = logging.getLogger(__name__)

VOICE_KINDS = {"voice", "audio"}
WORDLESS_MEDIA = {"image", "video", "document"}  # the attendant cannot look at them


def reply_schedule(*, conversation: Conversation, message: Message) -> None:
    """The spine's "reply needed" hook: answer after the debounce pause, so a
    burst of messages gets one answer (the last task to run answers them all)."""
    from .tasks import conversation_reply_task

    delay = settings.OXY_REPLY_DEBOUNCE_S
    on_commit_in_this_schema(lambda: conversation_reply_task.apply_async((conversation.pk,), countdown=delay))


def conversation_reply(*, conversation_id: int, now=None) -> str:
    """Answer what the customer said since the last answer. Idempotent: a
    message is answered once however often this runs."""
    now = now or timezone.now()
    with transaction.atomic():
        # One turn at a time per conversation, without locking its row (the
        # inbox keeps updating it while the model thinks).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('agents.reply'), %s)", [conversation_id])
        conversation = conversation_for_turn(conversation_id=conversation_id, now=now)
        if conversation.owner != Conversation.Owner.BOT:
            return "a person owns it"
        if conversation.reply_due_at is None:
            return "nothing due"
        if conversation.reply_due_at > now:
            return "not yet"  # a newer message rescheduled the reply
        ctx = TurnContext(conversation=conversation, customer=conversation.customer, now=now,
                          recent=recent_messages(conversation=conversation))  # fmt: skip
        latest = ctx.unanswered[-1] if ctx.unanswered else None
        if latest is None or latest.answered:
            Conversation.objects.filter(pk=conversation_id).update(reply_due_at=None)
            return "already answered"
        agent, model, outcome, error = _turn(ctx)
        data = ({"offers": ctx.new_offers} if ctx.new_offers else {}) | (
            {"actions": ctx.new_actions} if ctx.new_actions else {}
        )
        # The due reply is given, unless a newer message moved it on.
        reply_given = {"reply_due_at": Case(When(reply_due_at__lte=now, then=Value(None)), default=F("reply_due_at"))}
        with facts_together():  # the reply's and the turn's facts
            if outcome.text:
                message_outbound_create(conversation=conversation, text=outcome.text, sender_kind="bot", data=data,
                                        conversation_changes=reply_given)  # fmt: skip
            else:
                Conversation.objects.filter(pk=conversation_id).update(**reply_given)
            turn = AIInteraction.objects.create(
                conversation=conversation, answers_message=latest, agent=agent, model=model,
                prompt_tokens=outcome.prompt_tokens, cached_tokens=outcome.cached_tokens,
                completion_tokens=outcome.completion_tokens, cost_usd=outcome.cost_usd, latency_ms=outcome.latency_ms,
                tool_calls=outcome.tool_calls, error=error[:300],
                outcome=AIInteraction.Outcome.HANDED_OVER if ctx.handed_over else AIInteraction.Outcome.REPLIED,
            )  # fmt: skip
            if outcome.cost_usd:
                ai_call_record(call_id=f"turn:{turn.pk}", calls=outcome.llm_calls, cost=outcome.cost_usd, at=now,
                               tokens=outcome.prompt_tokens + outcome.completion_tokens)  # fmt: skip
        return turn.outcome


def lost_replies_requeue(*, now=None) -> int:
    """Queue again, in this shop, the replies long overdue: their task died
    with a worker (a turn in progress holds the conversation's lock, and one
    that finishes finds the message answered, so a spare task is harmless).
    After an hour the broker itself redelivers a dead worker's task; a turn
    that keeps failing is retried here for that hour, then left to support
    (its dead letter)."""
    from .tasks import conversation_reply_task

    now = now or timezone.now()
    overdue = Conversation.objects.filter(
        owner=Conversation.Owner.BOT,
        reply_due_at__lt=now - timedelta(seconds=settings.OXY_REPLY_STALE_S),
        reply_due_at__gte=now - timedelta(hours=1),
    )
    lost = list(overdue.values_list("pk", flat=True)[:1000])
    for conversation_id in lost:
        conversation_reply_task.delay(conversation_id)
    return len(lost)


def _turn(ctx: TurnContext) -> tuple[str, str, TurnOutcome, str]:
    """(agent, model, outcome, why the LLM did not answer)"""
    shop = ctx.conversation.agent_settings
    config = llm.llm_config(shop=shop)
    if ctx.conversation.from_owner:
        return _owner_turn(ctx, shop=shop, config=config)
    offline = AIInteraction.Agent.OFFLINE
    if is_opt_out(ctx.unanswered_words):
        return offline, "", offline_turn(ctx=ctx), "opt-outs are answered without the LLM"
    answered = reminder_reply_turn(ctx=ctx)
    if answered:
        return offline, "", answered, "a yes or no to a reminder is answered without the LLM"
    if shop and shop.attendant_paused_at:
        return offline, "", paused_turn(ctx=ctx), "the owner paused the attendant"
    reason = _llm_refusal(ctx, shop=shop, config=config) or _too_many_a_minute(ctx, shop=shop)
    unheard = _voice_notes_transcribe(ctx, config=config, cannot=reason)
    if unheard:
        return offline, "", unheard_voice_turn(ctx=ctx, why=unheard), unheard
    if not ctx.unanswered_words and any(message.kind in WORDLESS_MEDIA for message in ctx.unanswered):
        return offline, "", media_only_turn(ctx=ctx), "pictures and files need a person"
    if not reason:
        outcome, reason = _llm_answer(ctx, lambda: customer_turn(ctx=ctx, config=config))
        if outcome:
            return AIInteraction.Agent.CUSTOMER, config.model, outcome, ""
    return offline, "", offline_turn(ctx=ctx), reason


def _owner_turn(ctx: TurnContext, *, shop: AgentSettings | None, config: llm.LlmConfig | None):
    reason = _llm_refusal(ctx, shop=shop, config=config)
    if not reason:
        outcome, reason = _llm_answer(ctx, lambda: aurora.owner_turn(ctx=ctx, config=config))
        if outcome:
            return AIInteraction.Agent.AURORA, config.model, outcome, ""
    return AIInteraction.Agent.AURORA_OFFLINE, "", aurora.offline_owner_turn(ctx=ctx), reason


def _llm_answer(ctx: TurnContext, turn: Callable[[], TurnOutcome]) -> tuple[TurnOutcome | None, str]:
    """(the LLM's outcome, "") or (None, why not); a failed turn leaves no
    half-done tool writes behind, nor offers or actions it never said."""
    try:
        outcome = turn()
        if outcome.text or ctx.handed_over:
            return outcome, ""
        reason = "the model answered nothing"
    except llm.LlmUnavailable as exc:
        logger.warning("LLM unavailable for conversation %s: %s", ctx.conversation.pk, exc)
        ctx.tool_writes_undo()
        reason = str(exc)
    ctx.new_offers.clear()
    ctx.new_actions.clear()
    ctx.handed_over = ""
    return None, reason


def _voice_notes_transcribe(ctx: TurnContext, *, config: llm.LlmConfig | None, cannot: str) -> str:
    """Transcribe the unanswered voice notes (once each, kept on the message);
    returns why one could not be."""
    for message in ctx.unanswered:
        if message.kind not in VOICE_KINDS or message.data.get("transcript"):
            continue
        if cannot:
            return cannot
        try:
            if not message.media and message.data.get("media_id"):
                message_media_download(message_id=message.pk)  # not fetched yet: fetch it now
                message.refresh_from_db()
            if not message.media:
                return "the audio never arrived"
            with message.media.open("rb") as audio:
                transcript = llm.transcribe(config=config, audio=audio.read(), filename=Path(message.media.name).name)
        except (llm.LlmUnavailable, ProviderError) as exc:
            return str(exc)[:200]
        if not transcript:
            return "nothing could be heard in it"
        message.data = message.data | {"transcript": transcript}
        message.save(update_fields=["data"])
    return ""


def _llm_refusal(ctx: TurnContext, *, shop: AgentSettings | None, config: llm.LlmConfig | None) -> str:
    """Why the LLM may not answer now in this shop ("" if it may)."""
    if config is None:
        return "no LLM configured"
    if ctx.conversation.month_ai_spend >= monthly_ai_cap(shop_cap=shop.monthly_cap_usd if shop else None):
        return "monthly LLM spend cap reached"
    return ""


def _too_many_a_minute(ctx: TurnContext, *, shop: AgentSettings | None) -> str:
    per_minute = shop.customer_turns_per_minute if shop else 5
    return "too many messages a minute" if ctx.conversation.customer_turns_last_minute >= per_minute else ""


def idle_conversations_hand_back(*, now=None) -> int:
    """Give the bot back the conversations whose person has been silent for
    the shop's idle time (0: never), so no customer waits on someone gone."""
    now = now or timezone.now()
    idle_minutes = (AgentSettings.objects.first() or AgentSettings()).handback_idle_minutes
    if not idle_minutes:
        return 0
    cutoff = now - timedelta(minutes=idle_minutes)
    person_spoke = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Message.Direction.OUTBOUND, created_at__gte=cutoff
    ).exclude(sender_kind=Message.SenderKind.BOT)
    idle = list(
        Conversation.objects.filter(owner=Conversation.Owner.HUMAN, owner_changed_at__lt=cutoff)
        .exclude(Exists(person_spoke))
        .values_list("pk", flat=True)
    )
    actor = Actor.system(f"Oxy, after {idle_minutes} min without a word from the team")
    for conversation_id in idle:
        conversation_hand_back(conversation_id=conversation_id, actor=actor)
    return len(idle)
