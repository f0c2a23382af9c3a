"""The one server entrypoint: HTTP and the dashboard's WebSockets.

HTTP goes to Django's WSGI handler behind an ASGI adapter: all our views
and middleware are synchronous, and Django's own ASGI handler would hop
between the event loop and a thread at every middleware layer (measured:
about twice the CPU per webhook). WebSockets go to Channels.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxy.settings")
django_wsgi_app = get_wsgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from oxy.logging import RequestIdAsgiMiddleware  # noqa: E402
from oxy.realtime import DashboardConsumer, TenantWebsocketMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        # A pool of WEB_THREADS threads per process runs the WSGI handler.
        "http": RequestIdAsgiMiddleware(
            WSGIMiddleware(django_wsgi_app, workers=int(os.environ.get("WEB_THREADS", "4")))
        ),
        "websocket": AllowedHostsOriginValidator(
            TenantWebsocketMiddleware(URLRouter([path("ws/dashboard/", DashboardConsumer.as_asgi())]))
        ),
    }
)
