"""What the agenda and customer pages share."""

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from oxy.dashboard import View

from ..availability import shop_timezone


def in_shop_time(view: View) -> View:
    """Run the view with the shop's timezone active: forms read the times
    staff type as shop time, and templates show times in it. Goes under
    `staff_page` (which makes sure a shop is active)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        with timezone.override(shop_timezone()):
            return view(request, *args, **kwargs)

    return wrapped


def shop_today():
    return timezone.localdate(timezone=shop_timezone())
