"""Agent tasks: thin, by id, in the shop's schema they were queued from."""

from oxy.celery import app
from oxy.logging import log_context
from tenants.services import in_each_active_shop


@app.task(
    name="agents.reply", queue="agents", time_limit=120, soft_time_limit=110, autoretry_for=(Exception,),
    max_retries=3, retry_backoff=2, retry_jitter=True, acks_late=True,
)  # fmt: skip
def conversation_reply_task(conversation_id: int) -> str:
    from .services import conversation_reply

    with log_context(conversation=conversation_id):
        return conversation_reply(conversation_id=conversation_id)


@app.task(name="agents.hand_back_idle_all_tenants", queue="scheduled", public_schema=True, time_limit=120,
          max_retries=0)  # fmt: skip
def idle_conversations_hand_back_all_tenants_task() -> dict[str, int]:
    from .services import idle_conversations_hand_back

    return {slug: count for slug, count in in_each_active_shop(idle_conversations_hand_back).items() if count}


@app.task(name="agents.sweep_replies_all_tenants", queue="scheduled", public_schema=True, time_limit=120,
          max_retries=0)  # fmt: skip
def lost_replies_requeue_all_tenants_task() -> dict[str, int]:
    from .services import lost_replies_requeue

    return {slug: count for slug, count in in_each_active_shop(lost_replies_requeue).items() if count}


@app.task(name="agents.owner_notices_all_tenants", queue="scheduled", public_schema=True, time_limit=300,
          max_retries=0)  # fmt: skip
def owner_notices_all_tenants_task() -> dict[str, list[str]]:
    from .owner_notices import owner_notices_due

    return {slug: sent for slug, sent in in_each_active_shop(owner_notices_due).items() if sent}


@app.task(name="agents.follow_ups_all_tenants", queue="scheduled", public_schema=True, time_limit=300,
          max_retries=0)  # fmt: skip
def follow_ups_all_tenants_task() -> dict[str, dict[str, int]]:
    from .outreach.followups import followups_run

    return {slug: done for slug, done in in_each_active_shop(followups_run).items() if done}


@app.task(name="agents.campaigns_all_tenants", queue="campaigns", public_schema=True, time_limit=120,
          max_retries=0)  # fmt: skip
def campaigns_all_tenants_task() -> dict[str, int]:
    from .outreach.campaigns import campaigns_send_due

    return {slug: sent for slug, sent in in_each_active_shop(campaigns_send_due).items() if sent}
