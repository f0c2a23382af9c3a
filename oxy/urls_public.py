"""URLs on the base domain: the public page, the support console, webhooks."""

from django.urls import include, path

from tenants.admin import support_admin_site
from tenants.views import public_home, public_ping
from whatsapp.views import media_by_link

urlpatterns = [
    path("", public_home, name="public_home"),
    path("ping", public_ping, name="ping"),
    path("admin/", support_admin_site.urls),
    path("webhooks/", include("whatsapp.urls")),
    path("media/<str:token>/", media_by_link, name="media-link"),
]
