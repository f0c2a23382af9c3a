"""Privacy (LGPD): how long the shop keeps raw WhatsApp events and messages,
and what the retention job last did."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from oxy.dashboard import actor_of, managers_page

from ..forms import RetentionForm
from ..retention import retention_settings_update
from ..selectors import shop_settings_current
from .common import saved, settings_page


@managers_page
@require_http_methods(["GET", "POST"])
def privacy(request: HttpRequest) -> HttpResponse:
    shop = shop_settings_current()
    initial = {"raw_events_retention_days": shop.raw_events_retention_days,
               "message_retention_months": shop.message_retention_months}  # fmt: skip
    form = RetentionForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        retention_settings_update(actor=actor_of(request), **form.cleaned_data)
        return saved(request, _("The retention settings were saved."), "settings_privacy")
    return settings_page(request, "shop/settings/privacy.html", "privacy", {"form": form, "shop": shop})
