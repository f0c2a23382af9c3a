"""The demo shop that `bin/run` starts with: provisioned once, reused after."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django_tenants.utils import tenant_context

from .models import Organization
from .seeding import demo_seed, shop_seed
from .selectors import provisioning_smoke_check
from .services import ProvisionedShop, organization_provision, shop_domain
from .shop.services import Actor, audit_record

DEMO_SLUG = "demo"
DEMO_OWNER_EMAIL = "dono@demo.oxy.dev"


def demo_shop_ensure() -> ProvisionedShop:
    """Provision the demo shop if it is missing; otherwise give its owner a
    fresh password, since the old one was only ever printed."""
    password = os.environ.get("OXY_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    organization = Organization.objects.filter(slug=DEMO_SLUG).first()
    if organization is None:
        shop = organization_provision(
            name="Pet Shop Demo",
            slug=DEMO_SLUG,
            owner_email=DEMO_OWNER_EMAIL,
            owner_phone="+5511999990000",
            created_by_name="Oxy setup",
            created_by_email="setup@oxy.dev",
            owner_password=password,
        )
        with tenant_context(shop.organization):
            demo_seed(shop.organization)
        return shop
    with transaction.atomic(), tenant_context(organization):
        # Seeders are idempotent: this fills in what later releases added.
        shop_seed(organization)
        demo_seed(organization)
        owner = get_user_model().objects.get(email=DEMO_OWNER_EMAIL)
        owner.set_password(password)
        owner.save(update_fields=["password"])
        audit_record(actor=Actor.system("bin/run"), action="owner.password_rotated", target=owner.email)
    return ProvisionedShop(
        organization=organization,
        domain=shop_domain(DEMO_SLUG),
        owner_email=DEMO_OWNER_EMAIL,
        owner_password=password,
        smoke=provisioning_smoke_check(
            organization=organization, owner_email=DEMO_OWNER_EMAIL, owner_password=password
        ),
    )
