"""API keys (the secret shown once) and the team (a first password shown
once, roles, deactivation, and a shop that always keeps an owner)."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import tenant_context

from tenants.shop.models import ApiKey, AuditEntry
from tenants.staff.models import User
from tests.conftest import ALPHA
from tests.fixtures.dashboard import signed_in, team_member
from tests.tenants import settings_data as data

SECRET = re.compile(r'<code class="secret">([^<]+)</code>')


def in_english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def manager(alpha_team) -> Client:
    return in_english(alpha_team("manager"))


@pytest.fixture
def owner(alpha) -> tuple[User, Client]:
    user = team_member(alpha, role="owner")
    return user, in_english(signed_in(alpha, user))


def member(organization, email: str) -> User:
    with tenant_context(organization):
        return User.objects.get(email=email)


def calls_the_api(key: str) -> int:
    return Client(HTTP_HOST=ALPHA.host).get("/api/v1/services/", HTTP_AUTHORIZATION=f"Api-Key {key}").status_code


def test_a_new_api_key_is_shown_once_and_works(alpha, manager):
    response = manager.post("/settings/api-keys/", {"name": "Site", "role": "attendant"}, follow=True)

    page = response.content.decode()
    assert "API key “Site” created." in page
    assert response["Cache-Control"].startswith("max-age=0")  # not kept by the browser's Back button
    [key] = SECRET.findall(page)
    assert calls_the_api(key) == 200
    with tenant_context(alpha):
        api_key = ApiKey.objects.get(name="Site")
        assert AuditEntry.objects.filter(action="api_key.created", target=f"api_key:{api_key.pk}").exists()
    assert key.startswith(f"oxy_{api_key.prefix}.")

    again = manager.get("/settings/api-keys/").content.decode()
    assert not SECRET.findall(again)
    assert key not in again
    assert f"oxy_{api_key.prefix}…" in again  # only its prefix, from now on


def test_a_key_without_a_name_is_refused(alpha, manager):
    response = manager.post("/settings/api-keys/", {"name": "", "role": "manager"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    assert not SECRET.findall(response.content.decode())
    with tenant_context(alpha):
        assert not ApiKey.objects.exists()


def test_revoking_a_key_asks_first_then_the_key_stops_working(alpha, manager):
    created = manager.post("/settings/api-keys/", {"name": "Site", "role": "attendant"}, follow=True)
    [key] = SECRET.findall(created.content.decode())
    with tenant_context(alpha):
        api_key = ApiKey.objects.get(name="Site")

    assert "Site" in manager.get(f"/settings/api-keys/{api_key.pk}/revoke/").content.decode()
    with tenant_context(alpha):
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None  # asking changed nothing

    response = manager.post(f"/settings/api-keys/{api_key.pk}/revoke/", follow=True)

    assert "API key “Site” revoked." in response.content.decode()
    assert 'class="badge cancelled"' in response.content.decode()
    with tenant_context(alpha):
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None
    assert calls_the_api(key) in (401, 403)


def test_an_owner_adds_a_manager_who_signs_in_with_the_password_shown_once(alpha, owner):
    _user, client = owner

    response = client.post("/settings/team/", {"email": "Bia@Alpha.test", "first_name": "Bia", "role": "manager"},
                           follow=True)  # fmt: skip

    page = response.content.decode()
    assert "bia@alpha.test joined the team." in page
    [password] = SECRET.findall(page)
    bia = member(alpha, "bia@alpha.test")
    assert (bia.role, bia.first_name, bia.is_staff, bia.is_superuser) == ("manager", "Bia", True, False)
    with tenant_context(alpha):
        assert Client(HTTP_HOST=ALPHA.host).login(username="bia@alpha.test", password=password)
        assert AuditEntry.objects.filter(
            action="staff.added", target="bia@alpha.test", data={"role": "manager"}
        ).exists()
    assert password not in client.get("/settings/team/").content.decode()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"email": "dona2@alpha.test", "role": "owner"}, "role"),  # a manager cannot make owners
        ({"email": "OWNER@alpha.test", "role": "attendant"}, "__all__"),  # the provisioned owner's e-mail
        ({"email": "not-an-email", "role": "attendant"}, "email"),
    ],
    ids=["manager-adds-owner", "email-taken", "email-invalid"],
)
def test_a_refused_new_member_is_shown_again_and_nobody_is_added(alpha, manager, body, where):
    before = data.shop_rows(alpha)

    response = manager.post("/settings/team/", body)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [where]
    assert f'value="{body["email"]}"' in response.content.decode()
    assert data.shop_rows(alpha) == before


def test_the_plan_limits_the_active_team(alpha, manager):
    with tenant_context(alpha):
        alpha.max_staff_users = User.objects.filter(is_active=True).count()
        alpha.save(update_fields=["max_staff_users"])

    response = manager.post("/settings/team/", {"email": "extra@alpha.test", "role": "attendant"})

    assert response.status_code == 200
    assert "Your plan allows" in response.content.decode()
    with tenant_context(alpha):
        assert not User.objects.filter(email="extra@alpha.test").exists()


def test_a_manager_promotes_an_attendant_but_cannot_make_an_owner(alpha, manager):
    bia = team_member(alpha, role="attendant", email="bia@alpha.test")

    manager.post(f"/settings/team/{bia.pk}/role/", {f"m{bia.pk}-role": "manager"})
    assert member(alpha, "bia@alpha.test").role == "manager"

    response = manager.post(f"/settings/team/{bia.pk}/role/", {f"m{bia.pk}-role": "owner"}, follow=True)

    assert "Only an owner can add, promote, demote or deactivate an owner." in response.content.decode()
    assert member(alpha, "bia@alpha.test").role == "manager"
    with tenant_context(alpha):
        assert AuditEntry.objects.filter(action="staff.role_changed", target="bia@alpha.test").count() == 1


def test_a_manager_cannot_demote_or_deactivate_an_owner(alpha, manager):
    before = data.shop_rows(alpha)
    provisioned = member(alpha, ALPHA.owner_email)

    manager.post(f"/settings/team/{provisioned.pk}/role/", {f"m{provisioned.pk}-role": "attendant"})
    manager.post(f"/settings/team/{provisioned.pk}/deactivate/")

    assert data.shop_rows(alpha) == before
    assert f"/settings/team/{provisioned.pk}/deactivate/" not in manager.get("/settings/team/").content.decode()


def test_the_last_active_owner_cannot_be_demoted(alpha, owner):
    user, client = owner
    provisioned = member(alpha, ALPHA.owner_email)
    client.post(f"/settings/team/{provisioned.pk}/role/", {f"m{provisioned.pk}-role": "manager"})
    assert member(alpha, ALPHA.owner_email).role == "manager"  # another owner remained: allowed
    before = data.shop_rows(alpha)

    response = client.post(f"/settings/team/{user.pk}/role/", {f"m{user.pk}-role": "manager"}, follow=True)

    assert "The shop needs at least one active owner" in response.content.decode()
    assert data.shop_rows(alpha) == before


def test_an_owner_deactivates_a_member_who_is_signed_out_then_reactivates_them(alpha, owner):
    _user, client = owner
    bia = team_member(alpha, role="attendant", email="bia@alpha.test")
    bias_browser = signed_in(alpha, bia)
    assert bias_browser.get("/settings/").status_code == 403  # signed in (an attendant)

    assert "bia@alpha.test" in client.get(f"/settings/team/{bia.pk}/deactivate/").content.decode()
    assert member(alpha, "bia@alpha.test").is_active  # asking changed nothing
    response = client.post(f"/settings/team/{bia.pk}/deactivate/", follow=True)

    assert "bia@alpha.test can no longer sign in." in response.content.decode()
    assert not member(alpha, "bia@alpha.test").is_active
    assert bias_browser.get("/settings/").status_code == 302  # to the sign-in page

    client.post(f"/settings/team/{bia.pk}/reactivate/")

    assert member(alpha, "bia@alpha.test").is_active
    with tenant_context(alpha):
        actions = list(AuditEntry.objects.filter(target="bia@alpha.test").values_list("action", flat=True))
    assert sorted(actions) == ["staff.deactivated", "staff.reactivated"]


def test_nobody_deactivates_themselves(alpha, owner):
    user, client = owner

    response = client.post(f"/settings/team/{user.pk}/deactivate/", follow=True)

    assert "You cannot deactivate your own account." in response.content.decode()
    with tenant_context(alpha):
        assert User.objects.get(pk=user.pk).is_active
