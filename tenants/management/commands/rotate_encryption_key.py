from django.core.management.base import BaseCommand

from tenants.services import encrypted_values_reencrypt_all_tenants


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the first key of OXY_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then drop the old keys."
    )

    def handle(self, *args, **options) -> None:
        changed = encrypted_values_reencrypt_all_tenants()
        self.stdout.write(f"re-encrypted {changed} stored secret(s) under the newest key")
