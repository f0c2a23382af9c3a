from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from tenants.management.commands._shop import shop_by_slug
from tenants.shop.services import Actor
from whatsapp.models import Channel
from whatsapp.providers.base import ProviderError
from whatsapp.services.channels import channel_pairing_start


class Command(BaseCommand):
    help = "Start pairing a channel and print the 8-character code to type in WhatsApp > Linked devices."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("channel", help="channel id or external id")
        parser.add_argument("--phone", default="", help="the number to link, e.g. +5511987654321 (pairing code)")

    def handle(self, *args, **options) -> None:
        organization = shop_by_slug(options["slug"])
        with tenant_context(organization):
            reference = options["channel"]
            lookup = {"pk": int(reference)} if reference.isdigit() else {"external_id": reference}
            channel = Channel.objects.filter(**lookup).first()
            if channel is None:
                raise CommandError(f"no channel '{reference}' in {options['slug']}")
            try:
                channel = channel_pairing_start(
                    channel=channel, phone=options["phone"], actor=Actor.system("manage.py connect_channel")
                )
            except ProviderError as exc:
                raise CommandError(f"pairing did not start: {exc}") from exc
        if channel.state == Channel.State.CONNECTED:
            self.stdout.write(f"{channel.name} is already connected")
        elif channel.pairing_code:
            code = channel.pairing_code
            self.stdout.write(f"Pairing code for {channel.name}: {code[:4]}-{code[4:]}")
            self.stdout.write("Type it in WhatsApp > Linked devices > Link with phone number.")
        else:
            self.stdout.write(f"{channel.name} is pairing: scan the QR code in the dashboard")
