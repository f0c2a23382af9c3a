from django.urls import path

from .webhooks import cloud_webhook, evolution_webhook

urlpatterns = [
    path("evolution/<str:token>/", evolution_webhook, name="webhook-evolution"),
    path("cloud/<str:token>/", cloud_webhook, name="webhook-cloud"),
]
