from datetime import date

from django.core.management.base import BaseCommand
from django_tenants.utils import tenant_context

from tenants.shop.audit_export import FORMATS, audit_entries, audit_lines

from ._shop import shop_by_slug


class Command(BaseCommand):
    help = "Write a shop's audit log to stdout as CSV or JSON Lines, oldest first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD, the first day included")
        parser.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD, the last day included")
        parser.add_argument("--format", choices=list(FORMATS), default="csv")

    def handle(self, *args, **options) -> None:
        organization = shop_by_slug(options["slug"])
        with tenant_context(organization):
            entries = audit_entries(since=options["since"], until=options["until"])
            for line in audit_lines(entries, export_format=options["format"]):
                self.stdout.write(line, ending="")
