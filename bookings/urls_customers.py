"""The customers and pets pages (on a shop's host)."""

from django.urls import path

from .views import customers

urlpatterns = [
    path("customers/", customers.customers, name="customers"),
    path("customers/new/", customers.customer_new, name="customers-new"),
    path("customers/<int:customer_id>/", customers.customer_detail, name="customers-detail"),
    path("customers/<int:customer_id>/edit/", customers.customer_edit, name="customers-edit"),
    path("customers/<int:customer_id>/consent/", customers.customer_consent, name="customers-consent"),
    path("customers/<int:customer_id>/pets/new/", customers.pet_new, name="customers-pet-new"),
    path("customers/<int:customer_id>/pets/<int:pet_id>/", customers.pet_edit, name="customers-pet-edit"),
    path(
        "customers/<int:customer_id>/pets/<int:pet_id>/vaccinations/",
        customers.vaccination_new,
        name="customers-vaccination-new",
    ),
    path("customers/<int:customer_id>/export/", customers.customer_export, name="customers-export"),
    path("customers/<int:customer_id>/erase/", customers.customer_erase_page, name="customers-erase"),
]
