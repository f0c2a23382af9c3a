"""URLs on a shop's host (<slug>.<base domain>)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from oxy.login import LoginForm
from tenants.shop.admin import shop_admin_site
from tenants.views import shop_home

urlpatterns = [
    path("", shop_home, name="shop_home"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The dashboard's pages, app by app.
    path("", include("whatsapp.urls_dashboard")),
    path("", include("bookings.urls_agenda")),
    path("", include("bookings.urls_customers")),
    path("", include("agents.urls_dashboard")),
    path("", include("analytics.urls_dashboard")),
    path("", include("tenants.shop.urls_dashboard")),
    path("", include("tenants.integrations.urls_dashboard")),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/login/"), name="logout"),
    path("admin/", shop_admin_site.urls),
    path("api/v1/", include("bookings.api.urls")),
    path("api/v1/", include("whatsapp.api_urls")),
    path("api/v1/", include("analytics.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
