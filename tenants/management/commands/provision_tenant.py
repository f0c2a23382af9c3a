from django.core.management.base import BaseCommand, CommandError

from tenants.models import Organization
from tenants.services import ProvisioningError, organization_provision


class Command(BaseCommand):
    help = "Provision a new shop: schema, domain, owner account, owner number, seed data, secrets."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-phone", required=True, help="the owner's WhatsApp number, e.g. +5511987654321")
        parser.add_argument("--created-by-name", required=True)
        parser.add_argument("--created-by-email", required=True)
        parser.add_argument("--vertical", default=Organization.Vertical.PET_SHOP, choices=Organization.Vertical.values)

    def handle(self, *args, **options) -> None:
        try:
            shop = organization_provision(
                name=options["name"],
                slug=options["slug"],
                owner_email=options["owner_email"],
                owner_phone=options["owner_phone"],
                created_by_name=options["created_by_name"],
                created_by_email=options["created_by_email"],
                vertical=options["vertical"],
            )
        except ProvisioningError as exc:
            raise CommandError(f"not provisioned: {exc}") from exc
        for check in shop.smoke.checks:
            self.stdout.write(f"  ok  {check}")
        self.stdout.write(self.style.SUCCESS(f"Shop '{shop.organization.name}' is ready at {shop.dashboard_url}"))
        self.stdout.write(f"Owner login: {shop.owner_email}")
        self.stdout.write(f"Owner password (shown once, not stored): {shop.owner_password}")
