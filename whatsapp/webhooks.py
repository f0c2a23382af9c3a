"""The providers' doors. Each answers as soon as the delivery is durable:
authenticate, store the events (duplicates skipped), 200. Everything else
happens on the `inbound` queue."""

import hmac
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from oxy.ttl_cache import TTLCache

from .inbox.models import ChannelRoute, Provider
from .inbox.services import inbound_items_store, inbound_malformed_store
from .providers import cloud, evolution

# Routes (with their shop) for a few seconds: providers post in bursts.
_routes: TTLCache = TTLCache(seconds=5)


def _route(provider: str, token: str) -> ChannelRoute | None:
    return _routes.get_or_load(
        (provider, token),
        lambda: ChannelRoute.objects.select_related("organization").filter(provider=provider, token=token).first(),
    )


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _refuse(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"status": "refused", "reason": reason}, status=status)


def _stored(route: ChannelRoute, new_ids: list[int]) -> JsonResponse:
    if route.organization.status != route.organization.Status.ACTIVE:
        # Kept, and processed once the shop is reactivated; the 503 tells the
        # provider to retry, which the dedupe key makes harmless.
        response = JsonResponse({"status": "suspended", "stored": len(new_ids)}, status=503)
        response["Retry-After"] = "3600"
        return response
    return JsonResponse({"status": "ok", "stored": len(new_ids)})


@csrf_exempt
@require_http_methods(["POST"])
def evolution_webhook(request: HttpRequest, token: str) -> HttpResponse:
    route = _route(Provider.EVOLUTION, token)
    if route is None:
        return _refuse(404, "unknown route")
    secret = request.headers.get(evolution.WEBHOOK_HEADER, "")
    if not secret:
        return _refuse(401, "missing webhook secret header")
    if not _same(secret, route.webhook_secret):
        return _refuse(403, "wrong webhook secret")
    try:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        inbound_malformed_store(provider=route.provider, route=route, raw_body=request.body, error=str(exc))
        return _refuse(400, "malformed JSON")
    if body.get("instance") != route.external_id:
        return _refuse(403, "instance does not match the route")
    if body.get("apikey") and not _same(str(body["apikey"]), route.provider_token):
        return _refuse(403, "apikey does not match the instance token")
    return _stored(route, inbound_items_store(route=route, items=evolution.webhook_items(body, request.body)))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def cloud_webhook(request: HttpRequest, token: str) -> HttpResponse:
    route = _route(Provider.CLOUD, token)
    if route is None:
        return _refuse(404, "unknown route")
    if request.method == "GET":
        # Meta's verification handshake: no body, no signature.
        if request.GET.get("hub.mode") == "subscribe" and _same(
            request.GET.get("hub.verify_token", ""), route.verify_token
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return _refuse(403, "wrong verify token")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature:
        return _refuse(401, "missing X-Hub-Signature-256")
    if not cloud.signature_valid(request.body, signature, route.webhook_secret):
        return _refuse(403, "bad signature")
    try:
        body = json.loads(request.body)
        items = [item for item in cloud.webhook_items(body) if item.route_external_id == route.external_id]
    except (ValueError, AttributeError, TypeError) as exc:
        inbound_malformed_store(provider=route.provider, route=route, raw_body=request.body, error=str(exc))
        return _refuse(400, "malformed JSON")
    return _stored(route, inbound_items_store(route=route, items=items))
