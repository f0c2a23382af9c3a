import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import ApiKey, AuditEntry, TenantSecret


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
