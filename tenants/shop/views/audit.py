"""The audit log on the Settings pages: the latest entries, and the whole
log for a date range as a download (managers and owners only)."""

from django import forms
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from oxy.dashboard import managers_page

from ..audit_export import FORMATS, audit_entries, audit_export_response
from .common import settings_page

RECENT = 50
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditExportForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=DATE)
    until = forms.DateField(label=_("To"), required=False, widget=DATE)
    format = forms.ChoiceField(label=_("Format"), choices=[(key, label) for key, (_type, label) in FORMATS.items()])

    def clean(self) -> dict:
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


@managers_page
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditExportForm(request.GET if "format" in request.GET else None)
    if form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        entries = audit_entries(since=since, until=until)
        filename = f"audit-{connection.tenant.slug}-{timezone.localdate():%Y%m%d}"
        return audit_export_response(entries, export_format=form.cleaned_data["format"], filename=filename)
    recent = audit_entries().order_by("-created_at", "-pk")[:RECENT]
    return settings_page(request, "shop/settings/audit.html", "audit", {"form": form, "entries": recent})
