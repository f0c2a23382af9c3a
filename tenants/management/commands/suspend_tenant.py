from tenants.services import organization_suspend

from ._shop import ShopCommand


class Command(ShopCommand):
    help = "Suspend a shop: its dashboard, API and webhooks answer 503 (retry later) and nothing is lost."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--reason", required=True)

    def handle(self, *args, **options) -> None:
        organization = organization_suspend(
            organization=self.organization(options), reason=options["reason"], actor=self.actor(options)
        )
        self.stdout.write(f"{organization.slug}: suspended since {organization.suspended_at:%Y-%m-%d %H:%M %Z}")
