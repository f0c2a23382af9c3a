"""The agenda pages (on a shop's host)."""

from django.urls import path

from .views import agenda

urlpatterns = [
    path("agenda/", agenda.agenda, name="agenda"),
    path("agenda/new/", agenda.booking_new, name="agenda-new"),
    path("agenda/new/customers/", agenda.customer_options, name="agenda-customer-options"),
    path("agenda/closures/", agenda.closures, name="agenda-closures"),
    path("agenda/closures/new/", agenda.closure_new, name="agenda-closure-new"),
    path("agenda/closures/<int:closure_id>/remove/", agenda.closure_remove, name="agenda-closure-remove"),
    path("agenda/<int:booking_id>/", agenda.booking_detail, name="agenda-booking"),
    path("agenda/<int:booking_id>/move/", agenda.booking_move, name="agenda-booking-move"),
    path("agenda/<int:booking_id>/cancel/", agenda.booking_cancel, name="agenda-booking-cancel"),
    *[
        path(
            f"agenda/<int:booking_id>/{action}/",
            agenda.booking_status,
            {"action": action},
            name=f"agenda-booking-{action}",
        )
        for action in agenda.STATUS_ACTIONS
    ],
]
