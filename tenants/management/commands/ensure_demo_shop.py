from django.core.management.base import BaseCommand

from tenants.demo import demo_shop_ensure


class Command(BaseCommand):
    help = "Provision the demo shop (or reuse it) and print its dashboard URL and a fresh login."

    def handle(self, *args, **options) -> None:
        shop = demo_shop_ensure()
        self.stdout.write(self.style.SUCCESS(f"Demo shop: {shop.dashboard_url}"))
        self.stdout.write(f"  login:    {shop.owner_email}")
        self.stdout.write(f"  password: {shop.owner_password}")
