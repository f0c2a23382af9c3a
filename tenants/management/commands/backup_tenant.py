from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tenants.backups import BackupError, backup_dir, organization_backup

from ._shop import shop_by_slug


class Command(BaseCommand):
    help = "Back up one shop (its schema, media files and a manifest) into one .tar.gz with a .sha256 beside it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--output", type=Path, help="archive path (default: OXY_BACKUP_DIR/<slug>-<time>.tar.gz)")

    def handle(self, *args, **options) -> None:
        organization = shop_by_slug(options["slug"])
        output = options["output"] or backup_dir() / f"{organization.slug}-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
        try:
            result = organization_backup(organization=organization, output=output, progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(f"not backed up: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Backup of '{organization.slug}' written to {result.path}"))
        self.stdout.write(f"size {result.size_bytes:,} bytes, sha256 {result.sha256}")
