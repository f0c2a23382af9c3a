"""Campaign pages (managers and owners): the list; a draft made from a
segment, with a live count and preview of the message; editing a draft;
launching the revision shown; stopping and resuming; progress that follows
the sending live, and results. Everything goes through the outreach
services and selectors."""

from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from oxy.dashboard import actor_of, managers_page, page, paginate

from .forms import CampaignForm
from .models import Campaign, CampaignRecipient
from .outreach.campaigns import (
    SEGMENT_FIELDS,
    CampaignError,
    campaign_draft_create,
    campaign_draft_update,
    campaign_launch,
    campaign_resume,
    campaign_stop,
)
from .outreach.selectors import (
    BOOKED_AFTER_WITHIN,
    campaign_progress,
    campaign_samples,
    campaign_skip_reasons,
    campaigns_overview,
    segment_customers,
    segment_tags,
)

SAMPLES = 3
Status = Campaign.Status


class ResultsForm(forms.Form):
    within = forms.IntegerField(
        label=gettext_lazy("Booked within (days)"), min_value=1, max_value=90, required=False,
        initial=BOOKED_AFTER_WITHIN.days,
    )  # fmt: skip


class LaunchForm(forms.Form):
    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


@managers_page
def campaign_list_page(request: HttpRequest) -> HttpResponse:
    return page(request, "agents/campaigns/list.html", {"campaigns": paginate(request, campaigns_overview())})


@managers_page
@require_http_methods(["GET", "POST"])
def campaign_new_page(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            campaign = campaign_draft_create(actor=actor_of(request), **form.cleaned_data)
        except CampaignError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Draft saved. Review it, then launch it when it is right."))
            return redirect("campaign-detail", campaign.pk)
    return _form_page(request, form, campaign=None)


@managers_page
@require_http_methods(["GET", "POST"])
def campaign_edit_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if campaign.status != Status.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("campaign-detail", campaign.pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if form.is_bound and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        try:
            if changes:  # saving what is there already is no new revision
                campaign = campaign_draft_update(campaign_id=campaign.pk, actor=actor_of(request), **changes)
        except CampaignError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Draft saved (revision %(revision)s).") % {"revision": campaign.revision})
            return redirect("campaign-detail", campaign.pk)
    return _form_page(request, form, campaign=campaign)


def _form_page(request: HttpRequest, form: CampaignForm, *, campaign: Campaign | None) -> HttpResponse:
    context = {"form": form, "campaign": campaign, "audience": _audience(form), "tags": segment_tags()}
    return page(request, "agents/campaigns/form.html", context, status=400 if form.errors else 200)


@managers_page
@require_POST
def campaign_count_fragment(request: HttpRequest) -> HttpResponse:
    """The live count and preview, for the form as typed so far."""
    return render(request, "agents/campaigns/_audience.html", {"audience": _audience(CampaignForm(request.POST))})


def _audience(form: CampaignForm) -> dict:
    """Who the segment reaches now, and what the first few of them would read."""
    if form.is_bound and not form.segment_valid:
        return {"invalid": True}
    draft = form.draft() if form.is_bound else form.instance
    now = timezone.now()
    return {
        "recipients": segment_customers(campaign=draft, now=now).count(),
        "samples": campaign_samples(campaign=draft, now=now, limit=SAMPLES) if draft.text else [],
        "has_text": bool(draft.text),
        "everyone": not any(getattr(draft, field) not in (None, "") for field in SEGMENT_FIELDS),
    }


@managers_page
def campaign_detail_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The campaign; its progress part is polled while it is sending."""
    campaign = get_object_or_404(Campaign.objects.select_related("last_service"), pk=campaign_id)
    results = ResultsForm(request.GET or None)  # unbound: the default shown in its field
    within = (results.is_bound and results.is_valid() and results.cleaned_data["within"]) or BOOKED_AFTER_WITHIN.days
    progress = campaign_progress(campaign=campaign, booked_within=timedelta(days=within))
    context = {
        "campaign": campaign,
        "progress": progress,
        "bar": _progress_bar(progress),
        "reasons": [
            # Stored untranslated (agents.outreach.delivery); _("") would be the catalogue's header.
            {
                **row,
                "reason": row["reason"] and _(row["reason"]),
                "label": CampaignRecipient.Status(row["status"]).label,
            }
            for row in campaign_skip_reasons(campaign=campaign)
        ],
        "results": results,
        "audience": _audience(CampaignForm(instance=campaign)) if campaign.status == Status.DRAFT else None,
    }
    return page(request, "agents/campaigns/detail.html", context, fragment="agents/campaigns/_progress.html")


def _progress_bar(progress: dict) -> list[dict]:
    """The bar's parts: sent, skipped and failed, as shares of every recipient."""
    total = progress["total"]
    return [
        {"status": status, "label": CampaignRecipient.Status(status).label, "count": progress[status],
         "width": f"{100 * progress[status] / total:.2f}"}  # a CSS width: never localized
        for status in ("sent", "skipped", "failed") if total and progress[status]
    ]  # fmt: skip


@managers_page
@require_http_methods(["GET", "POST"])
def campaign_launch_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The confirmation names the revision shown; the launch is of that
    revision only (a draft edited since is refused, and shown anew)."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    error = ""
    if request.method == "POST":
        form = LaunchForm(request.POST)
        revision = form.cleaned_data["revision"] if form.is_valid() else 0
        try:
            campaign_launch(campaign_id=campaign.pk, revision=revision, actor=actor_of(request))
        except CampaignError as exc:
            error = str(exc)
            campaign.refresh_from_db()
        else:
            messages.success(request, _("Campaign launched: sending has started."))
            return redirect("campaign-detail", campaign.pk)
    if campaign.status != Status.DRAFT:
        if error:
            messages.error(request, error)
        return redirect("campaign-detail", campaign.pk)
    context = {
        "campaign": campaign,
        "form": LaunchForm(initial={"revision": campaign.revision}),
        "audience": _audience(CampaignForm(instance=campaign)),
        "error": error,
    }
    return page(request, "agents/campaigns/launch.html", context, status=409 if error else 200)


@managers_page
@require_POST
def campaign_stop_action(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _status_change(request, campaign_id, campaign_stop, _("Campaign stopped: nothing more is sent."))


@managers_page
@require_POST
def campaign_resume_action(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _status_change(request, campaign_id, campaign_resume, _("Campaign resumed."))


def _status_change(request: HttpRequest, campaign_id: int, change: Callable[..., Campaign], done: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        change(campaign_id=campaign.pk, actor=actor_of(request))
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("campaign-detail", campaign.pk)
