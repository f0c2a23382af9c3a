"""Operating shops from the command line: list, suspend, reactivate, rotate
credentials and secrets, audit isolation."""

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from tenants.platform import platform_init
from tenants.shop.models import AuditEntry, TenantSecret
from tests.conftest import ALPHA, login

BY = ["--by-name=Ana Suporte", "--by-email=ana@oxy.dev"]


def test_list_shows_every_shop_with_status_domain_creator_and_counts(db, capsys):
    call_command("list_tenants")

    lines = capsys.readouterr().out.splitlines()
    alpha_line = next(line for line in lines if line.startswith("alpha "))
    assert "active" in alpha_line
    assert f"alpha.{settings.OXY_BASE_DOMAIN}" in alpha_line
    assert "Test Harness <harness@oxy.test>" in alpha_line
    assert alpha_line.split()[-2:] == ["1", "1"]  # staff users, owner numbers
    assert not any(line.startswith("public") for line in lines)


def test_suspended_shop_refuses_politely_and_comes_back_on_reactivation(db, alpha, alpha_client, capsys):
    # given a logged-in owner
    login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)

    # when the shop is suspended
    call_command("suspend_tenant", "alpha", "--reason=unpaid invoice", *BY)

    # then pages and the API answer 503 with a retry hint, in Portuguese by default
    page = alpha_client.get("/inbox/")
    assert page.status_code == 503
    assert page["Retry-After"] == "3600"
    assert "suspensa" in page.content.decode()
    api = alpha_client.get("/api/anything", HTTP_ACCEPT="application/json")
    assert api.status_code == 503
    assert api.json()["code"] == "organization_suspended"
    call_command("list_tenants", "--status=suspended")
    assert "alpha " in capsys.readouterr().out

    # when reactivated, the same session works again: nothing was lost
    call_command("reactivate_tenant", "alpha", *BY)
    assert alpha_client.get("/inbox/").status_code == 200
    with tenant_context(alpha):
        actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor_label"))
    assert ("organization.suspended", "Ana Suporte <ana@oxy.dev>") in actions
    assert ("organization.reactivated", "Ana Suporte <ana@oxy.dev>") in actions


def test_suspending_one_shop_leaves_the_other_running(db, beta_client):
    call_command("suspend_tenant", "alpha", "--reason=test", *BY)

    response = beta_client.get("/login/")

    assert response.status_code == 200


def test_unknown_slug_is_a_clear_error(db):
    with pytest.raises(CommandError, match="no shop with slug 'nope'"):
        call_command("suspend_tenant", "nope", "--reason=x", *BY)


def test_rotated_owner_password_replaces_the_old_one_and_ends_sessions(db, alpha, alpha_client, capsys):
    login(alpha_client, alpha, email=ALPHA.owner_email, password=ALPHA.owner_password)

    call_command("rotate_owner_password", "alpha", *BY)

    new_password = capsys.readouterr().out.split("not stored): ")[1].strip()
    with tenant_context(alpha):
        assert authenticate(username=ALPHA.owner_email, password=ALPHA.owner_password) is None
        assert authenticate(username=ALPHA.owner_email, password=new_password) is not None
    assert alpha_client.get("/inbox/")["Location"].startswith("/login/")  # signed out


def test_rotated_secrets_get_new_values(db, alpha):
    with tenant_context(alpha):
        before = dict(TenantSecret.objects.values_list("name", "value"))

    call_command("rotate_tenant_secrets", "alpha", *BY)

    with tenant_context(alpha):
        after = dict(TenantSecret.objects.values_list("name", "value"))
        assert AuditEntry.objects.filter(action="secrets.rotated").count() == 2  # provisioning + rotation
    assert set(after) == set(before)
    assert all(after[name] != before[name] for name in before)


def test_encryption_key_rotation_reencrypts_every_stored_secret(db, alpha, beta):
    # given secrets written under the current key
    with tenant_context(alpha):
        alpha_secrets = dict(TenantSecret.objects.values_list("name", "value"))
    new_key = "Xp0Vq1m7b3sZQ8u4R2yN6cT5wK9aH1dJ3fL7gE0iU2o="

    # when a new key is put first and the rotation runs
    with override_settings(OXY_ENCRYPTION_KEYS=[new_key, *settings.OXY_ENCRYPTION_KEYS]):
        call_command("rotate_encryption_key")

    # then the new key alone reads every secret
    with override_settings(OXY_ENCRYPTION_KEYS=[new_key]), tenant_context(alpha):
        assert dict(TenantSecret.objects.values_list("name", "value")) == alpha_secrets
    with override_settings(OXY_ENCRYPTION_KEYS=[new_key]), tenant_context(beta):
        assert TenantSecret.objects.count() == 2
    with override_settings(OXY_ENCRYPTION_KEYS=[new_key]):
        platform_init()  # the key check was re-encrypted too


def test_starting_with_keys_that_cannot_read_the_database_stops_with_the_way_out(db):
    # given a database set up with the configured keys (the harness ran platform_init)
    # when the platform starts with a brand-new key (a lost .env)
    stranger = Fernet.generate_key().decode()
    with override_settings(OXY_ENCRYPTION_KEYS=[stranger]), pytest.raises(CommandError) as error:
        call_command("platform_init", verbosity=0)

    # then it refuses before serving anything, and says what to do
    assert "encrypted with other keys than OXY_ENCRYPTION_KEYS" in str(error.value)
    assert "restore the keys" in str(error.value)


def test_isolation_audit_passes_on_healthy_shops(db, capsys):
    call_command("audit_tenant_isolation")

    assert "isolation audit passed" in capsys.readouterr().out


def test_isolation_audit_finds_a_missing_table_and_an_orphan_schema(db, alpha):
    # given alpha lost a table (its queries would fall through to public's)
    # and a shop schema exists that no organization owns
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE shop_alpha.shop_ownernumber")
        cursor.execute("CREATE SCHEMA shop_ghost")

    with pytest.raises(CommandError, match="2 isolation problem"):
        call_command("audit_tenant_isolation")


def test_staff_of_one_shop_are_unknown_to_the_other(db, alpha, beta):
    with tenant_context(beta):
        assert not get_user_model().objects.filter(email=ALPHA.owner_email).exists()
        assert authenticate(username=ALPHA.owner_email, password=ALPHA.owner_password) is None
