"""The attendant's settings (persona, model, the shop's own key, spend cap,
Aurora's reports, sending rules) and the shop's questions and answers."""

from datetime import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from agents.llm import llm_config
from agents.models import AgentSettings, FaqEntry, OutreachSettings
from analytics.services import ai_call_record
from tenants.shop.models import AuditEntry, ShopSettings
from tests.tenants import settings_data as data

KEY = "sk-proj-ThisIsTheShopsOwnSecretKey-1234567890"


@pytest.fixture
def manager(alpha_team):
    client = alpha_team("manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def agent_settings(organization) -> AgentSettings:
    with tenant_context(organization):
        return AgentSettings.objects.get()


def test_the_page_shows_this_months_spend_beside_the_cap(alpha, manager):
    with tenant_context(alpha):
        ai_call_record(call_id="turn-1", calls=2, tokens=900, cost=Decimal("3.25"))
        AgentSettings.objects.create(monthly_cap_usd=Decimal("3.00"))

    page = manager.get("/settings/attendant/").content.decode()

    assert "AI spend this month: US$ 3.25" in page
    assert "cap US$ 3.00" in page
    assert "cap reached: the offline attendant answers" in page


def test_without_a_cap_of_its_own_the_page_shows_the_plans(alpha, manager):
    with tenant_context(alpha):
        ai_call_record(call_id="turn-1", calls=1, tokens=900, cost=Decimal("0.40"))

    page = manager.get("/settings/attendant/").content.decode()

    plan_cap = Decimal(alpha.max_monthly_ai_spend_cents) / 100
    assert f"cap US$ {plan_cap:.2f} (your plan's limit)" in page
    assert "cap reached" not in page


def test_a_manager_saves_the_persona_model_limits_and_reports(alpha, manager):
    body = data.attendant(**{
        "persona-assistant_name": "Luna", "agent-model": "gpt-4.1-mini", "agent-base_url": "llm.example.com/v1",
        "agent-monthly_cap_usd": "12,50", "agent-customer_turns_per_minute": "3", "agent-address": "Rua das Flores, 10",
        "agent-weekly_report_weekday": "4", "agent-monthly_booking_goal": "120",
    })  # fmt: skip
    del body["agent-alerts_enabled"]  # unticked

    response = manager.post("/settings/attendant/", body, follow=True)

    assert response.redirect_chain == [("/settings/attendant/", 302)]
    assert "The attendant&#x27;s settings were saved." in response.content.decode()
    saved = agent_settings(alpha)
    assert (saved.model, saved.base_url, saved.monthly_cap_usd) == ("gpt-4.1-mini", "https://llm.example.com/v1",
                                                                    Decimal("12.50"))  # fmt: skip
    assert (saved.customer_turns_per_minute, saved.weekly_report_weekday, saved.monthly_booking_goal) == (3, 4, 120)
    assert (saved.address, saved.alerts_enabled, saved.daily_summary_enabled) == ("Rua das Flores, 10", False, True)
    with tenant_context(alpha):
        assert ShopSettings.objects.get().assistant_name == "Luna"
        entry = AuditEntry.objects.get(action="attendant.settings_updated")
    assert {"assistant_name", "model", "monthly_cap_usd", "alerts_enabled"} <= set(entry.data["fields"])


def test_invalid_attendant_settings_are_shown_again_and_nothing_changes(alpha, manager):
    before = data.shop_rows(alpha)
    body = data.attendant(**{
        "persona-assistant_name": "", "agent-base_url": "not a url", "agent-monthly_cap_usd": "-5",
        "agent-customer_turns_per_minute": "0", "agent-model": "modelo-digitado",
    })  # fmt: skip

    response = manager.post("/settings/attendant/", body)

    assert response.status_code == 200
    assert list(response.context["persona_form"].errors) == ["assistant_name"]
    assert sorted(response.context["agent_form"].errors) == ["base_url", "customer_turns_per_minute", "monthly_cap_usd"]
    assert 'value="modelo-digitado"' in response.content.decode()
    assert data.shop_rows(alpha) == before


def test_the_shops_key_is_stored_encrypted_and_never_shown_again(alpha, manager):
    response = manager.post("/settings/attendant/key/", {"key-api_key": f"  {KEY} "}, follow=True)

    assert "The shop&#x27;s API key was saved." in response.content.decode()
    assert "a key is set" in response.content.decode()
    with tenant_context(alpha):
        assert llm_config(shop=AgentSettings.objects.get()).api_key == KEY  # the attendant uses it
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT api_key FROM {AgentSettings._meta.db_table}")  # noqa: S608
            assert KEY not in cursor.fetchone()[0]
        entry = AuditEntry.objects.get(action="attendant.llm_key_set")
    assert KEY not in str(entry.data)

    pages = [response] + [manager.get(path) for path in data.PAGES]
    # An error elsewhere on the page, and a refused key, re-render the page too.
    pages.append(manager.post("/settings/attendant/", data.attendant(**{"agent-base_url": "not a url"})))
    pages.append(manager.post("/settings/attendant/key/", {"key-api_key": KEY + "x" * 500}))
    assert pages[-1].context["key_form"].errors
    for page in pages:
        assert page.status_code == 200
        assert KEY not in page.content.decode()


def test_removing_the_key_gives_the_attendant_the_deployments_key_again(alpha, manager):
    manager.post("/settings/attendant/key/", {"key-api_key": KEY})

    response = manager.post("/settings/attendant/key/remove/", follow=True)

    assert "The shop&#x27;s API key was removed." in response.content.decode()
    assert "a key is set" not in response.content.decode()
    assert agent_settings(alpha).api_key == ""
    with tenant_context(alpha):
        assert AuditEntry.objects.filter(action="attendant.llm_key_removed").count() == 1


def test_an_empty_key_is_refused_and_the_stored_one_kept(alpha, manager):
    manager.post("/settings/attendant/key/", {"key-api_key": KEY})

    response = manager.post("/settings/attendant/key/", {"key-api_key": "   "})

    assert response.status_code == 200
    assert list(response.context["key_form"].errors) == ["api_key"]
    assert agent_settings(alpha).api_key == KEY


def test_a_manager_changes_the_sending_rules(alpha, manager):
    body = data.outreach(**{"outreach-reminder_hours": "48, 2"})
    del body["outreach-confirmations_enabled"]

    response = manager.post("/settings/attendant/outreach/", body, follow=True)

    assert "The sending rules were saved." in response.content.decode()
    with tenant_context(alpha):
        rules = OutreachSettings.objects.get()
        assert AuditEntry.objects.filter(action="outreach.settings_updated").exists()
    assert (rules.window_start, rules.window_end, rules.reminder_hours) == (time(9), time(19), [48, 2])
    assert (rules.per_customer_per_hour, rules.per_customer_per_day, rules.confirmations_enabled) == (1, 3, False)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"outreach-window_end": "08:00"}, "window_end"), ({"outreach-reminder_hours": "24, amanhã"}, "reminder_hours")],
    ids=["window-ends-before-it-starts", "reminder-not-a-number"],
)
def test_invalid_sending_rules_are_shown_again_and_nothing_changes(alpha, manager, changes, field):
    before = data.shop_rows(alpha)

    response = manager.post("/settings/attendant/outreach/", data.outreach(**changes))

    assert response.status_code == 200
    assert list(response.context["outreach_form"].errors) == [field]
    assert f'value="{next(iter(changes.values()))}"' in response.content.decode()
    assert data.shop_rows(alpha) == before


def test_a_manager_pauses_the_attendant_and_lets_it_answer_again(alpha, manager):
    response = manager.post("/settings/attendant/pause/", {"paused": "1"}, follow=True)

    assert "The attendant is paused: the team answers every customer." in response.content.decode()
    assert agent_settings(alpha).attendant_paused_at is not None

    manager.post("/settings/attendant/pause/", {"paused": "0"})

    assert agent_settings(alpha).attendant_paused_at is None


def test_a_manager_adds_edits_and_deletes_a_question(alpha, manager):
    manager.post("/settings/faq/new/", {"question": "Aceitam gatos?", "answer": "Sim."})
    with tenant_context(alpha):
        entry = FaqEntry.objects.get(question="Aceitam gatos?")
    assert "Aceitam gatos?" in manager.get("/settings/faq/").content.decode()

    manager.post(f"/settings/faq/{entry.pk}/", {"question": "Aceitam gatos?", "answer": "Sim, às terças."})
    with tenant_context(alpha):
        assert FaqEntry.objects.get(pk=entry.pk).answer == "Sim, às terças."

    assert "Aceitam gatos?" in manager.get(f"/settings/faq/{entry.pk}/delete/").content.decode()
    response = manager.post(f"/settings/faq/{entry.pk}/delete/", follow=True)

    assert "The question was deleted." in response.content.decode()
    with tenant_context(alpha):
        assert not FaqEntry.objects.filter(pk=entry.pk).exists()
        actions = list(AuditEntry.objects.filter(target=f"faq:{entry.pk}").values_list("action", flat=True))
    assert sorted(actions) == ["faq.created", "faq.deleted", "faq.updated"]


def test_a_question_without_an_answer_is_shown_again(alpha, manager):
    response = manager.post("/settings/faq/new/", {"question": "Tem estacionamento?", "answer": ""})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["answer"]
    assert 'value="Tem estacionamento?"' in response.content.decode()
    with tenant_context(alpha):
        assert not FaqEntry.objects.exists()
