from django.core.management.base import CommandError
from django_tenants.utils import tenant_context

from tenants.shop.models import ApiKey
from tenants.shop.services import api_key_create

from ._shop import ShopCommand


class Command(ShopCommand):
    help = "Create an API key for a shop's integrations; the key is printed once."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--name", required=True, help="what the key is for, e.g. 'ERP'")
        parser.add_argument("--role", choices=ApiKey.Role.values, default=ApiKey.Role.ATTENDANT)

    def handle(self, *args, **options) -> None:
        if not options["name"].strip():
            raise CommandError("--name is empty")
        with tenant_context(self.organization(options)):
            api_key, key = api_key_create(name=options["name"], role=options["role"], actor=self.actor(options))
        self.stdout.write(f"API key '{api_key.name}' ({api_key.role}) for {options['slug']}:")
        self.stdout.write(f"  Authorization: Api-Key {key}")
        self.stdout.write("Shown once: it is stored only as a hash.")
