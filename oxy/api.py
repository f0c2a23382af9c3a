"""What every endpoint of the shop API shares: who is calling (a staff
session or an API key), what their role allows, and one error shape:
`{"code": ..., "message": ..., "fields": {...}}`."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from bookings.errors import BookingError
from tenants.shop.models import ApiKey
from tenants.shop.services import Actor, api_key_hash
from whatsapp.providers.base import ProviderError
from whatsapp.services.channels import ChannelError
from whatsapp.services.outbound import SendRefused

# A read-only API key passes as staff for safe methods only (see IsShopStaff).
SHOP_ROLES = {"owner", "manager", "attendant", ApiKey.Role.READ}
MANAGING_ROLES = {"owner", "manager"}


@dataclass
class ApiKeyPrincipal:
    api_key: ApiKey

    is_authenticated = True
    is_active = True

    @property
    def role(self) -> str:
        return self.api_key.role

    @property
    def email(self) -> str:
        return f"api-key:{self.api_key.name}"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key oxy_<prefix>.<secret>`, looked up in the
    schema of the shop whose host was called: another shop's key is unknown."""

    keyword = "Api-Key"

    def authenticate(self, request: Request):
        header = request.headers.get("Authorization", "")
        if not header.startswith(f"{self.keyword} "):
            return None
        key = header.removeprefix(f"{self.keyword} ").strip()
        prefix = key.removeprefix("oxy_").split(".", 1)[0]
        if connection.schema_name == "public":
            raise exceptions.AuthenticationFailed(_("API keys work only on a shop's host."))
        api_key = ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
        if api_key is None or api_key.key_hash != api_key_hash(key):
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key oxy_<prefix>.<secret>`, created in the shop's admin; shown once.",
        }


def request_actor(request: Request) -> Actor:
    if isinstance(request.user, ApiKeyPrincipal):
        return Actor.api_key(request.user.api_key)
    return Actor.staff(request.user)


class IsShopStaff(permissions.BasePermission):
    """Any role of this shop may read and book; writes on the catalogue,
    resources and hours need a managing role (see `ManagersWrite`)."""

    message = _("Sign in as staff of this shop, or use one of its API keys.")

    def has_permission(self, request: Request, view) -> bool:
        if not (
            connection.schema_name != "public"
            and request.user.is_authenticated
            and getattr(request.user, "role", "") in SHOP_ROLES
        ):
            return False
        if request.user.role == ApiKey.Role.READ and request.method not in permissions.SAFE_METHODS:
            self.message = _("This API key is read only: it may not change anything.")
            return False
        return True


class ManagersWrite(IsShopStaff):
    def has_permission(self, request: Request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.user.role not in MANAGING_ROLES:
            self.message = _("Only managers and owners can change this.")
            return False
        return True


class ManagersOnly(IsShopStaff):
    """Figures with revenue and costs: managers and owners only."""

    def has_permission(self, request: Request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        self.message = _("Only managers and owners can see this.")
        return request.user.role in MANAGING_ROLES


class _RateFromSettings(SimpleRateThrottle):
    """Rates come from Django settings at request time (not DRF's import-time
    copy), so deployments set them by env and tests override them."""

    setting = ""

    def get_rate(self) -> str:
        return getattr(settings, self.setting)


class PerApiKeyThrottle(_RateFromSettings):
    """One bucket per API key, or per staff member for dashboard sessions."""

    setting = "OXY_API_RATE_PER_KEY"

    def get_cache_key(self, request: Request, view) -> str | None:
        if isinstance(request.user, ApiKeyPrincipal):
            return f"throttle:api_key:{request.user.api_key.pk}"
        if request.user.is_authenticated:
            return f"throttle:user:{request.user.pk}"
        return None  # refused before throttling anyway


class PerShopThrottle(_RateFromSettings):
    """One bucket for everything calling one shop: the cache key function
    (django_tenants.cache.make_key) puts the schema name in front."""

    setting = "OXY_API_RATE_PER_SHOP"

    def get_cache_key(self, request: Request, view) -> str | None:
        return "throttle:shop" if connection.schema_name != "public" else None


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        return _first_message(next(iter(detail.values()), ""))
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def api_exception_handler(exc, context) -> Response | None:
    from rest_framework.views import exception_handler  # DRF's views import this module's classes

    if isinstance(exc, BookingError):
        return Response({"code": exc.code, "message": exc.message, "fields": {}}, status=400)
    if isinstance(exc, ChannelError | SendRefused):
        return Response({"code": "channel_error", "message": str(exc), "fields": {}}, status=400)
    if isinstance(exc, ProviderError):
        return Response({"code": "provider_unavailable", "message": str(exc), "fields": {}}, status=502)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    if isinstance(exc, DjangoValidationError):  # a model's own checks in a service (e.g. a name already taken)
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {}
        response.data = {"code": "invalid", "message": _first_message(exc.detail), "fields": fields}
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = {"code": code, "message": _first_message(exc.detail), "fields": {}}
    return response
