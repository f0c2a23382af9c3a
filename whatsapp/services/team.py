"""What the shop's team does in a conversation from the dashboard: reply
(the bot then stays silent), leave internal notes, assign, mark as read."""

import mimetypes

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils.translation import gettext as _

from oxy.schemas import on_commit_in_this_schema
from tenants.shop.services import Actor, audit_record

from ..models import Conversation, ConversationNote, Message
from .conversations import announce_conversation, conversation_take_over
from .outbound import SendRefused, message_outbound_create

MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024  # WhatsApp's own limit for audio, video and pictures
MEDIA_LINK_SALT = "whatsapp.media-link"
MEDIA_LINK_MAX_AGE_S = 7 * 24 * 3600


def _media_kind(content_type: str) -> str:
    family = content_type.split("/")[0]
    return {"image": "image", "audio": "audio", "video": "video"}.get(family, "document")


def media_link(message: Message) -> str:
    """A public, signed, expiring address of a message's file: the provider
    fetches what we send from it."""
    token = signing.dumps([connection.schema_name, message.pk], salt=MEDIA_LINK_SALT, compress=True)
    return f"{settings.OXY_PUBLIC_URL.rstrip('/')}/media/{token}/"


def media_link_read(token: str) -> tuple[str, int]:
    """(schema, message id) of a link; raises signing.BadSignature when forged or expired."""
    schema, message_id = signing.loads(token, salt=MEDIA_LINK_SALT, max_age=MEDIA_LINK_MAX_AGE_S)
    return schema, int(message_id)


@transaction.atomic
def conversation_staff_reply(
    *, conversation_id: int, user, text: str, attachment: UploadedFile | None = None
) -> Message:  # fmt: skip
    """A team member answers. A conversation the bot owned becomes theirs
    first, so the bot does not answer over them."""
    conversation = Conversation.objects.select_for_update().select_related("channel").get(pk=conversation_id)
    if not text.strip() and attachment is None:
        raise SendRefused(_("Write a message or attach a file."))
    if attachment is not None and attachment.size > MAX_ATTACHMENT_BYTES:
        raise SendRefused(_("The file is larger than 16 MB, which WhatsApp does not accept."))
    actor = Actor.staff(user)
    if conversation.owner == Conversation.Owner.BOT:
        conversation = conversation_take_over(conversation_id=conversation.pk, actor=actor, assignee=user)
    if attachment is None:
        return message_outbound_create(conversation=conversation, text=text.strip(), sender_kind="staff",
                                       sent_by=user.email)  # fmt: skip
    content_type = attachment.content_type or mimetypes.guess_type(attachment.name)[0] or "application/octet-stream"
    message = message_outbound_create(
        conversation=conversation, text=text.strip(), sender_kind="staff", sent_by=user.email,
        kind=_media_kind(content_type), data={"filename": attachment.name, "mime": content_type},
    )  # fmt: skip
    message.media.save(attachment.name, attachment, save=False)
    message.data["url"] = media_link(message)
    message.save(update_fields=["media", "data"])
    return message


@transaction.atomic
def conversation_note_add(*, conversation_id: int, user, text: str) -> ConversationNote:
    if not text.strip():
        raise SendRefused(_("The note is empty."))
    note = ConversationNote.objects.create(conversation_id=conversation_id, author=user, text=text.strip())
    audit_record(actor=Actor.staff(user), action="conversation.note_added", target=f"conversation:{conversation_id}")
    on_commit_in_this_schema(lambda: announce_conversation({"conversation": conversation_id, "note": note.pk}))
    return note


@transaction.atomic
def conversation_assign(*, conversation_id: int, assignee, actor: Actor) -> Conversation:
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    conversation.assignee = assignee
    conversation.save(update_fields=["assignee"])
    audit_record(actor=actor, action="conversation.assign", target=f"conversation:{conversation.pk}",
                 data={"assignee": assignee.email if assignee else None})  # fmt: skip
    data = {"conversation": conversation.pk, "assignee": assignee.pk if assignee else None}
    on_commit_in_this_schema(lambda: announce_conversation(data))
    return conversation


def conversation_mark_read(*, conversation_id: int) -> None:
    Conversation.objects.filter(pk=conversation_id, unread_count__gt=0).update(unread_count=0)
