import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oxy.ttl_cache import ttl_caches_clear
from tenants.models import Organization
from tenants.staff.models import User

from .models import ApiKey, AuditEntry, OwnerNumber, ShopSettings, TenantSecret
from .selectors import time_zones


@dataclass(frozen=True)
class Actor:
    """Who did something, as the audit log names them."""

    type: str
    label: str

    @classmethod
    def support(cls, *, name: str, email: str) -> "Actor":
        return cls(AuditEntry.ActorType.SUPPORT, f"{name} <{email}>")

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(AuditEntry.ActorType.STAFF, user.email)

    @classmethod
    def api_key(cls, api_key) -> "Actor":
        return cls(AuditEntry.ActorType.API, f"api-key:{api_key.name} ({api_key.prefix})")

    @classmethod
    def system(cls, what: str = "oxy") -> "Actor":
        return cls(AuditEntry.ActorType.SYSTEM, what)


def audit_record(*, actor: Actor, action: str, target: str = "", data: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        actor_type=actor.type, actor_label=actor.label, action=action, target=target, data=data or {}
    )


@transaction.atomic
def tenant_secrets_rotate(*, actor: Actor) -> list[str]:
    """Give the current shop a fresh value for every secret; returns the names."""
    now = timezone.now()
    names = list(TenantSecret.Name.values)
    for name in names:
        TenantSecret.objects.update_or_create(
            name=name, defaults={"value": secrets.token_urlsafe(32), "rotated_at": now}
        )
    audit_record(actor=actor, action="secrets.rotated", data={"names": names})
    return names


API_KEY_PREFIX_LENGTH = 8


def api_key_hash(key: str) -> str:
    # Keys are 256-bit random values: a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, role: str, actor: Actor) -> tuple[ApiKey, str]:
    """Create a key for the current shop; returns it with the plaintext key,
    which is never stored and cannot be shown again."""
    prefix = secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)
    key = f"oxy_{prefix}.{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        name=name.strip(), prefix=prefix, key_hash=api_key_hash(key), role=role, created_by=actor.label
    )
    audit_record(
        actor=actor, action="api_key.created", target=f"api_key:{api_key.pk}", data={"name": name, "role": role}
    )
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Actor) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoked", target=f"api_key:{api_key.pk}")
    return api_key


# The Settings pages: the shop's profile, its owner numbers and its team.


@transaction.atomic
def shop_profile_update(
    *, organization: Organization, name: str, time_zone: str, language: str, actor: Actor
) -> Organization:  # fmt: skip
    """The shop's name and time zone (its public record) and the language
    of what it sends on its own (this schema's `ShopSettings`)."""
    if time_zone not in time_zones():
        raise ValueError(f"unknown time zone {time_zone!r}")
    shop = ShopSettings.objects.get(singleton=True)
    before = {"name": organization.name, "timezone": organization.timezone, "language": shop.language}
    organization.name, organization.timezone = name.strip(), time_zone
    organization.save(update_fields=["name", "timezone"])
    shop.language = language
    shop.save(update_fields=["language", "updated_at"])
    after = {"name": organization.name, "timezone": time_zone, "language": language}
    audit_record(
        actor=actor,
        action="shop.profile_updated",
        target=organization.slug,
        data={"fields": sorted(field for field in after if after[field] != before[field])},
    )
    # Other requests read the shop from the per-host cache: let them see the change.
    transaction.on_commit(ttl_caches_clear)
    return organization


@transaction.atomic
def owner_number_add(*, phone: str, label: str, actor: Actor) -> OwnerNumber:
    number = OwnerNumber(phone=phone, label=label.strip())
    number.full_clean()  # canonical E.164, once per shop
    number.save()
    audit_record(
        actor=actor, action="owner_number.added", target=f"owner_number:{number.pk}", data={"phone": number.phone}
    )
    return number


@transaction.atomic
def owner_number_remove(*, number: OwnerNumber, actor: Actor) -> None:
    audit_record(
        actor=actor, action="owner_number.removed", target=f"owner_number:{number.pk}", data={"phone": number.phone}
    )
    number.delete()


class StaffChangeRefused(Exception):
    """A change to the team that the rules forbid; the message is for the
    person who asked."""


def _role_flags(user: User) -> None:
    # As in the shop's admin: admin access follows the role, and nobody in a
    # shop is a platform superuser.
    user.is_staff = user.can_manage_shop
    user.is_superuser = user.role == User.Role.OWNER


def _may_change(*, by: User, role_before: str, role_after: str) -> None:
    if role_after not in User.Role.values:
        raise ValueError(f"unknown role {role_after!r}")
    if User.Role.OWNER in (role_before, role_after) and by.role != User.Role.OWNER:
        raise StaffChangeRefused(_("Only an owner can add, promote, demote or deactivate an owner."))


def _another_owner_remains(user: User) -> None:
    """Refuse to take the owner role from the shop's last active owner. The
    owners are locked while counted: two owners demoting each other at the
    same moment cannot both succeed."""
    owners = User.objects.select_for_update().filter(role=User.Role.OWNER, is_active=True)
    if not set(owners.values_list("pk", flat=True)) - {user.pk}:
        raise StaffChangeRefused(_("The shop needs at least one active owner: make someone else an owner first."))


def _within_plan(organization: Organization) -> None:
    if User.objects.filter(is_active=True).count() >= organization.max_staff_users:
        raise StaffChangeRefused(
            _("Your plan allows %(count)d active team members. Deactivate someone first.")
            % {"count": organization.max_staff_users}
        )


@transaction.atomic
def staff_member_add(
    *, organization: Organization, email: str, role: str, by: User, first_name: str = "", last_name: str = ""
) -> tuple[User, str]:  # fmt: skip
    """Add someone to the team with a random password; returns the member
    and that password, which is not stored in clear and cannot be shown again."""
    _may_change(by=by, role_before=role, role_after=role)
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise StaffChangeRefused(_("Someone on the team already uses this e-mail."))
    _within_plan(organization)
    password = secrets.token_urlsafe(12)
    user = User(email=email, role=role, first_name=first_name.strip(), last_name=last_name.strip())
    _role_flags(user)
    user.set_password(password)
    user.save()
    audit_record(actor=Actor.staff(by), action="staff.added", target=user.email, data={"role": role})
    return user, password


@transaction.atomic
def staff_role_change(*, user: User, role: str, by: User) -> User:
    if role == user.role:
        return user
    _may_change(by=by, role_before=user.role, role_after=role)
    if user.role == User.Role.OWNER:
        _another_owner_remains(user)
    before, user.role = user.role, role
    _role_flags(user)
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    audit_record(
        actor=Actor.staff(by), action="staff.role_changed", target=user.email, data={"from": before, "to": role}
    )
    return user


@transaction.atomic
def staff_active_set(*, organization: Organization, user: User, active: bool, by: User) -> User:
    """Deactivate (they can no longer sign in; their sessions end) or
    reactivate a team member."""
    if active == user.is_active:
        return user
    _may_change(by=by, role_before=user.role, role_after=user.role)
    if active:
        _within_plan(organization)
    else:
        if user.pk == by.pk:
            raise StaffChangeRefused(_("You cannot deactivate your own account."))
        if user.role == User.Role.OWNER:
            _another_owner_remains(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=Actor.staff(by), action="staff.reactivated" if active else "staff.deactivated", target=user.email
    )
    return user
