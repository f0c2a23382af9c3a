from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.backups import BackupError, organization_restore


class Command(BaseCommand):
    help = (
        "Restore a shop's backup (from backup_tenant) as a new shop. The original shop is untouched; "
        "the copy's WhatsApp channels come back disconnected with fresh webhook routes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--slug", required=True, help="the new shop's slug (must not exist)")
        parser.add_argument("--name", help="the new shop's name (default: the backed-up shop's)")
        parser.add_argument("--by-name", default="restore_tenant", help="who runs this (recorded in the audit log)")
        parser.add_argument("--by-email", default="support@oxy.invalid")

    def handle(self, *args, **options) -> None:
        try:
            result = organization_restore(
                archive=options["archive"], slug=options["slug"], name=options["name"],
                actor_name=options["by_name"], actor_email=options["by_email"], progress=self.stdout.write,
            )  # fmt: skip
        except BackupError as exc:
            raise CommandError(f"not restored: {exc}") from exc
        shop = result.organization
        self.stdout.write(self.style.SUCCESS(f"Shop '{shop.name}' restored as '{shop.slug}' at {result.domain}"))
        for channel in result.channels_detached:
            self.stdout.write(f"  channel {channel}: disconnected, with a new webhook route; connect it again")
        if result.api_keys_revoked:
            self.stdout.write(f"  {result.api_keys_revoked} API key(s) revoked: create new ones for the copy")
        if result.webhooks_paused:
            self.stdout.write(f"  {result.webhooks_paused} outbound webhook(s) paused: check them before resuming")
        self.stdout.write("  the shop's secrets were rotated")
