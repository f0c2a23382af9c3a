"""What the Settings pages share: the layout with its sub-navigation, the
confirmation page, and showing a secret once."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

from oxy.dashboard import page

_REVEAL = "settings_reveal"


def settings_page(request: HttpRequest, template: str, section: str, context: dict) -> HttpResponse:
    """A Settings page; `section` marks its entry in the sub-navigation."""
    return page(request, template, {"section": section, **context})


def saved(request: HttpRequest, message: str, to: str, *args) -> HttpResponseRedirect:
    """After a successful write: say so, and redirect (POST/redirect/GET)."""
    messages.success(request, message)
    return redirect(to, *args)


def confirm_page(
    request: HttpRequest, *, section: str, title: str, question: str, button: str, back: str, danger: bool = True
) -> HttpResponse:  # fmt: skip
    """Ask before something that cannot be undone; the form posts back to this URL."""
    return settings_page(request, "shop/settings/confirm.html", section, {
        "title": title, "question": question, "button": button, "back": back, "danger": danger,
    })  # fmt: skip


def reveal_later(request: HttpRequest, *, kind: str, label: str, secret: str) -> None:
    """Keep a new secret (an API key, a first password) for the very next
    page only: it is never stored anywhere else in clear."""
    request.session[_REVEAL] = {"kind": kind, "label": label, "secret": secret}


def revealed(request: HttpRequest, kind: str) -> dict | None:
    """The secret kept by `reveal_later`, removed from the session as it is read."""
    item = request.session.get(_REVEAL)
    if not item or item.get("kind") != kind:
        return None
    del request.session[_REVEAL]
    return item


def no_store(response: HttpResponse) -> HttpResponse:
    """A page showing a secret must not stay in the browser's cache (the Back button)."""
    add_never_cache_headers(response)
    return response
