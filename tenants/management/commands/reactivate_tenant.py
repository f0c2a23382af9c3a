from tenants.services import organization_reactivate

from ._shop import ShopCommand


class Command(ShopCommand):
    help = "Reactivate a suspended shop."

    def handle(self, *args, **options) -> None:
        organization = organization_reactivate(organization=self.organization(options), actor=self.actor(options))
        self.stdout.write(f"{organization.slug}: {organization.status}")
