"""What the agenda and customer pages share."""

from datetime import date

from django.http import HttpRequest, QueryDict
from django.utils import timezone

from ..availability import shop_timezone


def posted(request: HttpRequest) -> QueryDict | None:
    """A form's data: the POST, even an empty one (`request.POST or None`
    would leave a form with nothing ticked unbound, and silent)."""
    return request.POST if request.method == "POST" else None


def shop_today() -> date:
    return timezone.localdate(timezone=shop_timezone())
