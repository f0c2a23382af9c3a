"""Customers and their pets: search, each customer's page (contact, pets and
vaccinations, bookings, conversations) and, for managers and owners, the
LGPD export and erasure, each behind an explicit "I understand"."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oxy.dashboard import actor_of, managers_page, page, paginate, staff_page

from .. import services
from ..errors import BookingError
from ..models import Customer, Pet
from ..selectors import (
    booking_list,
    customer_consent_history,
    customer_conversations,
    customer_directory,
    customer_erasure,
    customer_footprint,
    customer_is_erased,
    customer_pets,
)
from ..services.consent import consent_source_of, customer_consent_record
from ..services.privacy import customer_data_export, customer_erase
from .common import posted, shop_today
from .forms import ConfirmForm, ConsentForm, CustomerCreateForm, CustomerForm, PetForm, VaccinationForm, add_refusal

HISTORY_SHOWN = 50


@staff_page
def customers(request: HttpRequest) -> HttpResponse:
    """`?q=` searches names, e-mails and phones (the results refresh as you type)."""
    search = request.GET.get("q", "").strip()
    context = {"customers": paginate(request, customer_directory(search=search)), "q": search}
    return page(request, "bookings/customers/list.html", context, fragment="bookings/customers/_results.html")


@staff_page
def customer_new(request: HttpRequest) -> HttpResponse:
    form = CustomerCreateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            customer, created = services.customer_get_or_create(actor=actor_of(request), **form.cleaned_data)
        except BookingError as refusal:
            add_refusal(form, refusal)
        else:
            if created:
                messages.success(request, _("Customer added."))
            else:
                messages.info(request, _("This phone number is already a customer's: here they are."))
            return redirect("customers-detail", customer_id=customer.pk)
    return page(request, "bookings/customers/new.html", {"form": form})


def _living(customer_id: int) -> Customer:
    """The customer, unless erased: an erased customer's shell cannot be
    filled in again (it would bring the person back)."""
    customer = get_object_or_404(Customer, pk=customer_id)
    if customer_is_erased(customer):
        raise Http404
    return customer


def _detail(request: HttpRequest, customer: Customer, **forms) -> HttpResponse:
    """The customer's page; `forms` are bound forms to show with their errors."""
    vaccination_for, vaccination_form = forms.get("vaccination", (None, None))
    bookings = booking_list(customer_id=customer.pk).order_by("-start", "-id")
    context = {
        "customer": customer,
        "erased": customer_is_erased(customer),
        "erasure": customer_erasure(customer=customer),
        "contact_form": forms.get("contact") or CustomerForm.of(customer),
        "consent_form": forms.get("consent") or ConsentForm(auto_id="id_consent_%s"),
        "consent_history": customer_consent_history(customer=customer),
        "pet_form": forms.get("pet") or PetForm(auto_id="id_pet_%s"),
        "pets": [
            (record, vaccination_form if record.pet.pk == vaccination_for else _vaccination_form(record.pet))
            for record in customer_pets(customer=customer)
        ],
        "bookings": bookings[:HISTORY_SHOWN],
        "bookings_count": bookings.count(),
        "conversations": customer_conversations(customer=customer),
        "today": shop_today(),
    }
    return page(request, "bookings/customers/detail.html", context)


def _vaccination_form(pet: Pet, data=None) -> VaccinationForm:
    return VaccinationForm(data, auto_id=f"id_vaccine_{pet.pk}_%s")


@staff_page
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _detail(request, get_object_or_404(Customer, pk=customer_id))


def _saved(request: HttpRequest, customer: Customer, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("customers-detail", customer_id=customer.pk)


@require_POST
@staff_page
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _living(customer_id)
    form = CustomerForm(request.POST)
    if form.is_valid():
        try:
            services.customer_update(customer=customer, actor=actor_of(request), **form.changes())
        except BookingError as refusal:
            add_refusal(form, refusal)
        else:
            return _saved(request, customer, _("Contact saved."))
    return _detail(request, customer, contact=form)


@require_POST
@staff_page
def customer_consent(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The team records what the customer said about promotions."""
    customer = _living(customer_id)
    form = ConsentForm(request.POST, auto_id="id_consent_%s")
    if not form.is_valid():
        return _detail(request, customer, consent=form)
    actor = actor_of(request)
    recorded = customer_consent_record(
        customer=customer, granted=form.cleaned_data["granted"], source=consent_source_of(actor),
        actor_label=actor.label, note=form.cleaned_data["note"],
    )  # fmt: skip
    if recorded is None:
        messages.info(request, _("Nothing changed: that is already what the customer chose."))
        return redirect("customers-detail", customer_id=customer.pk)
    return _saved(request, customer, _("Consent recorded."))


@require_POST
@staff_page
def pet_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _living(customer_id)
    form = PetForm(request.POST, auto_id="id_pet_%s")
    if form.is_valid():
        pet = services.pet_register(customer=customer, actor=actor_of(request), **form.cleaned_data)
        return _saved(request, customer, _("%(pet)s added.") % {"pet": pet.name})
    return _detail(request, customer, pet=form)


@staff_page
def pet_edit(request: HttpRequest, customer_id: int, pet_id: int) -> HttpResponse:
    customer = _living(customer_id)
    pet = get_object_or_404(Pet, pk=pet_id, customer=customer)
    form = PetForm(posted(request), instance=pet)
    if request.method == "POST" and form.is_valid():
        services.pet_update(pet=pet, actor=actor_of(request), **form.cleaned_data)
        return _saved(request, customer, _("%(pet)s saved.") % {"pet": pet.name})
    return page(request, "bookings/customers/pet_edit.html", {"customer": customer, "pet": pet, "form": form})


@require_POST
@staff_page
def vaccination_new(request: HttpRequest, customer_id: int, pet_id: int) -> HttpResponse:
    customer = _living(customer_id)
    pet = get_object_or_404(Pet, pk=pet_id, customer=customer)
    form = _vaccination_form(pet, request.POST)
    if form.is_valid():
        try:
            services.vaccination_record(pet=pet, actor=actor_of(request), **form.cleaned_data)
        except BookingError as refusal:
            add_refusal(form, refusal)
        else:
            return _saved(request, customer, _("Vaccination recorded for %(pet)s.") % {"pet": pet.name})
    return _detail(request, customer, vaccination=(pet.pk, form))


@managers_page
def customer_export(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A confirmation page; its POST (with "I understand") downloads the zip."""
    customer = _living(customer_id)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        archive = customer_data_export(customer=customer, actor=actor_of(request))
        response = HttpResponse(archive, content_type="application/zip")
        filename = f"customer-{customer.pk}-{timezone.localdate():%Y-%m-%d}.zip"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return page(request, "bookings/customers/export.html", {"customer": customer, "form": form})


@managers_page
def customer_erase_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A confirmation page saying what will go and what stays; its POST
    (with "I understand") erases."""
    customer = _living(customer_id)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        customer_erase(customer=customer, actor=actor_of(request))
        messages.success(request, _("The customer's personal data was erased."))
        return redirect("customers")
    footprint = customer_footprint(customer=customer, now=timezone.now())
    return page(request, "bookings/customers/erase.html", {"customer": customer, "form": form, "footprint": footprint})
