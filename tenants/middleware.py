from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware

from oxy.ttl_cache import TTLCache

from .models import Organization

# Which shop a host belongs to, for a few seconds: one query saved per request;
# a suspension takes effect within that time.
_tenant_by_host: TTLCache = TTLCache(seconds=5)


class OrganizationMiddleware(TenantMainMiddleware):
    """Resolve the shop by host, then refuse politely while it is suspended.

    The refusal is a 503 with Retry-After: browsers show a clear page, API
    clients and webhook senders retry later, and nothing is lost.
    """

    def get_tenant(self, domain_model, hostname: str) -> Organization:
        def load() -> Organization | None:
            domain = domain_model.objects.select_related("tenant").filter(domain=hostname).first()
            return domain.tenant if domain else None

        tenant = _tenant_by_host.get_or_load(hostname, load)
        if tenant is None:
            raise domain_model.DoesNotExist(hostname)
        return tenant

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        response = super().process_request(request)
        if response is not None:
            return response
        tenant: Organization = request.tenant
        if tenant.status != Organization.Status.SUSPENDED:
            return None
        message = _("This shop is temporarily suspended. Nothing was lost: please try again later.")
        if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"code": "organization_suspended", "message": message}, status=503)
        else:
            response = TemplateResponse(
                request, "tenants/suspended.html", {"shop": tenant, "message": message}, status=503
            )
            response.render()
        response["Retry-After"] = "3600"
        return response
