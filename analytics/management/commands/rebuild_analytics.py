from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from analytics.services import rollups_rebuild
from tenants.management.commands._shop import shop_by_slug


class Command(BaseCommand):
    help = "Recompute a shop's daily rollups from its analytics events for a range of days (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True, help="YYYY-MM-DD, included")

    def handle(self, *args, slug: str, start: date, end: date, **options) -> None:
        if end < start:
            raise CommandError("--to must not be before --from")
        organization = shop_by_slug(slug)
        with tenant_context(organization):
            folded = 0
            for folded in rollups_rebuild(start=start, end=end):
                self.stderr.write(f"\r{folded} events folded", ending="")
        self.stderr.write("")
        self.stdout.write(f"rebuilt {slug} rollups {start}..{end} from {folded} events")
