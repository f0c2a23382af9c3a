"""Where a shop may make Oxy send requests: the open internet only.

A shop types its webhook and Slack URLs itself; without this check it could
point Oxy at the platform's own network (the database, Redis, a cloud
metadata service) and read the answers in its delivery log. The address is
checked at send time, so a name that later resolves inward is refused too.
Development and tests allow private addresses (receivers on loopback).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


def private_address_error(url: str) -> str:
    """Why Oxy must not send to `url` ("" when it may)."""
    if settings.OXY_OUTBOUND_ALLOW_PRIVATE:
        return ""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return _("The address %(host)s cannot be resolved.") % {"host": host}
    for *_ignored, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            return _("%(host)s is a private or local address; Oxy only sends to public addresses.") % {"host": host}
    return ""
