from django.core.management.base import BaseCommand

from tenants.models import Organization
from tenants.selectors import organization_list_with_counts_all_tenants


class Command(BaseCommand):
    help = "List shops with status, domain, who created them and counts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--status", choices=Organization.Status.values)

    def handle(self, *args, **options) -> None:
        rows = [("SLUG", "STATUS", "DOMAIN", "CREATED BY", "CREATED", "STAFF", "OWNER NUMBERS")]
        for summary in organization_list_with_counts_all_tenants(status=options["status"]):
            org = summary.organization
            rows.append(
                (
                    org.slug,
                    org.status,
                    summary.domains[0] if summary.domains else "-",
                    f"{org.created_by_name} <{org.created_by_email}>",
                    f"{org.created_at:%Y-%m-%d %H:%M}",
                    str(summary.staff_users),
                    str(summary.owner_numbers),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        self.stdout.write(f"{len(rows) - 1} shop(s)")
