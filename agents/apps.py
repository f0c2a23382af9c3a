from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "AI agents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from whatsapp.services.inbound import REPLY_NEEDED_HANDLERS

        from .services import reply_schedule

        if reply_schedule not in REPLY_NEEDED_HANDLERS:
            REPLY_NEEDED_HANDLERS.append(reply_schedule)
