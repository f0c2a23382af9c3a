"""The webhooks settings page's forms: they parse and check; the services write."""

from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.utils.translation import gettext_lazy as _

from .addresses import private_address_error
from .models import WebhookEvent


def _public(url: str) -> str:
    if url and (refused := private_address_error(url)):
        raise forms.ValidationError(refused)
    return url


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https",
                         help_text=_("Oxy sends each event here as a signed JSON POST."))  # fmt: skip
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=_("Events"), choices=WebhookEvent.choices,
                                       widget=forms.CheckboxSelectMultiple)  # fmt: skip
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_url(self) -> str:
        return _public(self.cleaned_data["url"])


class AlertSettingsForm(forms.Form):
    emails = SimpleArrayField(forms.EmailField(), label=_("Alert e-mails"), required=False, delimiter=",",
                              help_text=_("Separated by commas."))  # fmt: skip
    slack_webhook_url = forms.URLField(
        label=_("Slack incoming webhook URL"), max_length=500, required=False, assume_scheme="https",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Empty keeps the current one. Slack, Mattermost, Discord (/slack) and alike."),
    )  # fmt: skip
    slack_remove = forms.BooleanField(label=_("Remove the Slack webhook"), required=False)

    def clean_slack_webhook_url(self) -> str:
        return _public(self.cleaned_data["slack_webhook_url"])

    def slack_change(self) -> str | None:
        """What to store: None keeps the current URL, "" removes it."""
        if self.cleaned_data["slack_remove"]:
            return ""
        return self.cleaned_data["slack_webhook_url"] or None
