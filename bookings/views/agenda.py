"""The agenda: a day or a week per resource, and what staff do to bookings
(create, move, cancel, confirm, complete, no-show) and to closures."""

from datetime import date, time, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from oxy.dashboard import actor_of, managers_page, page, staff_page

from .. import services
from ..errors import BookingError
from ..models import Booking, Closure, Resource
from ..selectors import agenda_period, booking_list, bookings_on_days, closures_current, shop_opening
from .agenda_grid import agenda_grid
from .common import posted, shop_today
from .forms import BookingCancelForm, BookingForm, BookingMoveForm, ClosureForm, add_refusal


def agenda_url(*, day: date, view: str = "day", resource: int | None = None) -> str:
    params = {"view": view, "day": day.isoformat()} | ({"resource": resource} if resource else {})
    return f"{reverse('agenda')}?{urlencode(params)}"


def _day_of(booking: Booking) -> date:
    return timezone.localtime(booking.start).date()


def _date_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _resource_asked(request: HttpRequest) -> int | None:
    value = request.GET.get("resource", "")
    return int(value) if value.isdigit() and Resource.objects.filter(pk=value).exists() else None


@staff_page
def agenda(request: HttpRequest) -> HttpResponse:
    """`?view=day|week`, `?day=YYYY-MM-DD` (default today), `?resource=<id>`."""
    view = "week" if request.GET.get("view") == "week" else "day"
    today = shop_today()
    day = _date_or_none(request.GET.get("day", "")) or today
    resource = _resource_asked(request)
    first = day - timedelta(days=day.weekday()) if view == "week" else day
    last = first + timedelta(days=6) if view == "week" else day
    period = agenda_period(first_day=first, last_day=last, resource_id=resource)
    step = timedelta(days=7 if view == "week" else 1)

    def url(**changes) -> str:
        return agenda_url(**({"day": day, "view": view, "resource": resource} | changes))

    context = {
        "view": view, "day": day, "first": first, "last": last, "resource": resource,
        "grid": agenda_grid(period, today=today),
        "links": {"previous": url(day=day - step), "next": url(day=day + step), "today": url(day=today),
                  "day": url(view="day"), "week": url(view="week")},
        "resource_links": [(None, _("Everyone"), url(resource=None))]
        + [(r.pk, r.name, url(resource=r.pk)) for r in Resource.objects.filter(active=True)],
        "new_booking": f"{reverse('agenda-new')}?{urlencode({'day': day.isoformat()})}",
    }  # fmt: skip
    return page(request, "bookings/agenda/agenda.html", context, fragment="bookings/agenda/_grid.html")


def _book(data: dict, actor) -> Booking:
    details = {"service": data["service"], "start": data["start"], "customer": data["customer"], "pet": data["pet"],
               "notes": data["notes"], "actor": actor}  # fmt: skip
    if data["resource"]:
        return services.booking_create(resource=data["resource"], **details)
    return services.booking_create_on_any_resource(**details)


def _booking_initial(request: HttpRequest) -> dict:
    """What the link asked for; `?day=` alone starts the form at that day's opening."""
    initial = request.GET.dict()
    day = _date_or_none(initial.get("day", ""))
    if day and not initial.get("start"):
        initial["start"] = f"{day.isoformat()}T{shop_opening(day=day) or time(9):%H:%M}"
    return initial


@staff_page
def booking_new(request: HttpRequest) -> HttpResponse:
    """The booking form; `?customer=<id>` (and pet, service, resource, start)
    fill it in. HTMX re-renders it when a choice changes its other options."""
    if request.method == "POST":
        form = BookingForm(request.POST, search=request.POST.get("q", ""))
        if form.is_valid():
            try:
                booking = _book(form.cleaned_data, actor_of(request))
            except BookingError as refusal:
                add_refusal(form, refusal)
            else:
                messages.success(request, _("Booked: %(service)s for %(customer)s, %(when)s.") % {
                    "service": booking.service.name, "customer": booking.customer,
                    "when": timezone.localtime(booking.start).strftime("%d/%m %H:%M")})  # fmt: skip
                return redirect(agenda_url(day=_day_of(booking)))
    else:
        form = BookingForm(initial=_booking_initial(request), search=request.GET.get("q", ""))
    return page(request, "bookings/agenda/booking_new.html", {"form": form},
                fragment="bookings/agenda/_booking_form.html")  # fmt: skip


@staff_page
def customer_options(request: HttpRequest) -> HttpResponse:
    """The booking form's customer list for what was typed in its search box."""
    form = BookingForm(initial=request.GET.dict(), search=request.GET.get("q", ""))
    return page(request, "bookings/agenda/_customer_select.html", {"form": form})


def _booking_page(request: HttpRequest, booking: Booking, *, move_form: BookingMoveForm | None = None) -> HttpResponse:
    move_form = move_form or BookingMoveForm(initial={"start": booking.start, "resource": booking.resource_id})
    context = {
        "booking": booking, "move_form": move_form, "active": booking.status in Booking.ACTIVE_STATUSES,
        "started": booking.start <= timezone.now(), "agenda": agenda_url(day=_day_of(booking)),
    }  # fmt: skip
    return page(request, "bookings/agenda/booking.html", context)


@staff_page
def booking_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    return _booking_page(request, get_object_or_404(booking_list(), pk=booking_id))


@require_POST
@staff_page
def booking_move(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = get_object_or_404(booking_list(), pk=booking_id)
    form = BookingMoveForm(request.POST)
    if form.is_valid():
        try:
            booking = services.booking_reschedule(booking=booking, actor=actor_of(request), **form.cleaned_data)
        except BookingError as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, _("Booking moved to %(when)s.") % {
                "when": timezone.localtime(booking.start).strftime("%d/%m %H:%M")})  # fmt: skip
            return redirect(agenda_url(day=_day_of(booking)))
    return _booking_page(request, booking, move_form=form)


@staff_page
def booking_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    """A confirmation page; the booking is cancelled only by its POST."""
    booking = get_object_or_404(booking_list(), pk=booking_id)
    form = BookingCancelForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_cancel(booking=booking, reason=form.cleaned_data["reason"], actor=actor_of(request))
        except BookingError as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, _("Booking cancelled."))
            return redirect(agenda_url(day=_day_of(booking)))
    return page(request, "bookings/agenda/booking_cancel.html", {"booking": booking, "form": form})


STATUS_ACTIONS = {
    "confirm": (services.booking_confirm, gettext_lazy("Booking confirmed.")),
    "complete": (services.booking_complete, gettext_lazy("Marked as completed.")),
    "no-show": (services.booking_mark_no_show, gettext_lazy("Marked as no-show.")),
}


@require_POST
@staff_page
def booking_status(request: HttpRequest, booking_id: int, action: str) -> HttpResponse:
    booking = get_object_or_404(booking_list(), pk=booking_id)
    change, done = STATUS_ACTIONS[action]
    try:
        change(booking=booking, actor=actor_of(request))
    except BookingError as refusal:
        messages.error(request, refusal.message)
        return redirect("agenda-booking", booking_id=booking.pk)
    messages.success(request, done)
    return redirect(agenda_url(day=_day_of(booking)))


def _closures_page(request: HttpRequest, form: ClosureForm) -> HttpResponse:
    context = {"closures": closures_current(today=shop_today()), "form": form}
    return page(request, "bookings/agenda/closures.html", context)


@staff_page
def closures(request: HttpRequest) -> HttpResponse:
    """Everyone sees the closures; managers and owners add and remove them."""
    return _closures_page(request, ClosureForm())


@require_POST
@managers_page
def closure_new(request: HttpRequest) -> HttpResponse:
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            closure = services.closure_create(actor=actor_of(request), **form.cleaned_data)
        except BookingError as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, _("Closure added."))
            _warn_of_bookings_in(request, closure)
            return redirect("agenda-closures")
    return _closures_page(request, form)


def _warn_of_bookings_in(request: HttpRequest, closure: Closure) -> None:
    bookings = bookings_on_days(first_day=closure.start_date, last_day=closure.end_date,
                                resource_id=closure.resource_id)  # fmt: skip
    if count := bookings.filter(status__in=Booking.ACTIVE_STATUSES).count():
        messages.warning(request, _("%(count)d booking(s) already fall on those days; they were not cancelled.")
                         % {"count": count})  # fmt: skip


@require_POST
@managers_page
def closure_remove(request: HttpRequest, closure_id: int) -> HttpResponse:
    services.closure_delete(closure=get_object_or_404(Closure, pk=closure_id), actor=actor_of(request))
    messages.success(request, _("Closure removed."))
    return redirect("agenda-closures")
