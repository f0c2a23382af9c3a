from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "whatsapp"
    verbose_name = "WhatsApp"

    def ready(self) -> None:
        from . import seeding  # noqa: F401 - registers the demo seeder
