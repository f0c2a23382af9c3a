"""Dashboard forms for campaigns. What makes a draft savable is said once,
by `campaign_problems`; the form only puts each problem by its field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from bookings.models import Service, Species

from .models import Campaign
from .outreach.campaigns import EDITABLE, SEGMENT_FIELDS, campaign_problems


class CampaignForm(forms.ModelForm):
    # 0 would mean "no condition" to the segment: empty says that.
    inactive_days = forms.IntegerField(
        label=_("No contact for at least (days)"), help_text=_("Empty: anyone."), min_value=1, required=False
    )

    class Meta:
        model = Campaign
        fields = EDITABLE
        labels = {
            "name": _("Name"),
            "text": _("Message"),
            "species": _("Has a pet of the species"),
            "last_service": _("Last visit's service"),
            "vaccine_due_within_days": _("A vaccine due within (days)"),
            "tag": _("Tag"),
            "starts_at": _("Start sending at"),
            "daily_cap": _("At most per day"),
            "min_gap_s": _("Shortest gap between messages (seconds)"),
            "max_gap_s": _("Longest gap between messages (seconds)"),
        }
        help_texts = {
            "text": _("Placeholders: {name} (the customer's first name), {pet}, {shop}."),
            "vaccine_due_within_days": _("0: due today or overdue. Empty: anyone."),
            "starts_at": _("Shop time. Empty: as soon as it is launched."),
            "daily_cap": "",
            "min_gap_s": "",
            "max_gap_s": _("Each message waits a random time in between, to keep the number safe."),
        }
        widgets = {
            "text": forms.Textarea(attrs={"rows": 5}),
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "tag": forms.TextInput(attrs={"list": "segment-tags", "autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["species"].choices = [("", _("any species")), *Species.choices]
        self.fields["last_service"].queryset = Service.objects.order_by("name")
        self.fields["last_service"].empty_label = _("any service")

    def clean(self) -> dict:
        cleaned = super().clean()
        for field, problem in campaign_problems(self.draft()).items():
            if field not in self.errors:
                self.add_error(field, problem)
        return cleaned

    def draft(self) -> Campaign:
        """An unsaved campaign of what was typed that is valid (the rest left
        at the defaults): what the live count and preview are about."""
        values = {field: self.cleaned_data[field] for field in EDITABLE if field in self.cleaned_data}
        # A message with a mistake still previews: the mistake shows in it.
        values.setdefault("text", self.data.get("text", "").strip())
        return Campaign(**values)

    @property
    def segment_valid(self) -> bool:
        return not any(field in self.errors for field in SEGMENT_FIELDS)
