"""The shop itself: its profile, its opening hours and its owners' numbers."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bookings.errors import BookingError
from bookings.models import BusinessHours
from bookings.services import business_hours_replace
from oxy.dashboard import actor_of, managers_page

from .. import services
from ..forms import OwnerNumberForm, ProfileForm, week_formset
from ..models import OwnerNumber
from ..selectors import owner_number_list, shop_settings_current
from .common import confirm_page, saved, settings_page


@managers_page
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    shop = request.tenant
    initial = {"name": shop.name, "time_zone": shop.timezone, "language": shop_settings_current().language}
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        services.shop_profile_update(organization=shop, actor=actor_of(request), **form.cleaned_data)
        return saved(request, _("The shop's profile was saved."), "settings_profile")
    return settings_page(request, "shop/settings/profile.html", "profile", {"form": form})


@managers_page
@require_http_methods(["GET", "POST"])
def hours(request: HttpRequest) -> HttpResponse:
    formset = week_formset(request.POST if request.method == "POST" else None, intervals=BusinessHours.objects.all())
    error = ""
    if formset.is_valid():
        try:
            business_hours_replace(hours=formset.week(), actor=actor_of(request))
        except BookingError as exc:
            error = exc.message
        else:
            return saved(request, _("Opening hours saved."), "settings_hours")
    return settings_page(request, "shop/settings/hours.html", "hours", {"formset": formset, "error": error})


@managers_page
@require_http_methods(["GET", "POST"])
def owners(request: HttpRequest) -> HttpResponse:
    form = OwnerNumberForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        number = services.owner_number_add(actor=actor_of(request), **form.cleaned_data)
        return saved(request, _("%(phone)s now reaches Aurora.") % {"phone": number.phone}, "settings_owners")
    context = {"form": form, "numbers": owner_number_list()}
    return settings_page(request, "shop/settings/owners.html", "owners", context)


@managers_page
@require_http_methods(["GET", "POST"])
def owner_remove(request: HttpRequest, number_id: int) -> HttpResponse:
    number = get_object_or_404(OwnerNumber, pk=number_id)
    if request.method == "POST":
        services.owner_number_remove(number=number, actor=actor_of(request))
        return saved(request, _("%(phone)s no longer reaches Aurora.") % {"phone": number.phone}, "settings_owners")
    return confirm_page(
        request, section="owners", title=_("Remove an owner number"),
        question=_("Messages from %(phone)s will reach the customer attendant instead of Aurora.")
        % {"phone": number.phone},
        button=_("Remove"), back="settings_owners",
    )  # fmt: skip
