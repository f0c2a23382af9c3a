from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tenants.platform import platform_init


class Command(BaseCommand):
    help = "Migrate every schema, register the public hosts and the environment, refresh the shop template."

    def handle(self, *args, **options) -> None:
        call_command("migrate_schemas", interactive=False, verbosity=max(0, options["verbosity"] - 1))
        try:
            result = platform_init()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"platform ready: environment '{settings.APP_ENV}', public hosts {', '.join(result.public_hosts)}, "
            f"template schema {result.template_schema}"
        )
