"""The attendant: its persona, model and key, spend cap and limits, Aurora's
reports, what the shop sends on its own; and the shop's questions and answers."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agents.aurora_tools import attendant_pause_set
from agents.models import FaqEntry
from agents.outreach.delivery import outreach_settings
from agents.settings_services import (
    agent_settings_current,
    attendant_settings_update,
    faq_entry_create,
    faq_entry_delete,
    faq_entry_update,
    llm_key_remove,
    llm_key_set,
    outreach_settings_update,
)
from analytics.selectors import month_ai_spend, monthly_ai_cap
from oxy.dashboard import actor_of, managers_page

from ..forms import AgentSettingsForm, FaqEntryForm, LlmKeyForm, OutreachSettingsForm, PersonaForm
from ..selectors import shop_settings_current
from .common import confirm_page, saved, settings_page


def _attendant_page(request: HttpRequest, **forms) -> HttpResponse:
    """The attendant page with the forms given (bound, after an error) and
    fresh ones for the rest. The shop's key is only ever said to be set."""
    agent = agent_settings_current()
    month_cap = monthly_ai_cap(shop_cap=agent.monthly_cap_usd)
    forms.setdefault("persona_form", PersonaForm(instance=shop_settings_current(), prefix="persona"))
    forms.setdefault("agent_form", AgentSettingsForm(instance=agent, prefix="agent"))
    forms.setdefault("key_form", LlmKeyForm(prefix="key"))
    forms.setdefault("outreach_form", OutreachSettingsForm(instance=outreach_settings(), prefix="outreach"))
    return settings_page(request, "shop/settings/attendant.html", "attendant", {
        **forms,
        "shop_key_set": bool(agent.api_key),
        "default_key_set": bool(settings.OXY_LLM_API_KEY),
        "default_model": settings.OXY_LLM_MODEL,
        "default_base_url": settings.OXY_LLM_BASE_URL,
        "month_spend": month_ai_spend(now=timezone.now()),
        "month_cap": month_cap,
        "cap_is_plans": agent.monthly_cap_usd is None or agent.monthly_cap_usd > month_cap,
        "paused_at": agent.attendant_paused_at,
    })  # fmt: skip


@managers_page
@require_http_methods(["GET", "POST"])
def attendant(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _attendant_page(request)
    persona_form = PersonaForm(request.POST, instance=shop_settings_current(), prefix="persona")
    agent_form = AgentSettingsForm(request.POST, instance=agent_settings_current(), prefix="agent")
    if all([persona_form.is_valid(), agent_form.is_valid()]):  # both checked: every error shows at once
        attendant_settings_update(persona=persona_form.cleaned_data, agent=agent_form.cleaned_data,
                                  actor=actor_of(request))  # fmt: skip
        return saved(request, _("The attendant's settings were saved."), "settings_attendant")
    return _attendant_page(request, persona_form=persona_form, agent_form=agent_form)


@managers_page
@require_POST
def attendant_key(request: HttpRequest) -> HttpResponse:
    key_form = LlmKeyForm(request.POST, prefix="key")
    if key_form.is_valid():
        llm_key_set(api_key=key_form.cleaned_data["api_key"], actor=actor_of(request))
        return saved(request, _("The shop's API key was saved. It will not be shown again."), "settings_attendant")
    return _attendant_page(request, key_form=key_form)


@managers_page
@require_POST
def attendant_key_remove(request: HttpRequest) -> HttpResponse:
    llm_key_remove(actor=actor_of(request))
    return saved(request, _("The shop's API key was removed."), "settings_attendant")


@managers_page
@require_POST
def attendant_outreach(request: HttpRequest) -> HttpResponse:
    outreach_form = OutreachSettingsForm(request.POST, instance=outreach_settings(), prefix="outreach")
    if outreach_form.is_valid():
        outreach_settings_update(actor=actor_of(request), **outreach_form.cleaned_data)
        return saved(request, _("The sending rules were saved."), "settings_attendant")
    return _attendant_page(request, outreach_form=outreach_form)


@managers_page
@require_POST
def attendant_pause(request: HttpRequest) -> HttpResponse:
    paused = request.POST.get("paused") == "1"
    attendant_pause_set(paused=paused, actor=actor_of(request), now=timezone.now())
    message = (
        _("The attendant is paused: the team answers every customer.") if paused else _("The attendant answers again.")
    )
    return saved(request, message, "settings_attendant")


@managers_page
@require_GET
def faq(request: HttpRequest) -> HttpResponse:
    entries = FaqEntry.objects.order_by("question")
    return settings_page(request, "shop/settings/faq.html", "faq", {"entries": entries})


@managers_page
@require_http_methods(["GET", "POST"])
def faq_edit(request: HttpRequest, entry_id: int | None = None) -> HttpResponse:
    entry = get_object_or_404(FaqEntry, pk=entry_id) if entry_id else None
    form = FaqEntryForm(request.POST if request.method == "POST" else None, instance=entry)
    if form.is_valid():
        if entry:
            faq_entry_update(entry=entry, actor=actor_of(request), **form.cleaned_data)
        else:
            faq_entry_create(actor=actor_of(request), **form.cleaned_data)
        return saved(request, _("The answer was saved."), "settings_faq")
    return settings_page(request, "shop/settings/faq_form.html", "faq", {"form": form, "entry": entry})


@managers_page
@require_http_methods(["GET", "POST"])
def faq_delete(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(FaqEntry, pk=entry_id)
    if request.method == "POST":
        faq_entry_delete(entry=entry, actor=actor_of(request))
        return saved(request, _("The question was deleted."), "settings_faq")
    return confirm_page(
        request, section="faq", title=_("Delete a question"),
        question=_("The attendant will no longer know this answer: “%(question)s”") % {"question": entry.question},
        button=_("Delete"), back="settings_faq",
    )  # fmt: skip
