from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


@login_required
def shop_home(request: HttpRequest) -> HttpResponse:
    return redirect("/inbox/")


def public_home(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/public_home.html")


def public_ping(request: HttpRequest) -> HttpResponse:
    """An empty view through the whole stack (host resolution, middleware),
    unlike /health which answers before any of it."""
    return HttpResponse("pong", content_type="text/plain")
