from django.urls import path

from .agenda import AvailabilityApi, BookingActionApi, BookingDetailApi, BookingListApi
from .catalog import (
    BusinessHoursApi,
    ClosureDetailApi,
    ClosureListApi,
    ResourceDetailApi,
    ResourceListApi,
    ServiceDetailApi,
    ServiceListApi,
)
from .customers import CustomerDetailApi, CustomerListApi, CustomerPetsApi, PetDetailApi, PetVaccinationsApi

urlpatterns = [
    path("customers/", CustomerListApi.as_view(), name="customer-list"),
    path("customers/<int:customer_id>/", CustomerDetailApi.as_view(), name="customer-detail"),
    path("customers/<int:customer_id>/pets/", CustomerPetsApi.as_view(), name="customer-pets"),
    path("pets/<int:pet_id>/", PetDetailApi.as_view(), name="pet-detail"),
    path("pets/<int:pet_id>/vaccinations/", PetVaccinationsApi.as_view(), name="pet-vaccinations"),
    path("services/", ServiceListApi.as_view(), name="service-list"),
    path("services/<int:service_id>/", ServiceDetailApi.as_view(), name="service-detail"),
    path("resources/", ResourceListApi.as_view(), name="resource-list"),
    path("resources/<int:resource_id>/", ResourceDetailApi.as_view(), name="resource-detail"),
    path("business-hours/", BusinessHoursApi.as_view(), name="business-hours"),
    path("closures/", ClosureListApi.as_view(), name="closure-list"),
    path("closures/<int:closure_id>/", ClosureDetailApi.as_view(), name="closure-detail"),
    path("availability/", AvailabilityApi.as_view(), name="availability"),
    path("bookings/", BookingListApi.as_view(), name="booking-list"),
    path("bookings/<int:booking_id>/", BookingDetailApi.as_view(), name="booking-detail"),
    *[
        path(
            f"bookings/<int:booking_id>/{action}/",
            BookingActionApi.as_view(),
            {"action": action},
            name=f"booking-{action}",
        )
        for action in BookingActionApi.ACTIONS
    ],
]
