"""Sign-in lockout, for the dashboard login and both admin sites: after too
many failures for one e-mail on one host, or from one address, sign-in is
refused for a while, even with the right password. Counters live in Redis
(the Django cache, whose keys start with the schema name)."""

import hashlib

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenants.shop.services import Actor, audit_record

LOCKED = _("Too many failed sign-in attempts. Sign-in is blocked for %(minutes)d minutes; try again later.")


def _buckets(*, request: HttpRequest, email: str) -> list[tuple[str, str, int]]:
    """(scope, cache key, failures allowed); the e-mail is hashed so that
    Redis holds no addresses."""
    account = hashlib.sha256(f"{request.get_host()}\n{email.strip().lower()}".encode()).hexdigest()
    address = request.META.get("REMOTE_ADDR", "")
    return [
        ("account", f"login:failures:account:{account}", settings.OXY_LOGIN_MAX_FAILURES),
        ("address", f"login:failures:address:{address}", settings.OXY_LOGIN_MAX_FAILURES_PER_ADDRESS),
    ]


def login_locked(*, request: HttpRequest, email: str) -> bool:
    return bool(cache.get_many([f"{key}:locked" for _scope, key, _limit in _buckets(request=request, email=email)]))


def login_failed(*, request: HttpRequest, email: str) -> None:
    """Count a failure; the one that reaches a limit locks (and is audited)."""
    for scope, key, limit in _buckets(request=request, email=email):
        # add + incr: atomic in Redis, and the window starts at the first failure.
        cache.add(key, 0, timeout=settings.OXY_LOGIN_FAILURE_WINDOW_S)
        try:
            failures = cache.incr(key)
        except ValueError:  # the window ended between add and incr
            failures = 1
        if failures >= limit and cache.add(f"{key}:locked", True, timeout=settings.OXY_LOGIN_LOCKOUT_S):
            cache.delete(key)
            if connection.schema_name != "public":
                data = {"scope": scope, "failures": failures, "address": request.META.get("REMOTE_ADDR", "")}
                audit_record(actor=Actor.system("login lockout"), action="login.locked", target=email, data=data)


def login_succeeded(*, request: HttpRequest, email: str) -> None:
    # Only the account's count: a valid sign-in must not reset the address's
    # count, or one known password would unlock guessing at the others.
    scope, key, _limit = _buckets(request=request, email=email)[0]
    cache.delete(key)


class LockoutMixin:
    """Wraps an AuthenticationForm's clean(): locked means refused before any
    password is checked."""

    locked = False

    def clean(self):
        email = self.cleaned_data.get("username") or ""
        if not email or not self.cleaned_data.get("password"):
            return super().clean()
        if login_locked(request=self.request, email=email):
            self._refuse_locked()
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failed(request=self.request, email=email)
            if login_locked(request=self.request, email=email):
                self._refuse_locked()
            raise
        login_succeeded(request=self.request, email=email)
        return cleaned

    def _refuse_locked(self):
        self.locked = True
        raise ValidationError(LOCKED, code="locked", params={"minutes": settings.OXY_LOGIN_LOCKOUT_S // 60})


class LoginForm(LockoutMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    pass
