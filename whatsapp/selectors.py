"""Reading conversations for the dashboard's inbox."""

from django.db.models import OuterRef, Q, QuerySet, Subquery

from .models import Conversation, ConversationNote, Message

INBOX_FILTERS = ("all", "human", "bot", "paused", "unread", "mine")


def inbox_conversations(*, user, show: str = "all", channel_id: int | None = None, search: str = "") -> QuerySet:
    """The inbox, newest activity first, each with its latest message's text."""
    latest = Message.objects.filter(conversation=OuterRef("pk")).exclude(kind="reaction").order_by("-created_at", "-id")
    conversations = Conversation.objects.select_related("customer", "channel", "assignee").annotate(
        last_text=Subquery(latest.values("text")[:1]),
        last_kind=Subquery(latest.values("kind")[:1]),
        last_direction=Subquery(latest.values("direction")[:1]),
    )
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


def _customer_matches(search: str) -> Q:
    matches = Q(customer__name__icontains=search)
    digits = "".join(ch for ch in search if ch.isdigit())
    if len(digits) >= 4:  # any way of writing the number: "(11) 91234-5678", "11912345678"
        matches |= Q(customer__phone__contains=digits)
    return matches


def conversation_timeline(*, conversation: Conversation, limit: int = 200) -> list[Message | ConversationNote]:
    """The latest `limit` messages and the team's notes among them, oldest
    first (as a chat reads)."""
    latest = list(conversation.messages.exclude(kind="reaction").order_by("-created_at", "-id")[:limit])
    notes = conversation.notes.select_related("author")
    if len(latest) == limit:
        notes = notes.filter(created_at__gte=latest[-1].created_at)
    return sorted([*latest, *notes], key=lambda item: (item.created_at, isinstance(item, ConversationNote), item.pk))
