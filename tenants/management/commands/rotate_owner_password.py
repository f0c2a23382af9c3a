from django.core.management.base import CommandError

from tenants.services import ProvisioningError, owner_password_rotate

from ._shop import ShopCommand


class Command(ShopCommand):
    help = "Give a shop's owner a new random password (printed once) and end their sessions."

    def handle(self, *args, **options) -> None:
        try:
            email, password = owner_password_rotate(organization=self.organization(options), actor=self.actor(options))
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Owner login: {email}")
        self.stdout.write(f"New password (shown once, not stored): {password}")
