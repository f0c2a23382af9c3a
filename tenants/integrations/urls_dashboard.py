"""Settings → Webhooks and alerts (on a shop's host): managers and owners only."""

from django.urls import path

from . import views

urlpatterns = [
    path("settings/webhooks/", views.webhooks_page, name="settings_webhooks"),
    path("settings/webhooks/<int:endpoint_id>/", views.webhook_edit, name="settings_webhook"),
    path("settings/webhooks/<int:endpoint_id>/remove/", views.webhook_remove, name="settings_webhook_remove"),
    path("settings/webhooks/<int:endpoint_id>/rotate/", views.webhook_rotate, name="settings_webhook_rotate"),
    path("settings/webhooks/<int:endpoint_id>/test/", views.webhook_test, name="settings_webhook_test"),
    path(
        "settings/webhooks/deliveries/<int:delivery_id>/replay/", views.webhook_replay, name="settings_webhook_replay"
    ),  # fmt: skip
    path("settings/webhooks/alerts/", views.alert_settings_edit, name="settings_alerts"),
]
