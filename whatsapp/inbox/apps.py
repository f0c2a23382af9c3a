from django.apps import AppConfig


class InboxConfig(AppConfig):
    """The public-schema half of WhatsApp: which shop a webhook belongs to,
    and the durable inbox of raw events."""

    name = "whatsapp.inbox"
    label = "inbox"
    verbose_name = "WhatsApp inbox"
