"""The inbox and a conversation: what the team reads and does all day."""

from django.contrib import messages
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tenants.utils import get_tenant_model, schema_context

from bookings.models import Booking
from oxy.dashboard import actor_of, managers_page, page, paginate, staff_page
from tenants.staff.models import User

from .forms import CannedReplyForm, NoteForm, ReplyForm
from .models import CannedReply, Channel, Conversation, Message
from .selectors import INBOX_FILTERS, conversation_timeline, inbox_conversations, with_latest_message
from .services.conversations import conversation_hand_back, conversation_pause, conversation_take_over
from .services.outbound import SendRefused
from .services.team import (
    conversation_assign,
    conversation_mark_read,
    conversation_note_add,
    conversation_staff_reply,
    media_link_read,
)


def _inbox_context(request: HttpRequest) -> dict:
    show = request.GET.get("show", "all")
    show = show if show in INBOX_FILTERS else "all"
    channel = request.GET.get("channel", "")
    search = request.GET.get("q", "")
    params = request.GET.copy()
    params.pop("page", None)
    conversations = inbox_conversations(user=request.user, show=show, search=search,
                                        channel_id=int(channel) if channel.isdigit() else None)  # fmt: skip
    shown = paginate(request, conversations)
    shown.object_list = with_latest_message(shown.object_list)
    return {
        "conversations": shown,
        "show": show,
        "filters": [(key, label) for key, label in _filter_labels() if key in INBOX_FILTERS],
        "channels": Channel.objects.order_by("name"),
        "channel": channel,
        "q": search,
        "query": params.urlencode(),
    }


def _filter_labels() -> list[tuple[str, str]]:
    return [("all", _("All")), ("human", _("Needs a person")), ("bot", _("Bot")), ("paused", _("Paused")),
            ("unread", _("Unread")), ("mine", _("Assigned to me"))]  # fmt: skip


@staff_page
def inbox(request: HttpRequest) -> HttpResponse:
    return page(request, "whatsapp/inbox.html", _inbox_context(request), fragment="whatsapp/_inbox_items.html")


@staff_page
def inbox_list(request: HttpRequest) -> HttpResponse:
    """The list alone: refreshed live and by the filters."""
    return page(request, "whatsapp/_inbox_items.html", _inbox_context(request))


def _timeline_context(request: HttpRequest, conversation: Conversation) -> dict:
    """The latest messages; "earlier" shows many more (a long history is paged by the browser's scroll)."""
    earlier = request.GET.get("earlier") == "1"
    limit = 500 if earlier else 60
    timeline, more_before = conversation_timeline(conversation=conversation, limit=limit)
    return {"conversation": conversation, "timeline": timeline, "earlier": earlier,
            "more_before": more_before and not earlier}  # fmt: skip


def _conversation(conversation_id: int) -> Conversation:
    return get_object_or_404(Conversation.objects.select_related("customer", "channel", "assignee"), pk=conversation_id)


@staff_page
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(conversation_id)
    conversation_mark_read(conversation_id=conversation.pk)
    customer = conversation.customer
    context = (
        _inbox_context(request)
        | _timeline_context(request, conversation)
        | {
            "reply_form": ReplyForm(),
            "note_form": NoteForm(),
            "canned_replies": CannedReply.objects.all(),
            "team": User.objects.filter(is_active=True).exclude(role="").order_by("email"),
            "pets": customer.pets.all(),
            "bookings": Booking.objects.filter(customer=customer, start__gte=timezone.now())
            .select_related("service", "pet")
            .order_by("start")[:5],
        }
    )
    return page(request, "whatsapp/conversation.html", context)


@staff_page
def conversation_messages_fragment(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(conversation_id)
    conversation_mark_read(conversation_id=conversation.pk)
    return page(request, "whatsapp/_conversation_live.html", _timeline_context(request, conversation))


@require_POST
@staff_page
def conversation_reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(conversation_id)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            conversation_staff_reply(conversation_id=conversation.pk, user=request.user, text=form.cleaned_data["text"],
                                     attachment=form.cleaned_data["attachment"])  # fmt: skip
        except SendRefused as refused:
            form.add_error(None, str(refused))
    if request.htmx:
        context = {"conversation": conversation, "reply_form": form if form.errors else ReplyForm(),
                   "canned_replies": CannedReply.objects.all()}  # fmt: skip
        response = page(request, "whatsapp/_reply_form.html", context)
        response["HX-Trigger"] = f"oxy-conversation-{conversation.pk}"  # show it at once, socket or not
        return response
    for error in form.non_field_errors():
        messages.error(request, error)
    return redirect("conversation-detail", conversation_id=conversation.pk)


@require_POST
@staff_page
def conversation_owner(request: HttpRequest, conversation_id: int, action: str) -> HttpResponse:
    conversation = _conversation(conversation_id)
    actor = actor_of(request)
    if action == "take-over":
        conversation_take_over(conversation_id=conversation.pk, actor=actor, assignee=request.user)
        messages.success(request, _("You are answering this conversation; the bot stays silent."))
    elif action == "pause":
        conversation_pause(conversation_id=conversation.pk, actor=actor)
        messages.success(request, _("The bot is paused in this conversation."))
    else:
        conversation_hand_back(conversation_id=conversation.pk, actor=actor)
        messages.success(request, _("The bot answers this conversation again."))
    return redirect("conversation-detail", conversation_id=conversation.pk)


@require_POST
@staff_page
def conversation_note(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(conversation_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        conversation_note_add(conversation_id=conversation.pk, user=request.user, text=form.cleaned_data["text"])
    else:
        messages.error(request, _("The note is empty."))
    return redirect("conversation-detail", conversation_id=conversation.pk)


@require_POST
@staff_page
def conversation_assignee(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(conversation_id)
    chosen = request.POST.get("assignee", "")
    assignee = get_object_or_404(User.objects.exclude(role=""), pk=chosen) if chosen else None
    conversation_assign(conversation_id=conversation.pk, assignee=assignee, actor=actor_of(request))
    messages.success(request, _("Assigned to %(who)s.") % {"who": assignee.email} if assignee else _("Unassigned."))
    return redirect("conversation-detail", conversation_id=conversation.pk)


@staff_page
def message_media(request: HttpRequest, message_id: int) -> FileResponse:
    return _file_of(get_object_or_404(Message.objects.exclude(media=""), pk=message_id))


def _file_of(message: Message) -> FileResponse:
    return FileResponse(message.media.open("rb"), filename=message.data.get("filename") or None)


def media_by_link(request: HttpRequest, token: str) -> FileResponse:
    """A file we send, fetched by the provider from a signed, expiring link
    (on the base domain: the provider knows no shop host)."""
    try:
        schema, message_id = media_link_read(token)
    except signing.BadSignature as exc:
        raise Http404 from exc
    if not get_tenant_model().objects.filter(schema_name=schema).exists():
        raise Http404
    with schema_context(schema):
        message = Message.objects.filter(pk=message_id).exclude(media="").first()
        if message is None:
            raise Http404
        return _file_of(message)


@managers_page
def canned_replies(request: HttpRequest) -> HttpResponse:
    form = CannedReplyForm(request.POST or None)
    if request.method == "POST":
        if "delete" in request.POST:
            CannedReply.objects.filter(pk=request.POST["delete"]).delete()
            return redirect("canned-replies")
        if form.is_valid():
            form.save()
            messages.success(request, _("Canned reply saved."))
            return redirect("canned-replies")
    return page(request, "whatsapp/canned_replies.html", {"form": form, "replies": CannedReply.objects.all()})
