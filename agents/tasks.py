"""Agent tasks: thin, by id, in the shop's schema they were queued from."""

from oxy.celery import app


@app.task(
    name="agents.reply", queue="agents", time_limit=120, soft_time_limit=110, autoretry_for=(Exception,),
    max_retries=3, retry_backoff=2, retry_jitter=True, acks_late=True,
)  # fmt: skip
def conversation_reply_task(conversation_id: int) -> str:
    from .services import conversation_reply

    return conversation_reply(conversation_id=conversation_id)
