"""Support staff run the platform from the public admin; shop staff reach
only their own shop's admin, by role."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context

from tenants.models import Organization
from tenants.shop.models import AuditEntry, OwnerNumber, TenantSecret
from tests.conftest import ALPHA, login


def shop_user(organization: Organization, role: str) -> tuple[str, str]:
    email, password = f"{role}-staff@{organization.slug}.test", f"{role}-password-123"
    with tenant_context(organization):
        get_user_model().objects.create_user(email=email, password=password, role=role, is_staff=role != "attendant")
    return email, password


def test_support_sees_every_shop_with_status_plan_creator_and_domain(support_client):
    response = support_client.get("/admin/tenants/organization/")

    assert response.status_code == 200
    page = response.content.decode()
    for expected in ("alpha", "beta", "Test Harness", "starter", "alpha.oxy.test"):
        assert expected in page


def test_support_suspends_and_activates_a_shop_from_the_admin(support_client, alpha):
    changelist = "/admin/tenants/organization/"

    support_client.post(changelist, {"action": "suspend", "_selected_action": [alpha.pk]})
    alpha.refresh_from_db()
    assert alpha.status == Organization.Status.SUSPENDED

    support_client.post(changelist, {"action": "activate", "_selected_action": [alpha.pk]})
    alpha.refresh_from_db()
    assert alpha.status == Organization.Status.ACTIVE
    with tenant_context(alpha):
        assert AuditEntry.objects.filter(action="organization.suspended", actor_label__contains="ana@oxy.dev").exists()


@pytest.mark.parametrize(("role", "allowed"), [("owner", True), ("manager", True), ("attendant", False)])
def test_shop_admin_access_follows_the_role(alpha, alpha_client, role, allowed):
    email, password = shop_user(alpha, role)
    login(alpha_client, alpha, email=email, password=password)

    response = alpha_client.get("/admin/shop/auditentry/")

    assert (response.status_code == 200) is allowed
    if not allowed:
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_manager_cannot_delete_but_owner_can(alpha, alpha_client):
    email, password = shop_user(alpha, "manager")
    login(alpha_client, alpha, email=email, password=password)
    with tenant_context(alpha):
        number_id = OwnerNumber.objects.get().pk

    assert alpha_client.get(f"/admin/shop/ownernumber/{number_id}/delete/").status_code == 403

    owner_email, owner_password = ALPHA.owner_email, ALPHA.owner_password
    login(alpha_client, alpha, email=owner_email, password=owner_password)
    assert alpha_client.get(f"/admin/shop/ownernumber/{number_id}/delete/").status_code == 200


def test_an_owner_of_one_shop_cannot_use_another_shops_admin(alpha, beta_client):
    # the credentials do not exist in beta
    page = beta_client.post("/admin/login/", {"username": ALPHA.owner_email, "password": ALPHA.owner_password})
    assert page.status_code == 200  # the form again, with an error
    assert beta_client.get("/admin/").status_code == 302


def test_a_session_from_one_shop_is_not_valid_on_another(alpha, alpha_client):
    login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)
    session_cookie = alpha_client.cookies["sessionid"].value

    stranger = Client(HTTP_HOST="beta.oxy.test")
    stranger.cookies["sessionid"] = session_cookie

    assert stranger.get("/admin/").status_code == 302
    assert stranger.get("/").status_code == 302


def test_shop_staff_cannot_reach_the_support_admin(alpha, public_client):
    assert not public_client.login(username=ALPHA.owner_email, password=ALPHA.owner_password)
    assert public_client.get("/admin/tenants/organization/").status_code == 302


def test_support_staff_cannot_log_into_a_shop(support_client, alpha_client):
    page = alpha_client.post("/admin/login/", {"username": "ana@oxy.dev", "password": "support-password-1"})
    assert page.status_code == 200
    assert alpha_client.get("/admin/").status_code == 302


def test_secret_values_never_appear_in_the_shop_admin(alpha, alpha_client):
    login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)
    with tenant_context(alpha):
        values = list(TenantSecret.objects.values_list("value", flat=True))
        secret_id = TenantSecret.objects.first().pk

    pages = alpha_client.get("/admin/shop/tenantsecret/").content.decode()
    pages += alpha_client.get(f"/admin/shop/tenantsecret/{secret_id}/change/").content.decode()

    assert all(value not in pages for value in values)
