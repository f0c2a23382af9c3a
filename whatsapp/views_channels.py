"""Channels (numbers) and the phone simulator that plays a customer on a
sandbox channel: how a new shop tries the attendant before its real number."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oxy.dashboard import actor_of, managers_page, page, staff_page
from oxy.phones import InvalidPhoneNumber, phone_to_e164

from .forms import ChannelCreateForm, PairingForm, SimulatorMessageForm, SimulatorPairForm
from .inbox.models import ChannelRoute, Provider
from .models import Channel
from .providers.base import ProviderError
from .services.channels import ChannelError, channel_create, channel_logout, channel_pairing_start, webhook_url
from .simulator import simulator_message_send, simulator_pairing_code_enter, simulator_thread, simulator_thread_seen


@staff_page
def channel_list(request: HttpRequest) -> HttpResponse:
    form = ChannelCreateForm(request.POST or None)
    if request.method == "POST":
        if not request.user.can_manage_shop:
            return page(request, "403.html", {}, status=403)
        if form.is_valid():
            try:
                channel, _route = channel_create(
                    name=form.cleaned_data["name"], provider=form.cleaned_data["provider"],
                    external_id=form.cleaned_data["external_id"], credentials=form.cleaned_data["access_token"],
                    app_secret=form.cleaned_data["app_secret"], actor=actor_of(request),
                )  # fmt: skip
            except (ChannelError, ProviderError) as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Channel %(name)s added.") % {"name": channel.name})
                return redirect("channel-detail", channel_id=channel.pk)
    channels = Channel.objects.order_by("name")
    return page(request, "whatsapp/channels.html", {"channels": channels, "form": form})


def _channel_context(channel: Channel) -> dict:
    route = ChannelRoute.objects.filter(provider=channel.provider, external_id=channel.external_id).first()
    return {
        "channel": channel,
        "history": channel.state_changes.order_by("-created_at")[:20],
        "webhook_url": webhook_url(route) if route and channel.provider != Provider.SANDBOX else "",
        "verify_token": route.verify_token if route and channel.provider == Provider.CLOUD else "",
        "pairing_form": PairingForm(),
    }


@staff_page
def channel_detail(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    return page(request, "whatsapp/channel.html", _channel_context(channel))


@staff_page
def channel_state_fragment(request: HttpRequest, channel_id: int) -> HttpResponse:
    """State, pairing code or QR: reloaded live as the channel changes."""
    channel = get_object_or_404(Channel, pk=channel_id)
    return page(request, "whatsapp/_channel_state.html", _channel_context(channel))


@require_POST
@managers_page
def channel_connect(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    form = PairingForm(request.POST)
    phone = ""
    if form.is_valid() and form.cleaned_data["phone"].strip():
        try:
            phone = phone_to_e164(form.cleaned_data["phone"])
        except InvalidPhoneNumber as error:
            messages.error(request, str(error))
            return redirect("channel-detail", channel_id=channel.pk)
    try:
        channel_pairing_start(channel=channel, phone=phone, actor=actor_of(request))
    except (ChannelError, ProviderError) as error:
        messages.error(request, _("The provider refused to start pairing: %(error)s") % {"error": error})
    return redirect("channel-detail", channel_id=channel.pk)


@require_POST
@managers_page
def channel_logout_view(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    try:
        channel_logout(channel=channel, actor=actor_of(request))
    except (ChannelError, ProviderError) as error:
        messages.error(request, _("The provider refused to log out: %(error)s") % {"error": error})
    else:
        messages.success(request, _("Logged out: this number no longer sends or receives through Oxy."))
    return redirect("channel-detail", channel_id=channel.pk)


# -- the phone simulator ------------------------------------------------------


def _sandbox(channel_id: int) -> Channel:
    return get_object_or_404(Channel, pk=channel_id, provider=Provider.SANDBOX)


def _simulated_phone(request: HttpRequest) -> str:
    raw = request.POST.get("phone") or request.GET.get("phone") or SimulatorMessageForm.base_fields["phone"].initial
    try:
        return phone_to_e164(raw)
    except InvalidPhoneNumber:
        return ""


def _simulator_context(request: HttpRequest, channel: Channel, **forms) -> dict:
    phone = _simulated_phone(request)
    return {
        "channel": channel,
        "phone": phone,
        "thread": simulator_thread(channel=channel, phone=phone) if phone else [],
        "message_form": forms.get("message_form") or SimulatorMessageForm(initial={"phone": phone} if phone else None),
        "pair_form": forms.get("pair_form") or SimulatorPairForm(prefix="pair"),
    }


@staff_page
def simulator(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = _sandbox(channel_id)
    return page(request, "whatsapp/simulator.html", _simulator_context(request, channel))


@staff_page
def simulator_thread_fragment(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = _sandbox(channel_id)
    context = _simulator_context(request, channel)
    simulator_thread_seen(channel=channel, thread=context["thread"])
    return page(request, "whatsapp/_simulator_thread.html", context)


@require_POST
@staff_page
def simulator_send(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = _sandbox(channel_id)
    form = SimulatorMessageForm(request.POST)
    if form.is_valid():
        try:
            phone = phone_to_e164(form.cleaned_data["phone"])
            simulator_message_send(channel=channel, phone=phone, text=form.cleaned_data["text"],
                                   name=form.cleaned_data["name"])  # fmt: skip
        except InvalidPhoneNumber as error:
            form.add_error("phone", str(error))
        except ChannelError as error:
            form.add_error(None, str(error))
        else:
            form = SimulatorMessageForm(initial={key: form.cleaned_data[key] for key in ("phone", "name")})
    return page(request, "whatsapp/simulator.html", _simulator_context(request, channel, message_form=form),
                fragment="whatsapp/_simulator_phone.html")  # fmt: skip


@require_POST
@staff_page
def simulator_pair(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = _sandbox(channel_id)
    form = SimulatorPairForm(request.POST, prefix="pair")
    if form.is_valid():
        try:
            simulator_pairing_code_enter(channel=channel, code=form.cleaned_data["code"],
                                         phone=phone_to_e164(form.cleaned_data["phone"]))  # fmt: skip
        except InvalidPhoneNumber as error:
            form.add_error("phone", str(error))
        except ChannelError as error:
            form.add_error("code", str(error))
        else:
            messages.success(request, _("Code entered: the channel connects in a moment."))
            return redirect("simulator", channel_id=channel.pk)
    return page(request, "whatsapp/simulator.html", _simulator_context(request, channel, pair_form=form))
