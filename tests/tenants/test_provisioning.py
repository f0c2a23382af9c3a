import re
import subprocess
import sys
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import translation
from django_tenants.utils import schema_exists, tenant_context

from oxy.crypto import secret_decrypt
from tenants import services
from tenants.models import Domain, Organization
from tenants.services import ProvisioningError, organization_provision
from tenants.shop.models import AuditEntry, OwnerNumber, ShopSettings, TenantSecret

SHOP = {
    "name": "Pet Feliz",
    "slug": "petfeliz",
    "owner_email": "Dono@PetFeliz.com.br",
    "owner_phone": "(11) 98765-4321",
    "created_by_name": "Ana Suporte",
    "created_by_email": "ana@oxy.dev",
}


def nothing_left_for(slug: str) -> bool:
    schema = f"shop_{slug.replace('-', '_')}"
    return (
        not Organization.objects.filter(slug=slug).exists()
        and not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
        and not schema_exists(schema)
    )


def test_provisioned_shop_is_complete_and_ready_to_log_in(db):
    # when
    shop = organization_provision(**SHOP)

    # then: the organization records who created it, and has its domain and schema
    organization = shop.organization
    assert organization.created_by_name == "Ana Suporte"
    assert organization.created_by_email == "ana@oxy.dev"
    assert organization.schema_name == "shop_petfeliz"
    assert shop.domain == f"petfeliz.{settings.OXY_BASE_DOMAIN}"
    assert Domain.objects.get(domain=shop.domain).tenant == organization
    assert schema_exists("shop_petfeliz")
    assert shop.smoke.ok, shop.smoke.failures

    with tenant_context(organization):
        # the owner logs in with the printed password, which is stored only hashed
        owner = authenticate(username="dono@petfeliz.com.br", password=shop.owner_password)
        assert owner is not None
        assert owner.role == "owner"
        assert shop.owner_password not in owner.password
        # the owner's number is authorized for Aurora, in E.164
        assert list(OwnerNumber.objects.values_list("phone", flat=True)) == ["+5511987654321"]
        # default data for the vertical
        assert "Pet Feliz" in ShopSettings.objects.get().welcome_message
        # secrets exist, decrypt, and are not stored in plain text
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, value FROM shop_tenantsecret ORDER BY name")
            raw = dict(cursor.fetchall())
        assert set(raw) == {"api_signing_key", "webhook_secret"}
        for secret in TenantSecret.objects.all():
            assert raw[secret.name] != secret.value
            assert secret_decrypt(raw[secret.name]) == secret.value
        # the audit log names the support person who did it
        entry = AuditEntry.objects.get(action="organization.provisioned")
        assert entry.actor_label == "Ana Suporte <ana@oxy.dev>"


def test_new_shop_sees_none_of_another_shops_rows(db, alpha):
    shop = organization_provision(**SHOP)

    with tenant_context(shop.organization):
        assert list(get_user_model().objects.values_list("email", flat=True)) == ["dono@petfeliz.com.br"]
        assert not OwnerNumber.objects.filter(phone="+5511987650001").exists()
    with tenant_context(alpha):
        assert not get_user_model().objects.filter(email="dono@petfeliz.com.br").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"slug": "alpha"}, "the slug 'alpha' is already taken"),
        ({"slug": "Pet_Feliz"}, "invalid slug 'Pet_Feliz'"),
        ({"slug": "pet--feliz"}, "invalid slug 'pet--feliz'"),
        ({"slug": "p"}, "invalid slug 'p'"),
        ({"owner_email": "dono-at-petfeliz"}, "invalid owner email 'dono-at-petfeliz'"),
        ({"created_by_email": "ana"}, "invalid created-by email 'ana'"),
        ({"owner_phone": "123"}, "invalid owner phone: '123' is not a valid phone number"),
        ({"owner_phone": "call me"}, "invalid owner phone"),
        ({"name": "  "}, "the shop name is empty"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_created(db, override, message):
    organizations_before = Organization.objects.count()

    with translation.override("en"), pytest.raises(ProvisioningError, match=re.escape(message)):
        organization_provision(**{**SHOP, **override})

    assert Organization.objects.count() == organizations_before
    assert not schema_exists("shop_petfeliz")


def test_failure_midway_leaves_no_schema_domain_or_user_behind(db):
    # given seeding fails after the schema, domain and owner were created
    failing_seed = mock.patch.object(services, "shop_seed", side_effect=RuntimeError("seed exploded"))

    # when
    with failing_seed, pytest.raises(RuntimeError, match="seed exploded"):
        organization_provision(**SHOP)

    # then
    assert nothing_left_for("petfeliz")


def test_failed_smoke_check_rolls_everything_back(db):
    login_fails = mock.patch("tenants.selectors.authenticate", return_value=None)

    with login_fails, pytest.raises(ProvisioningError, match="smoke check failed: owner can log in"):
        organization_provision(**SHOP)

    assert nothing_left_for("petfeliz")


def test_command_prints_the_password_once_and_the_dashboard_url(db, capsys):
    call_command(
        "provision_tenant",
        "--name=Pet Feliz",
        "--slug=petfeliz",
        "--owner-email=dono@petfeliz.com.br",
        "--owner-phone=+5511987654321",
        "--created-by-name=Ana",
        "--created-by-email=ana@oxy.dev",
    )

    out = capsys.readouterr().out
    assert f"http://petfeliz.{settings.OXY_BASE_DOMAIN}:8000/" in out
    password = out.split("not stored): ")[1].strip()
    assert out.count(password) == 1
    with tenant_context(Organization.objects.get(slug="petfeliz")):
        assert authenticate(username="dono@petfeliz.com.br", password=password) is not None


def test_command_refuses_bad_input_in_one_line_with_a_failing_exit_code(db):
    # A real process, as an operator runs it.
    result = subprocess.run(
        [sys.executable, "manage.py", "provision_tenant", "--name=X", "--slug=Bad_Slug",
         "--owner-email=a@b.com", "--owner-phone=+5511987654321",
         "--created-by-name=Ana", "--created-by-email=ana@oxy.dev"],
        capture_output=True, text=True, env={"DJANGO_SETTINGS_MODULE": "oxy.settings_test", "PATH": "/usr/bin"},
        check=False,
    )  # fmt: skip

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "CommandError: not provisioned: invalid slug 'Bad_Slug': use 3-40 lowercase letters, digits and "
        "single hyphens, starting with a letter"
    ]
