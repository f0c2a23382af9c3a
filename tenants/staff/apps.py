from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "tenants.staff"
    label = "staff"
    verbose_name = "Staff"
