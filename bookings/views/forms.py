"""The forms of the agenda and customer pages: they parse and explain what
is wrong; the services decide."""

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..errors import BookingError
from ..models import Customer, Pet, Resource, Service
from ..selectors import customer_list, customers_to_pick, service_menu


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; the value is shop time (the pages
    run with the shop's timezone active)."""

    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


# Which field a service's refusal is about (others show above the form).
_REFUSAL_FIELDS = {
    "pet_required": "pet", "pet_not_customers": "pet", "species_not_allowed": "pet", "vaccine_missing": "pet",
    "in_past": "start", "too_soon": "start", "too_far": "start", "closed": "start", "outside_hours": "start",
    "slot_taken": "start", "resource_cannot_do_service": "resource", "service_inactive": "service",
    "no_resource": "resource", "closure_invalid": "end_date", "due_before_applied": "due_on",
    "phone_invalid": "phone", "phone_taken": "phone",
}  # fmt: skip


def add_refusal(form: forms.Form, refusal: BookingError) -> None:
    field = _REFUSAL_FIELDS.get(refusal.code)
    form.add_error(field if field in form.fields else None, refusal.message)


class BookingForm(forms.Form):
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.none(), label=gettext_lazy("Customer"), empty_label=gettext_lazy("Choose…")
    )
    pet = forms.ModelChoiceField(
        queryset=Pet.objects.none(), required=False, label=gettext_lazy("Pet"), empty_label=gettext_lazy("No pet")
    )
    service = forms.ModelChoiceField(queryset=Service.objects.filter(active=True), label=gettext_lazy("Service"))
    resource = forms.ModelChoiceField(
        queryset=Resource.objects.filter(active=True), required=False, label=gettext_lazy("Who does it"),
        empty_label=gettext_lazy("Anyone free"),
    )  # fmt: skip
    start = forms.DateTimeField(label=gettext_lazy("Start"), widget=LocalDateTimeInput())
    notes = forms.CharField(required=False, label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, search: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.search = search
        self.fields["customer"].queryset = customer_list()
        customer_id = str(self["customer"].value() or "")
        self.chosen_customer_id = int(customer_id) if customer_id.isdigit() else None
        pets = Pet.objects.filter(customer_id=self.chosen_customer_id)
        self.fields["pet"].queryset = pets
        pet_id = str(self["pet"].value() or "")
        self.chosen_pet = pets.filter(pk=pet_id).first() if pet_id.isdigit() else None
        # Each service with its duration and price for this pet's size.
        size = self.chosen_pet.size if self.chosen_pet else "M"
        self.menu = {item.service.pk: item for item in service_menu(size=size)}
        self.fields["service"].label_from_instance = self._service_label

    def _service_label(self, service: Service) -> str:
        item = self.menu.get(service.pk)
        if item is None:
            return service.name
        return f"{service.name} · {item.minutes} min · R$ {number_format(item.price, 2)}"

    @property
    def chosen_terms(self):
        """The chosen service's duration and price for the chosen pet, if any."""
        service_id = str(self["service"].value() or "")
        return self.menu.get(int(service_id)) if service_id.isdigit() else None

    def customer_options(self) -> list[Customer]:
        """A short list to render (the field accepts any customer): the
        search's matches or the most recent, and the chosen one."""
        options = customers_to_pick(search=self.search)
        chosen = self.chosen_customer_id
        if chosen and all(customer.pk != chosen for customer in options):
            options = list(customer_list().filter(pk=chosen)) + options
        return options


class BookingMoveForm(forms.Form):
    start = forms.DateTimeField(label=gettext_lazy("New start"), widget=LocalDateTimeInput())
    resource = forms.ModelChoiceField(queryset=Resource.objects.filter(active=True), label=gettext_lazy("Who does it"))


class BookingCancelForm(forms.Form):
    reason = forms.CharField(
        required=False, max_length=200, label=gettext_lazy("Reason (optional)"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. the customer asked by phone")}),
    )  # fmt: skip


class ClosureForm(forms.Form):
    start_date = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    end_date = forms.DateField(label=gettext_lazy("To (inclusive)"), widget=DateInput())
    reason = forms.CharField(max_length=200, label=gettext_lazy("Reason"))
    resource = forms.ModelChoiceField(
        queryset=Resource.objects.filter(active=True), required=False, label=gettext_lazy("Who is off"),
        empty_label=gettext_lazy("The whole shop"),
    )  # fmt: skip


class CustomerCreateForm(forms.Form):
    phone = forms.CharField(max_length=30, label=gettext_lazy("Phone (WhatsApp)"))
    name = forms.CharField(max_length=120, required=False, label=gettext_lazy("Name"))


class CustomerForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, label=gettext_lazy("Name"))
    phone = forms.CharField(max_length=30, required=False, label=gettext_lazy("Phone (WhatsApp)"))
    email = forms.EmailField(required=False, label=gettext_lazy("E-mail"))
    notes = forms.CharField(required=False, label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 3}))
    tags = forms.CharField(
        required=False, label=gettext_lazy("Tags"), help_text=gettext_lazy("separated by commas"),
    )  # fmt: skip

    @classmethod
    def of(cls, customer: Customer) -> "CustomerForm":
        return cls(initial={"name": customer.name, "phone": customer.phone or "", "email": customer.email,
                            "notes": customer.notes, "tags": ", ".join(customer.tags)})  # fmt: skip

    def clean_tags(self) -> list[str]:
        tags = list(dict.fromkeys(tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()))
        if any(len(tag) > 40 for tag in tags):
            raise forms.ValidationError(_("Each tag may have at most 40 characters."))
        return tags

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("name", "").strip() and not data.get("phone", "").strip() and not self.errors:
            raise forms.ValidationError(_("Give the customer a name or a phone number."))
        return data

    def changes(self) -> dict:
        """What to hand `customer_update` (an empty phone removes it)."""
        data = dict(self.cleaned_data)
        data["name"] = data["name"].strip()
        data["phone"] = data["phone"].strip() or None
        return data


class ConsentForm(forms.Form):
    """What the customer told the team about promotions and reminders."""

    granted = forms.TypedChoiceField(
        label=gettext_lazy("The customer"), coerce=lambda value: value == "1", widget=forms.RadioSelect,
        choices=[("0", gettext_lazy("does not want promotions (opt-out)")),
                 ("1", gettext_lazy("agrees to receive promotions"))],
    )  # fmt: skip
    note = forms.CharField(
        required=False, max_length=300, label=gettext_lazy("How (optional)"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. asked at the counter")}),
    )  # fmt: skip


class PetForm(forms.ModelForm):
    class Meta:
        model = Pet
        fields = ["name", "species", "size", "breed", "coat", "birth_date", "weight_kg", "notes"]
        widgets = {"birth_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "name": gettext_lazy("Name"), "species": gettext_lazy("Species"), "size": gettext_lazy("Size"),
            "breed": gettext_lazy("Breed"), "coat": gettext_lazy("Coat"), "birth_date": gettext_lazy("Birth date"),
            "weight_kg": gettext_lazy("Weight (kg)"), "notes": gettext_lazy("Notes"),
        }  # fmt: skip


class VaccinationForm(forms.Form):
    vaccine = forms.CharField(max_length=80, label=gettext_lazy("Vaccine"))
    applied_on = forms.DateField(label=gettext_lazy("Applied on"), widget=DateInput())
    due_on = forms.DateField(required=False, label=gettext_lazy("Next dose due"), widget=DateInput())


class ConfirmForm(forms.Form):
    """An explicit "I understand" before exporting or erasing a customer."""

    understood = forms.BooleanField(
        label=gettext_lazy("I understand"),
        error_messages={"required": gettext_lazy("Tick “I understand” to go on.")},
    )
