from django.core.management.base import BaseCommand, CommandError

from tenants.models import Organization
from tenants.shop.services import Actor


def shop_by_slug(slug: str) -> Organization:
    try:
        return Organization.objects.exclude(schema_name="public").get(slug=slug)
    except Organization.DoesNotExist:
        raise CommandError(f"no shop with slug '{slug}'") from None


class ShopCommand(BaseCommand):
    """A command about one shop, run by a named support person."""

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--by-name", required=True, help="who runs this (recorded in the audit log)")
        parser.add_argument("--by-email", required=True)

    def organization(self, options) -> Organization:
        return shop_by_slug(options["slug"])

    def actor(self, options) -> Actor:
        return Actor.support(name=options["by_name"], email=options["by_email"])
