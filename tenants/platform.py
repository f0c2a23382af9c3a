"""The platform's own setup: the public organization and its hosts, the
recorded environment, and the shop template schema. Idempotent."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from oxy.crypto import SecretDecryptionError

from .models import DeploymentEnvironment, Domain, Organization
from .schema_template import template_schema_ensure_current

KEY_CHECK = "oxy"


@dataclass(frozen=True)
class PlatformInitResult:
    public_hosts: list[str]
    template_schema: str


def platform_init() -> PlatformInitResult:
    with transaction.atomic():
        public, _ = Organization.objects.get_or_create(
            schema_name="public",
            defaults={
                "slug": "public",
                "name": "Oxy",
                "created_by_name": "platform",
                "created_by_email": "platform@oxy.invalid",
            },
        )
        hosts = list(dict.fromkeys([settings.OXY_BASE_DOMAIN, *settings.OXY_PUBLIC_HOSTS]))
        for host in hosts:
            Domain.objects.get_or_create(
                domain=host, defaults={"tenant": public, "is_primary": host == settings.OXY_BASE_DOMAIN}
            )
        try:
            recorded, _ = DeploymentEnvironment.objects.get_or_create(
                defaults={"name": settings.APP_ENV, "key_check": KEY_CHECK}
            )
        except SecretDecryptionError:
            raise ValueError(
                "this database's secrets were encrypted with other keys than OXY_ENCRYPTION_KEYS: restore the "
                "keys (the .env) that set it up, or, in development, drop the database to start afresh "
                "(dropdb -h 127.0.0.1 -U postgres oxy)"
            ) from None
        if recorded.name != settings.APP_ENV:
            raise ValueError(
                f"this database belongs to the '{recorded.name}' environment but APP_ENV is '{settings.APP_ENV}'"
            )
        if recorded.key_check is None:
            recorded.key_check = KEY_CHECK
            recorded.save(update_fields=["key_check"])
    return PlatformInitResult(public_hosts=hosts, template_schema=template_schema_ensure_current())
