"""The Settings pages' forms. They parse and check what was typed; the
services (tenants.shop.services, bookings.services, agents.settings_services)
write it. Model forms here only validate: none of them is ever `.save()`d."""

import re
from collections import defaultdict
from datetime import time
from decimal import Decimal
from itertools import pairwise

from django import forms
from django.conf import settings
from django.contrib.postgres.forms import SimpleArrayField
from django.core.validators import MaxValueValidator
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from agents.models import AgentSettings, FaqEntry, OutreachSettings
from bookings.models import PetSize, Resource, Service, Species
from oxy.phones import InvalidPhoneNumber, phone_to_e164
from tenants.staff.models import User

from .models import MESSAGE_RETENTION_MONTHS_MAX, ApiKey, OwnerNumber, ShopSettings
from .selectors import time_zones

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAY_CHOICES = list(WEEKDAYS.items())


class MoneyField(forms.DecimalField):
    """An amount typed as people do: 45,90 or 45.90 (or 1.234,56 or 1,234.56)
    reads the same in either language; the last separator is the decimal one."""

    def to_python(self, value):
        if isinstance(value, str) and (last := max(value.rfind(","), value.rfind("."))) >= 0:
            value = re.sub(r"[.,]", "", value[:last]) + "." + value[last + 1 :]
        return super().to_python(value)


def money(label: str, **kwargs) -> MoneyField:
    # Shown localized: "45,90" in Portuguese.
    widget = forms.TextInput(attrs={"inputmode": "decimal"})
    return MoneyField(label=label, max_digits=9, decimal_places=2, min_value=0, localize=True, widget=widget, **kwargs)


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Shop name"), max_length=120)
    time_zone = forms.ChoiceField(label=_("Time zone"), help_text=_("Opening hours and bookings are in this time."))
    language = forms.ChoiceField(
        label=_("Language of automatic messages"), choices=settings.LANGUAGES,
        help_text=_("Reminders, confirmations and Aurora's reports."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name.replace("_", " ")) for name in time_zones()]


class IntervalForm(forms.Form):
    """One opening interval of one weekday; both times empty: no interval."""

    weekday = forms.TypedChoiceField(choices=WEEKDAY_CHOICES, coerce=int, widget=forms.HiddenInput)
    start = forms.TimeField(label=_("Opens"), required=False, widget=TIME)
    end = forms.TimeField(label=_("Closes"), required=False, widget=TIME)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if "start" in self.errors or "end" in self.errors:
            return data
        if (start is None) != (end is None):
            self.add_error("start" if start is None else "end", _("Fill in both times, or leave both empty."))
        elif start is not None and end <= start:
            self.add_error("end", _("Closing time must be after opening time."))
        return data

    @property
    def interval(self) -> tuple[int, time, time] | None:
        data = self.cleaned_data
        if data.get("start") is None or data.get("end") is None:
            return None
        return data["weekday"], data["start"], data["end"]


class BaseWeekFormSet(forms.BaseFormSet):
    """A week of opening intervals: several a day, none overlapping."""

    def clean(self) -> None:
        if any(self.errors):
            return
        by_day = defaultdict(list)
        for form in self.forms:
            if form.interval:
                by_day[form.interval[0]].append(form)
        for day_forms in by_day.values():
            day_forms.sort(key=lambda form: form.interval[1])
            for earlier, later in pairwise(day_forms):
                _day, start, end = earlier.interval
                if later.interval[1] < end:
                    later.add_error(
                        "start",
                        _("Overlaps %(start)s–%(end)s on the same day.")
                        % {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"},
                    )

    def week(self) -> list[tuple[int, time, time]]:
        return [form.interval for form in self.forms if form.interval]

    def days(self) -> list[tuple[str, list[IntervalForm]]]:
        """The rows grouped by weekday, Monday first, for the template."""
        by_day: dict[int, list[IntervalForm]] = {day: [] for day in WEEKDAYS}
        for form in self.forms:
            try:
                by_day[int(form["weekday"].value())].append(form)
            except (KeyError, TypeError, ValueError):
                continue  # a tampered row: its error is reported by validation
        return [(WEEKDAYS[day], day_forms) for day, day_forms in by_day.items()]


WeekFormSet = forms.formset_factory(IntervalForm, formset=BaseWeekFormSet, extra=0, max_num=70, validate_max=True)


def week_formset(data=None, *, intervals=()) -> BaseWeekFormSet:
    """Each day's intervals, plus one empty row to add another (two for a closed day)."""
    rows = []
    for day in WEEKDAYS:
        existing = [{"weekday": day, "start": i.start, "end": i.end} for i in intervals if i.weekday == day]
        rows += existing + [{"weekday": day} for _ in range(1 if existing else 2)]
    return WeekFormSet(data, initial=rows, prefix="hours")


class ServiceForm(forms.ModelForm):
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, help_text=_("When no size below has its own.")
    )
    price = money(_("Price (R$)"), help_text=_("When no size below has its own."))
    vaccines_required = SimpleArrayField(
        forms.CharField(max_length=80), label=_("Vaccines required"), required=False,
        help_text=_("Separated by commas, e.g. V10, Rabies."),
    )  # fmt: skip
    species_allowed = forms.MultipleChoiceField(
        label=_("Species"), choices=Species.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any species."),
    )  # fmt: skip

    class Meta:
        model = Service
        fields = ["name", "category", "description", "duration_minutes", "price", "buffer_after_minutes",
                  "species_allowed", "requires_pet", "vaccines_required"]  # fmt: skip
        labels = {
            "name": _("Name"), "category": _("Category"), "description": _("Description"),
            "buffer_after_minutes": _("Pause after (minutes)"), "requires_pet": _("Needs a pet"),
        }  # fmt: skip
        help_texts = {
            "buffer_after_minutes": _("Cleaning or rest time before the next booking of the same resource."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        rules = {rule.size: rule for rule in self.instance.size_rules.all()} if self.instance.pk else {}
        for size, _label in PetSize.choices:
            rule = rules.get(size)
            self.fields[f"minutes_{size}"] = forms.IntegerField(
                label=_("Minutes"), min_value=1, required=False, initial=rule.duration_minutes if rule else None
            )
            self.fields[f"price_{size}"] = money(_("Price (R$)"), required=False, initial=rule.price if rule else None)

    def clean(self) -> dict:
        data = super().clean()
        for size, _label in PetSize.choices:
            minutes, price = f"minutes_{size}", f"price_{size}"
            if minutes in self.errors or price in self.errors:
                continue
            if (data.get(minutes) is None) != (data.get(price) is None):
                missing = minutes if data.get(minutes) is None else price
                self.add_error(missing, _("Fill in both minutes and price for this size, or neither."))
        return data

    def main_fields(self) -> list[forms.BoundField]:
        return [self[field] for field in self._meta.fields]

    def size_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(label, self[f"minutes_{size}"], self[f"price_{size}"]) for size, label in PetSize.choices]

    def size_rules(self) -> dict[str, tuple[int, Decimal]]:
        data = self.cleaned_data
        return {size: (data[f"minutes_{size}"], data[f"price_{size}"])
                for size, _label in PetSize.choices if data.get(f"minutes_{size}") is not None}  # fmt: skip

    def service_fields(self) -> dict:
        return {field: self.cleaned_data[field] for field in self._meta.fields}


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["name", "kind", "services"]
        labels = {"name": _("Name"), "kind": _("Kind"), "services": _("Services it does")}
        widgets = {"services": forms.CheckboxSelectMultiple}


class PersonaForm(forms.ModelForm):
    class Meta:
        model = ShopSettings
        fields = ["assistant_name", "welcome_message"]
        labels = {"assistant_name": _("Assistant's name"), "welcome_message": _("Welcome message")}
        help_texts = {
            "assistant_name": _("How the attendant introduces itself to customers."),
            "welcome_message": _("The first thing a new customer reads."),
        }
        widgets = {"welcome_message": forms.Textarea(attrs={"rows": 3})}


class RetentionForm(forms.Form):
    raw_events_retention_days = forms.IntegerField(
        label=_("Delete raw WhatsApp events after (days)"), required=False, min_value=1,
        error_messages={"min_value": _("At least 1 day."),
                        "max_value": _("At most %(limit_value)s days: the platform deletes them after that.")},
    )  # fmt: skip
    message_retention_months = forms.IntegerField(
        label=_("Anonymize messages older than (months)"), required=False, min_value=0,
        max_value=MESSAGE_RETENTION_MONTHS_MAX,
        help_text=_("Their text, voice-note transcripts and files are removed; the messages themselves stay, "
                    "so reports and analytics still count them. Empty or 0: keep them forever."),
        error_messages={"max_value": _("At most %(limit_value)s months (10 years)."),
                        "min_value": _("Use 0 or leave it empty to keep messages forever.")},
    )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The platform deletes raw events after its own limit anyway: a shop may only shorten it.
        limit = settings.OXY_INBOX_RETENTION_DAYS
        field = self.fields["raw_events_retention_days"]
        field.validators.append(MaxValueValidator(limit))
        field.widget.attrs["max"] = limit
        field.help_text = _(
            "What WhatsApp delivered, exactly as it arrived, kept to look into problems. "
            "Empty: %(limit)s days, the platform's limit; you can only shorten it."
        ) % {"limit": limit}

    def clean_message_retention_months(self) -> int | None:
        return self.cleaned_data["message_retention_months"] or None


class AgentSettingsForm(forms.ModelForm):
    base_url = forms.URLField(
        label=_("API base URL"), required=False, assume_scheme="https",
        help_text=_("Any OpenAI-compatible endpoint. Empty: Oxy's default."),
    )  # fmt: skip
    monthly_cap_usd = money(
        _("Monthly spend cap (US$)"), required=False,
        help_text=_("When this month's spend reaches it, the offline attendant answers. Empty, or above your plan's "
                    "limit: your plan's limit."),
    )  # fmt: skip
    customer_turns_per_minute = forms.IntegerField(
        label=_("Answers per customer per minute, at most"), min_value=1, max_value=1000,
        help_text=_("Protects the spend from a customer who floods the chat."),
    )  # fmt: skip
    weekly_report_weekday = forms.TypedChoiceField(label=_("Weekly report on"), choices=WEEKDAY_CHOICES, coerce=int)

    class Meta:
        model = AgentSettings
        fields = ["model", "base_url", "monthly_cap_usd", "customer_turns_per_minute", "handback_idle_minutes",
                  "address", "policies", "daily_summary_enabled", "daily_summary_at", "alerts_enabled",
                  "weekly_report_enabled", "weekly_report_weekday", "monthly_booking_goal",
                  "channel_alerts_enabled"]  # fmt: skip
        labels = {
            "model": _("Model"),
            "handback_idle_minutes": _("Hand back to the attendant after (minutes)"), "address": _("Address"),
            "policies": _("Policies"), "daily_summary_enabled": _("Daily summary"),
            "daily_summary_at": _("Daily summary at"), "alerts_enabled": _("No-show and cancellation alerts"),
            "weekly_report_enabled": _("Weekly report"), "monthly_booking_goal": _("Monthly booking goal"),
            "channel_alerts_enabled": _("Alert when a WhatsApp number disconnects"),
        }  # fmt: skip
        help_texts = {
            "model": _("Empty: Oxy's default model."),
            "address": _("The attendant tells customers where the shop is."),
        }
        widgets = {"daily_summary_at": TIME, "policies": forms.Textarea(attrs={"rows": 3})}


class LlmKeyForm(forms.Form):
    # Write-only: never rendered back, not even after an error.
    api_key = forms.CharField(
        label=_("The shop's own API key"), max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )  # fmt: skip


class OutreachSettingsForm(forms.ModelForm):
    reminder_hours = SimpleArrayField(
        forms.IntegerField(min_value=1), label=_("Reminders (hours before)"), required=False,
        help_text=_("Separated by commas, e.g. 24, 2. Empty: no reminders."),
    )  # fmt: skip

    class Meta:
        model = OutreachSettings
        fields = ["window_start", "window_end", "per_customer_per_hour", "per_customer_per_day",
                  "confirmations_enabled", "reminder_hours", "vaccine_reminders_enabled", "vaccine_reminder_days",
                  "post_visit_enabled", "post_visit_after_hours"]  # fmt: skip
        labels = {
            "window_start": _("Send from"), "window_end": _("Send until"),
            "per_customer_per_hour": _("Messages per customer per hour, at most"),
            "per_customer_per_day": _("Messages per customer per day, at most"),
            "confirmations_enabled": _("Confirm bookings made by the team"),
            "vaccine_reminders_enabled": _("Vaccine reminders"),
            "vaccine_reminder_days": _("Days before the vaccine is due"),
            "post_visit_enabled": _("Message after the visit"), "post_visit_after_hours": _("Hours after the visit"),
        }  # fmt: skip
        help_texts = {
            "window_start": _("Shop time. Nothing is sent on the shop's own initiative outside this window."),
        }
        widgets = {"window_start": TIME, "window_end": TIME}

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start is not None and end is not None and end <= start:
            # On the field: the model's own constraint check then skips it (no second, vaguer error).
            self.add_error("window_end", _("The window must end after it starts."))
        return data


class OwnerNumberForm(forms.Form):
    phone = forms.CharField(
        label=_("WhatsApp number"), max_length=30, help_text=_("With the area code, e.g. +55 11 98765-4321.")
    )
    label = forms.CharField(label=_("Whose"), max_length=60, required=False)

    def clean_phone(self) -> str:
        try:
            phone = phone_to_e164(self.cleaned_data["phone"])
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(_("This is not a valid phone number. Include the area code.")) from exc
        if OwnerNumber.objects.filter(phone=phone).exists():
            raise forms.ValidationError(_("This number is already an owner number."))
        return phone


class FaqEntryForm(forms.ModelForm):
    class Meta:
        model = FaqEntry
        fields = ["question", "answer"]
        labels = {"question": _("Question"), "answer": _("Answer")}
        widgets = {"answer": forms.Textarea(attrs={"rows": 4})}


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "role"]
        labels = {"name": _("Name"), "role": _("It may")}
        help_texts = {
            "name": _("What uses it, e.g. the website's booking form."),
            "role": _("A read-only key can look at customers, pets and the agenda but never change anything."),
        }


def _roles_for(by: User | None) -> list[tuple[str, str]]:
    """The roles `by` may give (only an owner gives the owner role); None: every role."""
    return [(value, label) for value, label in User.Role.choices
            if by is None or by.role == User.Role.OWNER or value != User.Role.OWNER]  # fmt: skip


class StaffAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, by: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _roles_for(by)
        self.fields["role"].initial = User.Role.ATTENDANT


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, by: User | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _roles_for(by)
