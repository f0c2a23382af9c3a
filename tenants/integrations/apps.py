from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "tenants.integrations"
    label = "integrations"
    verbose_name = "Integrations"
