"""Reading conversations for the dashboard's inbox."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from .models import Conversation, ConversationNote, Message

INBOX_FILTERS = ("all", "human", "bot", "paused", "unread", "mine")


def inbox_conversations(*, user, show: str = "all", channel_id: int | None = None, search: str = "") -> QuerySet:
    """The inbox, newest activity first."""
    conversations = Conversation.objects.select_related("customer", "channel", "assignee")
    if show in {"human", "bot", "paused"}:
        conversations = conversations.filter(owner=show)
    elif show == "unread":
        conversations = conversations.filter(unread_count__gt=0)
    elif show == "mine":
        conversations = conversations.filter(assignee=user)
    if channel_id:
        conversations = conversations.filter(channel_id=channel_id)
    if search.strip():
        conversations = conversations.filter(_customer_matches(search.strip()))
    return conversations.order_by("-last_message_at", "-id")


def with_latest_message(conversations: Iterable[Conversation]) -> list[Conversation]:
    """Give each conversation (a page of the inbox) its `latest` message, in
    one query: only the page's, not every conversation's."""
    conversations = list(conversations)
    latest = Message.objects.filter(conversation__in=conversations).exclude(kind="reaction")
    by_conversation = {
        message.conversation_id: message
        for message in latest.order_by("conversation_id", "-created_at", "-id").distinct("conversation_id")
    }
    for conversation in conversations:
        conversation.latest = by_conversation.get(conversation.pk)
    return conversations


def _customer_matches(search: str) -> Q:
    matches = Q(customer__name__icontains=search)
    digits = "".join(ch for ch in search if ch.isdigit())
    if len(digits) >= 4:  # any way of writing the number: "(11) 91234-5678", "11912345678"
        matches |= Q(customer__phone__contains=digits)
    return matches


def conversation_timeline(
    *, conversation: Conversation, limit: int = 60
) -> tuple[list[Message | ConversationNote], bool]:  # fmt: skip
    """The latest `limit` messages and the team's notes among them, oldest
    first (as a chat reads), and whether earlier messages were left out."""
    latest = list(conversation.messages.exclude(kind="reaction").order_by("-created_at", "-id")[: limit + 1])
    more_before = len(latest) > limit
    latest = latest[:limit]
    notes = conversation.notes.select_related("author")
    if more_before:
        notes = notes.filter(created_at__gte=latest[-1].created_at)
    in_order = sorted([*latest, *notes], key=lambda item: (item.created_at, item.is_note, item.pk))
    return in_order, more_before
