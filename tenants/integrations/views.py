"""Settings → Webhooks and alerts (managers and owners): endpoints with a
secret shown once, a test event, the recent deliveries with replay, and
where alerts go."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from oxy.dashboard import actor_of, managers_page
from tenants.shop.views.common import confirm_page, no_store, reveal_later, revealed, saved, settings_page

from .forms import AlertSettingsForm, WebhookEndpointForm
from .models import WebhookDelivery, WebhookEndpoint
from .selectors import webhook_delivery_recent, webhook_endpoint_list
from .services import alerts, webhooks

SECTION = "webhooks"


@managers_page
@require_http_methods(["GET", "POST"])
def webhooks_page(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        endpoint, secret = webhooks.webhook_endpoint_create(actor=actor_of(request), **form.cleaned_data)
        reveal_later(request, kind="webhook_secret", label=endpoint.url, secret=secret)
        return saved(request, _("Webhook to %(url)s added.") % {"url": endpoint.url}, "settings_webhooks")
    current = alerts.alert_settings()
    alerts_form = AlertSettingsForm(initial={"emails": current.emails})
    context = {"form": form, "alerts_form": alerts_form, "slack_configured": bool(current.slack_webhook_url),
               "endpoints": webhook_endpoint_list(), "deliveries": webhook_delivery_recent(),
               "new_secret": revealed(request, "webhook_secret")}  # fmt: skip
    return no_store(settings_page(request, "shop/settings/webhooks.html", SECTION, context))


@managers_page
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
               "active": endpoint.active}  # fmt: skip
    form = WebhookEndpointForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        webhooks.webhook_endpoint_update(endpoint=endpoint, actor=actor_of(request), **form.cleaned_data)
        return saved(request, _("Webhook saved."), "settings_webhooks")
    return settings_page(request, "shop/settings/webhook_form.html", SECTION, {"form": form, "endpoint": endpoint})


@managers_page
@require_http_methods(["GET", "POST"])
def webhook_remove(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    if request.method == "POST":
        webhooks.webhook_endpoint_delete(endpoint=endpoint, actor=actor_of(request))
        return saved(request, _("Webhook to %(url)s removed.") % {"url": endpoint.url}, "settings_webhooks")
    return confirm_page(
        request, section=SECTION, title=_("Remove a webhook"),
        question=_("%(url)s receives no more events, and its delivery log is deleted.") % {"url": endpoint.url},
        button=_("Remove"), back="settings_webhooks",
    )  # fmt: skip


@managers_page
@require_http_methods(["GET", "POST"])
def webhook_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    if request.method == "POST":
        secret = webhooks.webhook_secret_rotate(endpoint=endpoint, actor=actor_of(request))
        reveal_later(request, kind="webhook_secret", label=endpoint.url, secret=secret)
        return saved(request, _("New secret for %(url)s.") % {"url": endpoint.url}, "settings_webhooks")
    return confirm_page(
        request, section=SECTION, title=_("Rotate a webhook secret"),
        question=_("Requests to %(url)s are signed with a new secret from now on; the old one stops working at "
                   "once.") % {"url": endpoint.url},
        button=_("Rotate"), back="settings_webhooks",
    )  # fmt: skip


@managers_page
@require_POST
def webhook_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    webhooks.webhook_test_send(endpoint=endpoint, actor=actor_of(request))
    return saved(request, _("Test event queued for %(url)s.") % {"url": endpoint.url}, "settings_webhooks")


@managers_page
@require_POST
def webhook_replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
    webhooks.webhook_delivery_replay(delivery=delivery, actor=actor_of(request))
    return saved(request, _("Event queued to be sent again."), "settings_webhooks")


@managers_page
@require_POST
def alert_settings_edit(request: HttpRequest) -> HttpResponse:
    form = AlertSettingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("settings_webhooks")
    alerts.alert_settings_update(emails=form.cleaned_data["emails"], slack_webhook_url=form.slack_change(),
                                 actor=actor_of(request))  # fmt: skip
    return saved(request, _("Alert settings saved."), "settings_webhooks")
