from django import forms
from django.utils.translation import gettext_lazy as _

from .inbox.models import Provider
from .models import CannedReply


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(label=_("Attachment"), required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 2}))


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "text"]
        labels = {"title": _("Title"), "text": _("Text")}


class ChannelCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    provider = forms.ChoiceField(label=_("Provider"), choices=Provider.choices, initial=Provider.SANDBOX)
    external_id = forms.CharField(
        label=_("Instance name or phone_number_id"), required=False,
        help_text=_("Evolution: the instance name (blank: one is made up). Cloud API: the phone_number_id."),
    )  # fmt: skip
    access_token = forms.CharField(
        label=_("Access token"), required=False, widget=forms.PasswordInput,
        help_text=_("Cloud API only: the system user's access token. Stored encrypted, never shown again."),
    )  # fmt: skip
    app_secret = forms.CharField(
        label=_("App secret"), required=False, widget=forms.PasswordInput,
        help_text=_("Cloud API only: checks the signature of each webhook."),
    )  # fmt: skip

    def clean(self) -> dict:
        data = super().clean()
        if data.get("provider") == Provider.CLOUD:
            if not str(data.get("external_id", "")).isdigit():
                self.add_error("external_id", _("A Cloud API number needs its phone_number_id (digits)."))
            if not data.get("access_token"):
                self.add_error("access_token", _("A Cloud API number needs its access token."))
        return data


class PairingForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number to pair (optional)"), required=False,
        help_text=_("With a number, WhatsApp gives an 8-character code to type on the phone; without, a QR code."),
    )  # fmt: skip


class SimulatorMessageForm(forms.Form):
    phone = forms.CharField(label=_("Customer's phone"), initial="+55 11 91234-5678")
    name = forms.CharField(label=_("Customer's name"), required=False, initial="Cliente Teste")
    text = forms.CharField(label=_("Message"), widget=forms.TextInput(attrs={"autocomplete": "off"}))


class SimulatorPairForm(forms.Form):
    phone = forms.CharField(label=_("This phone's number"), initial="+55 11 93333-0000")
    code = forms.CharField(label=_("Pairing code"), max_length=12)
