"""What the shop sells and who does the work: services (with price and
duration by pet size) and resources, written by bookings.services."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bookings.errors import BookingError
from bookings.models import Resource, Service
from bookings.selectors import service_list
from bookings.services import resource_create, resource_update, service_create, service_update
from oxy.dashboard import actor_of, managers_page

from ..forms import ResourceForm, ServiceForm, week_formset
from .common import saved, settings_page


@managers_page
@require_GET
def services(request: HttpRequest) -> HttpResponse:
    return settings_page(request, "shop/settings/services.html", "services", {
        "services": service_list(include_inactive=True).order_by("-active", "name"),
    })  # fmt: skip


@managers_page
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, service_id: int | None = None) -> HttpResponse:
    service = get_object_or_404(Service, pk=service_id) if service_id else None
    form = ServiceForm(request.POST if request.method == "POST" else None, instance=service)
    if form.is_valid():
        try:
            if service:
                service_update(service=service, size_rules=form.size_rules(), actor=actor_of(request),
                               **form.service_fields())  # fmt: skip
            else:
                service = service_create(size_rules=form.size_rules(), actor=actor_of(request), **form.service_fields())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return saved(request, _("“%(name)s” saved.") % {"name": service.name}, "settings_services")
    return settings_page(request, "shop/settings/service_form.html", "services", {"form": form, "service": service})


@managers_page
@require_POST
def service_active(request: HttpRequest, service_id: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=service_id)
    active = request.POST.get("active") == "1"
    service_update(service=service, active=active, actor=actor_of(request))
    message = _("“%(name)s” is offered again.") if active else _("“%(name)s” is no longer offered.")
    return saved(request, message % {"name": service.name}, "settings_services")


@managers_page
@require_GET
def resources(request: HttpRequest) -> HttpResponse:
    rows = Resource.objects.prefetch_related("services", "hours").order_by("-active", "name")
    return settings_page(request, "shop/settings/resources.html", "resources", {"resources": rows})


@managers_page
@require_http_methods(["GET", "POST"])
def resource_edit(request: HttpRequest, resource_id: int | None = None) -> HttpResponse:
    resource = get_object_or_404(Resource, pk=resource_id) if resource_id else None
    data = request.POST if request.method == "POST" else None
    form = ResourceForm(data, instance=resource)
    formset = week_formset(data, intervals=resource.hours.all() if resource else ())
    error = ""
    if all([form.is_valid(), formset.is_valid()]):  # both checked: every error shows at once
        arguments = {"name": form.cleaned_data["name"], "kind": form.cleaned_data["kind"], "actor": actor_of(request),
                     "service_ids": [s.pk for s in form.cleaned_data["services"]], "hours": formset.week()}  # fmt: skip
        try:
            resource = resource_update(resource=resource, **arguments) if resource else resource_create(**arguments)
        except ValidationError as exc:
            form.add_error(None, exc)
        except BookingError as exc:
            error = exc.message
        else:
            return saved(request, _("“%(name)s” saved.") % {"name": resource.name}, "settings_resources")
    context = {"form": form, "formset": formset, "resource": resource, "error": error}
    return settings_page(request, "shop/settings/resource_form.html", "resources", context)


@managers_page
@require_POST
def resource_active(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = get_object_or_404(Resource, pk=resource_id)
    active = request.POST.get("active") == "1"
    resource_update(resource=resource, active=active, actor=actor_of(request))
    message = _("“%(name)s” takes bookings again.") if active else _("“%(name)s” no longer takes bookings.")
    return saved(request, message % {"name": resource.name}, "settings_resources")
