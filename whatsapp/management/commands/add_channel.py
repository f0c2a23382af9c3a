from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from tenants.management.commands._shop import shop_by_slug
from tenants.shop.services import Actor
from whatsapp.inbox.models import Provider
from whatsapp.providers.base import ProviderError
from whatsapp.services.channels import ChannelError, channel_create, webhook_url


class Command(BaseCommand):
    help = "Add a WhatsApp number (channel) to a shop and print its webhook URL (and Cloud API verify token)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--provider", required=True, choices=Provider.values)
        parser.add_argument("--name", required=True)
        parser.add_argument("--external-id", default="", help="Evolution instance name or Cloud API phone_number_id")
        parser.add_argument("--access-token", default="", help="Cloud API access token")
        parser.add_argument("--app-secret", default="", help="Cloud API app secret (signs the webhooks)")

    def handle(self, *args, **options) -> None:
        organization = shop_by_slug(options["slug"])
        with tenant_context(organization):
            try:
                channel, route = channel_create(
                    name=options["name"], provider=options["provider"], external_id=options["external_id"],
                    credentials=options["access_token"], app_secret=options["app_secret"],
                    actor=Actor.system("manage.py add_channel"),
                )  # fmt: skip
            except (ChannelError, ProviderError) as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"channel {channel.pk} '{channel.name}' ({channel.provider}, {channel.external_id}): {channel.state}"
            )
            self.stdout.write(f"  webhook URL:  {webhook_url(route)}")
            if channel.provider == Provider.CLOUD:
                self.stdout.write(f"  verify token: {route.verify_token}")
