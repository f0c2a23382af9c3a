from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from tenants.models import Organization
from tenants.shop.audit_export import FORMATS, audit_entries, audit_lines


class Command(BaseCommand):
    help = "Write a shop's audit log to stdout as CSV or JSON Lines, oldest first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD, the first day included")
        parser.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD, the last day included")
        parser.add_argument("--format", choices=list(FORMATS), default="csv")

    def handle(self, *args, **options) -> None:
        organization = Organization.objects.exclude(schema_name="public").filter(slug=options["slug"]).first()
        if organization is None:
            raise CommandError(f"no shop with slug '{options['slug']}'")
        with tenant_context(organization):
            entries = audit_entries(since=options["since"], until=options["until"], time_zone=organization.timezone)
            for line in audit_lines(entries, export_format=options["format"]):
                self.stdout.write(line, ending="")
