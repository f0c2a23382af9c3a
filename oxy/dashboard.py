"""What every dashboard page shares: who may open it (and, for them, the
shop's timezone), who is acting, and rendering a whole page or, for an HTMX
request, only the fragment it asked for."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from bookings.availability import shop_timezone
from oxy.api import MANAGING_ROLES, SHOP_ROLES
from tenants.shop.services import Actor

View = Callable[..., HttpResponse]


def _for_roles(roles: set[str]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if connection.schema_name == "public":
                raise PermissionDenied  # dashboards live on a shop's host
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(request.user, "role", "") not in roles:
                raise PermissionDenied
            # Times typed in forms and shown in pages are the shop's wall clock.
            with timezone.override(shop_timezone()):
                return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_page = _for_roles(SHOP_ROLES)
"""Any member of the shop's team."""

managers_page = _for_roles(MANAGING_ROLES)
"""Managers and owners only: settings, channels, campaigns, figures."""


def actor_of(request: HttpRequest) -> Actor:
    return Actor.staff(request.user)


def page(
    request: HttpRequest, template: str, context: dict, *, fragment: str | None = None, status: int = 200
) -> HttpResponse:  # fmt: skip
    """The whole page, or only `fragment` (a template the page includes) when
    HTMX asks for a piece of it (a live refresh, a filter, a form)."""
    wants_fragment = fragment and request.htmx and not request.htmx.boosted
    return render(request, fragment if wants_fragment else template, context, status=status)


def paginate(request: HttpRequest, items, per_page: int = 30) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))
