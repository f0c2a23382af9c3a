from django.core.management.base import BaseCommand
from django_tenants.utils import tenant_context

from tenants.models import Organization
from whatsapp.models import Channel


class Command(BaseCommand):
    help = "List every WhatsApp channel of every shop with its connection state."

    def handle(self, *args, **options) -> None:
        rows = [("SHOP", "ID", "NAME", "PROVIDER", "EXTERNAL ID", "PHONE", "STATE", "SINCE", "REASON")]
        for organization in Organization.objects.exclude(schema_name="public").order_by("slug"):
            with tenant_context(organization):
                for channel in Channel.objects.order_by("pk"):
                    since = f"{channel.state_changed_at:%Y-%m-%d %H:%M}"
                    rows.append((organization.slug, str(channel.pk), channel.name, channel.provider,
                                 channel.external_id, channel.phone or "-", channel.state, since,
                                 channel.state_reason or "-"))  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        self.stdout.write(f"{len(rows) - 1} channel(s)")
