"""Who may use the shop: its API keys and its team. A new key or a new
member's first password is shown once, on the page right after it is made."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from oxy.dashboard import actor_of, managers_page
from tenants.staff.models import User

from .. import services
from ..forms import ApiKeyForm, StaffAddForm, StaffRoleForm
from ..models import ApiKey
from ..selectors import api_key_list, staff_list
from .common import confirm_page, no_store, reveal_later, revealed, saved, settings_page


@managers_page
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        api_key, secret = services.api_key_create(actor=actor_of(request), **form.cleaned_data)
        reveal_later(request, kind="api_key", label=api_key.name, secret=secret)
        return saved(request, _("API key “%(name)s” created.") % {"name": api_key.name}, "settings_api_keys")
    context = {"form": form, "keys": api_key_list(), "new_key": revealed(request, "api_key")}
    return no_store(settings_page(request, "shop/settings/api_keys.html", "api_keys", context))


@managers_page
@require_http_methods(["GET", "POST"])
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, pk=key_id)
    if request.method == "POST":
        services.api_key_revoke(api_key=api_key, actor=actor_of(request))
        return saved(request, _("API key “%(name)s” revoked.") % {"name": api_key.name}, "settings_api_keys")
    return confirm_page(
        request, section="api_keys", title=_("Revoke an API key"),
        question=_("Whatever uses “%(name)s” (%(prefix)s…) stops working at once. This cannot be undone.")
        % {"name": api_key.name, "prefix": api_key.prefix},
        button=_("Revoke"), back="settings_api_keys",
    )  # fmt: skip


@managers_page
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    form = StaffAddForm(request.POST if request.method == "POST" else None, by=request.user)
    if form.is_valid():
        try:
            member, password = services.staff_member_add(organization=request.tenant, by=request.user,
                                                         **form.cleaned_data)  # fmt: skip
        except services.StaffChangeRefused as exc:
            form.add_error(None, str(exc))
        else:
            reveal_later(request, kind="password", label=member.email, secret=password)
            return saved(request, _("%(email)s joined the team.") % {"email": member.email}, "settings_team")
    members = [(member, StaffRoleForm(by=request.user, initial={"role": member.role}, prefix=f"m{member.pk}"))
               for member in staff_list()]  # fmt: skip
    context = {"form": form, "members": members, "new_member": revealed(request, "password"),
               "active_count": sum(member.is_active for member, _form in members),
               "limit": request.tenant.max_staff_users}  # fmt: skip
    return no_store(settings_page(request, "shop/settings/team.html", "team", context))


@managers_page
@require_POST
def member_role(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_object_or_404(User, pk=user_id)
    # Any role parses here; the service says who may give or take which.
    form = StaffRoleForm(request.POST, prefix=f"m{member.pk}")
    if not form.is_valid():
        return _refused(request, form.errors["role"][0])
    try:
        services.staff_role_change(user=member, role=form.cleaned_data["role"], by=request.user)
    except services.StaffChangeRefused as exc:
        return _refused(request, str(exc))
    message = _("%(email)s is now %(role)s.") % {"email": member.email, "role": member.get_role_display()}
    return saved(request, message, "settings_team")


@managers_page
@require_http_methods(["GET", "POST"])
def member_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_object_or_404(User, pk=user_id)
    if request.method == "POST":
        try:
            services.staff_active_set(organization=request.tenant, user=member, active=False, by=request.user)
        except services.StaffChangeRefused as exc:
            return _refused(request, str(exc))
        return saved(request, _("%(email)s can no longer sign in.") % {"email": member.email}, "settings_team")
    return confirm_page(
        request, section="team", title=_("Deactivate a team member"),
        question=_("%(email)s will be signed out and can no longer sign in. You can reactivate them later.")
        % {"email": member.email},
        button=_("Deactivate"), back="settings_team",
    )  # fmt: skip


@managers_page
@require_POST
def member_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_object_or_404(User, pk=user_id)
    try:
        services.staff_active_set(organization=request.tenant, user=member, active=True, by=request.user)
    except services.StaffChangeRefused as exc:
        return _refused(request, str(exc))
    return saved(request, _("%(email)s can sign in again.") % {"email": member.email}, "settings_team")


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    # The change was not made: say why on the team page.
    messages.error(request, reason)
    return redirect("settings_team")
