"""Writes on organizations: provisioning, suspension, credential rotation.

These run in the public schema; each enters the shop's schema itself only
through `tenant_context` for the shop it was asked to change.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from oxy.phones import InvalidPhoneNumber, phone_to_e164
from oxy.ttl_cache import ttl_caches_clear

from .models import Domain, Organization, schema_name_for_slug, validate_slug
from .schema_template import schema_create_from_template
from .seeding import shop_seed
from .selectors import ProvisioningSmokeReport, provisioning_smoke_check, tables_in_schema
from .shop.models import OwnerNumber
from .shop.services import Actor, audit_record, tenant_secrets_rotate


class ProvisioningError(Exception):
    """A shop cannot be provisioned; the message is one line for a human."""


@dataclass(frozen=True)
class ProvisionedShop:
    organization: Organization
    domain: str
    owner_email: str
    owner_password: str
    smoke: ProvisioningSmokeReport

    @property
    def dashboard_url(self) -> str:
        return settings.OXY_DASHBOARD_URL.format(domain=self.domain)


T = TypeVar("T")


def in_each_active_shop(run: Callable[[], T]) -> dict[str, T]:
    """Run a shop's periodic work in every active shop's schema (suspended
    shops wait); the results by slug."""
    results = {}
    shops = Organization.objects.filter(status=Organization.Status.ACTIVE).exclude(schema_name=get_public_schema_name())
    for organization in shops:
        with tenant_context(organization):
            results[organization.slug] = run()
    return results


def shop_domain(slug: str) -> str:
    return f"{slug}.{settings.OXY_BASE_DOMAIN}"


def _validated_provisioning_input(
    *, name: str, slug: str, owner_email: str, owner_phone: str, created_by_name: str, created_by_email: str
) -> tuple[str, str]:
    if not name.strip():
        raise ProvisioningError("the shop name is empty")
    if not created_by_name.strip():
        raise ProvisioningError("--created-by-name is empty")
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise ProvisioningError(
            f"invalid slug '{slug}': use 3-40 lowercase letters, digits and single hyphens, starting with a letter"
        ) from exc
    for label, email in (("owner email", owner_email), ("created-by email", created_by_email)):
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ProvisioningError(f"invalid {label} '{email}'") from exc
    try:
        phone = phone_to_e164(owner_phone)
    except InvalidPhoneNumber as exc:
        raise ProvisioningError(f"invalid owner phone: {exc}") from exc
    if Organization.objects.filter(slug=slug).exists():
        raise ProvisioningError(f"the slug '{slug}' is already taken")
    if Domain.objects.filter(domain=shop_domain(slug)).exists():
        raise ProvisioningError(f"the domain '{shop_domain(slug)}' is already taken")
    return owner_email.strip().lower(), phone


def organization_provision(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_phone: str,
    created_by_name: str,
    created_by_email: str,
    vertical: str = Organization.Vertical.PET_SHOP,
    owner_password: str | None = None,
) -> ProvisionedShop:
    """Create a ready-to-use shop, all or nothing.

    Schema, domain, owner account, owner number, seed data, secrets and audit
    entry are written in one transaction (PostgreSQL DDL is transactional),
    and the smoke check runs before it commits: a failure anywhere leaves
    nothing behind.
    """
    email, phone = _validated_provisioning_input(
        name=name,
        slug=slug,
        owner_email=owner_email,
        owner_phone=owner_phone,
        created_by_name=created_by_name,
        created_by_email=created_by_email,
    )
    if vertical not in Organization.Vertical.values:
        raise ProvisioningError(f"unknown vertical '{vertical}': choose {', '.join(Organization.Vertical.values)}")
    password = owner_password or secrets.token_urlsafe(12)
    creator = Actor.support(name=created_by_name, email=created_by_email)

    with transaction.atomic():
        organization = Organization.objects.create(
            schema_name=schema_name_for_slug(slug),
            slug=slug,
            name=name.strip(),
            vertical=vertical,
            created_by_name=created_by_name.strip(),
            created_by_email=created_by_email.strip().lower(),
        )
        domain = Domain.objects.create(domain=shop_domain(slug), tenant=organization, is_primary=True)
        schema_create_from_template(organization.schema_name)
        with tenant_context(organization):
            get_user_model().objects.create_user(
                email=email, password=password, role="owner", is_staff=True, is_superuser=True
            )
            OwnerNumber.objects.create(phone=phone, label="owner")
            tenant_secrets_rotate(actor=creator)
            shop_seed(organization)
            audit_record(
                actor=creator,
                action="organization.provisioned",
                target=organization.slug,
                data={"owner_email": email, "owner_phone": phone, "vertical": vertical},
            )
            smoke = provisioning_smoke_check(organization=organization, owner_email=email, owner_password=password)
        if not smoke.ok:
            raise ProvisioningError(f"smoke check failed: {'; '.join(smoke.failures)}")

    return ProvisionedShop(
        organization=organization, domain=domain.domain, owner_email=email, owner_password=password, smoke=smoke
    )


@transaction.atomic
def organization_suspend(*, organization: Organization, reason: str, actor: Actor) -> Organization:
    if organization.status == Organization.Status.SUSPENDED:
        return organization
    organization.status = Organization.Status.SUSPENDED
    organization.suspended_at = timezone.now()
    organization.suspension_reason = reason
    organization.save(update_fields=["status", "suspended_at", "suspension_reason"])
    ttl_caches_clear()
    transaction.on_commit(ttl_caches_clear)
    with tenant_context(organization):
        audit_record(actor=actor, action="organization.suspended", target=organization.slug, data={"reason": reason})
    return organization


@transaction.atomic
def organization_reactivate(*, organization: Organization, actor: Actor) -> Organization:
    if organization.status == Organization.Status.ACTIVE:
        return organization
    organization.status = Organization.Status.ACTIVE
    organization.suspended_at = None
    organization.suspension_reason = ""
    organization.save(update_fields=["status", "suspended_at", "suspension_reason"])
    ttl_caches_clear()
    transaction.on_commit(ttl_caches_clear)
    with tenant_context(organization):
        audit_record(actor=actor, action="organization.reactivated", target=organization.slug)
    return organization


def organization_change_record(*, organization: Organization, changes: dict[str, tuple], actor: Actor) -> None:
    """Record in the shop's own audit log what support changed on its
    record (plan, limits, status...): `changes` maps field to (before, after)."""
    if not changes:
        return
    data = {field: {"from": before, "to": after} for field, (before, after) in changes.items()}
    with tenant_context(organization):
        audit_record(actor=actor, action="organization.changed", target=organization.slug, data=data)


@transaction.atomic
def owner_password_rotate(*, organization: Organization, actor: Actor) -> tuple[str, str]:
    """Give the shop's owner a new random password; returns (email, password).

    Every session of the owner ends, because the session hash changes.
    """
    password = secrets.token_urlsafe(12)
    with tenant_context(organization):
        owner = get_user_model().objects.filter(role="owner").order_by("id").first()
        if owner is None:
            raise ProvisioningError(f"the shop '{organization.slug}' has no owner account")
        owner.set_password(password)
        owner.save(update_fields=["password"])
        audit_record(actor=actor, action="owner.password_rotated", target=owner.email)
    return owner.email, password


def organization_secrets_rotate(*, organization: Organization, actor: Actor) -> list[str]:
    with tenant_context(organization):
        return tenant_secrets_rotate(actor=actor)


def encrypted_values_reencrypt_all_tenants() -> int:
    """Re-encrypt every stored secret, in public and every shop, under the
    newest key of OXY_ENCRYPTION_KEYS; returns how many values changed."""
    from django.apps import apps

    from oxy.crypto import EncryptedTextField, secret_reencrypt

    columns = [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
    schemas = list(Organization.objects.values_list("schema_name", flat=True))
    changed = 0
    for schema in schemas:
        with schema_context(schema), transaction.atomic(), connection.cursor() as cursor:
            for model, field in columns:
                table = model._meta.db_table
                if table not in tables_in_schema(schema):
                    continue
                qn = connection.ops.quote_name
                cursor.execute(f"SELECT {qn('id')}, {qn(field.column)} FROM {qn(table)} FOR UPDATE")  # noqa: S608
                for pk, token in cursor.fetchall():
                    if token is None:
                        continue
                    cursor.execute(
                        f"UPDATE {qn(table)} SET {qn(field.column)} = %s WHERE {qn('id')} = %s",  # noqa: S608
                        [secret_reencrypt(token), pk],
                    )
                    changed += 1
    return changed
