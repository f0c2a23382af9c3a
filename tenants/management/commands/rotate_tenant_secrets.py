from tenants.services import organization_secrets_rotate

from ._shop import ShopCommand


class Command(ShopCommand):
    help = "Replace a shop's secrets (webhook secret, API signing key) with new random values."

    def handle(self, *args, **options) -> None:
        names = organization_secrets_rotate(organization=self.organization(options), actor=self.actor(options))
        self.stdout.write(f"{options['slug']}: rotated {', '.join(names)}")
