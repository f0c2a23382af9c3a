"""Who changed what: the AI attendant, support and the shop's admin are
recorded in the shop's audit log, which managers can browse and download
(their own shop's only)."""

import csv
import io
import json
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import tenant_context

from agents.tools import TurnContext, book_offer, find_free_slots, register_pet
from tenants.models import Domain
from tenants.shop.models import AuditEntry, OwnerNumber
from tests.fixtures.bookings import MONDAY, NOW
from whatsapp.models import Message

CUSTOMER_WORDS = "quero o primeiro horário"


def test_the_ai_attendant_registering_a_pet_and_booking_is_recorded_as_the_ai(agenda, bath, customer):
    ctx = TurnContext(conversation=None, customer=customer, now=NOW)
    pet_id = register_pet(ctx, name="Thor", species="dog", size="M")["pet_id"]
    slots = find_free_slots(ctx, service_id=bath.pk, day_from=(MONDAY + timedelta(days=1)).isoformat(), pet_id=pet_id)
    shown = Message(direction=Message.Direction.OUTBOUND, sender_kind="bot", data={"offers": ctx.new_offers})
    answer = Message(direction=Message.Direction.INBOUND, sender_kind="customer", text=CUSTOMER_WORDS)
    ctx = TurnContext(conversation=None, customer=customer, now=NOW, recent=[answer, shown])

    booking_id = book_offer(ctx, offer_id=slots["slots"][0]["offer_id"], pet_id=pet_id)["booking_id"]

    entries = AuditEntry.objects.filter(actor_type="ai").order_by("pk")
    assert [(e.action, e.target) for e in entries] == [
        ("pet.registered", f"pet:{pet_id}"), ("booking.created", f"booking:{booking_id}"),
    ]  # fmt: skip
    assert CUSTOMER_WORDS not in json.dumps([entry.data for entry in entries])


def test_support_changing_a_shops_plan_is_recorded_in_that_shops_log(support_client, alpha, beta):
    domain = Domain.objects.get(tenant=alpha)
    form = {
        "name": alpha.name, "status": alpha.status, "vertical": alpha.vertical, "timezone": alpha.timezone,
        "plan": "pro", "max_channels": alpha.max_channels, "max_staff_users": 25,
        "max_monthly_ai_spend_cents": alpha.max_monthly_ai_spend_cents, "suspension_reason": "",
        "domains-TOTAL_FORMS": 1, "domains-INITIAL_FORMS": 1, "domains-MIN_NUM_FORMS": 0, "domains-MAX_NUM_FORMS": 1000,
        "domains-0-id": domain.pk, "domains-0-tenant": alpha.pk, "domains-0-domain": domain.domain,
        "domains-0-is_primary": "on",
    }  # fmt: skip

    response = support_client.post(f"/admin/tenants/organization/{alpha.pk}/change/", form)

    assert response.status_code == 302
    with tenant_context(alpha):
        entry = AuditEntry.objects.filter(action="organization.changed").get()
    assert (entry.actor_type, entry.actor_label, entry.target) == ("support", "Ana <ana@oxy.dev>", "alpha")
    assert entry.data == {
        "plan": {"from": alpha.plan, "to": "pro"}, "max_staff_users": {"from": alpha.max_staff_users, "to": 25},
    }  # fmt: skip
    with tenant_context(beta):
        assert not AuditEntry.objects.filter(action="organization.changed").exists()


def test_a_change_in_the_shops_admin_is_recorded_with_field_names_only(alpha, alpha_team):
    client = alpha_team("manager")
    with tenant_context(alpha):
        number = OwnerNumber.objects.get()

    response = client.post(f"/admin/shop/ownernumber/{number.pk}/change/", {"phone": number.phone, "label": "Sócia"})

    assert response.status_code == 302
    with tenant_context(alpha):
        entry = AuditEntry.objects.get(action="admin.ownernumber.changed")
    assert (entry.actor_type, entry.target, entry.data) == ("staff", f"ownernumber:{number.pk}", {"fields": ["label"]})


def _record(organization, action: str, *, days_ago: int = 0) -> None:
    with tenant_context(organization):
        entry = AuditEntry.objects.create(actor_type="staff", actor_label="x@test", action=action, data={"n": 1})
        AuditEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days_ago))


def _downloaded(response) -> str:
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_a_manager_downloads_the_log_for_a_date_range_as_csv_and_json_lines(alpha, alpha_team):
    _record(alpha, "test.old", days_ago=30)
    _record(alpha, "test.recent")
    client = alpha_team("manager")
    since = (timezone.localdate() - timedelta(days=7)).isoformat()

    as_csv = _downloaded(client.get("/settings/audit/", {"since": since, "format": "csv"}))
    as_jsonl = _downloaded(client.get("/settings/audit/", {"since": since, "format": "jsonl"}))

    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert "test.recent" in [row["action"] for row in rows]
    assert "test.old" not in as_csv
    lines = [json.loads(line) for line in as_jsonl.splitlines()]
    assert [line["action"] for line in lines] == [row["action"] for row in rows]
    assert {"created_at", "actor_type", "actor_label", "action", "target", "data"} == set(lines[0])


def test_the_log_page_lists_entries_and_attendants_cannot_download(alpha, alpha_team):
    _record(alpha, "test.visible")

    assert "test.visible" in alpha_team("owner").get("/settings/audit/").content.decode()
    assert alpha_team("attendant").get("/settings/audit/", {"format": "csv"}).status_code == 403


def test_beta_cannot_export_alphas_log(alpha, beta, beta_team):
    _record(alpha, "test.alpha_only")
    beta_manager = beta_team("manager")

    own = _downloaded(beta_manager.get("/settings/audit/", {"format": "jsonl"}))
    on_alpha = beta_manager.get("/settings/audit/", {"format": "jsonl"}, HTTP_HOST="alpha.oxy.test")

    assert "test.alpha_only" not in own
    assert "organization.provisioned" in own  # beta's own log is there
    assert on_alpha.status_code in (302, 403, 404)
    assert not on_alpha.streaming


def test_the_shop_admin_exports_the_selected_entries(alpha, alpha_team):
    _record(alpha, "test.selected")
    with tenant_context(alpha):
        selected = AuditEntry.objects.get(action="test.selected")

    response = alpha_team("owner").post(
        "/admin/shop/auditentry/", {"action": "export_jsonl", "_selected_action": [selected.pk]}
    )

    [line] = _downloaded(response).splitlines()
    assert json.loads(line)["action"] == "test.selected"


def test_the_export_command_writes_a_shops_log(alpha, beta):
    _record(alpha, "test.old", days_ago=30)
    _record(beta, "test.beta")
    out = io.StringIO()

    call_command("export_audit", "alpha", "--format", "jsonl", stdout=out)
    call_command("export_audit", "alpha", "--since", timezone.localdate().isoformat(), stdout=(recent := io.StringIO()))

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    actions = [line["action"] for line in lines]
    assert [line["created_at"] for line in lines] == sorted(line["created_at"] for line in lines)  # oldest first
    assert {"organization.provisioned", "test.old"} <= set(actions)
    assert "test.beta" not in actions
    assert "test.old" not in recent.getvalue()
    assert recent.getvalue().startswith("created_at,actor_type,actor_label,action,target,data")
