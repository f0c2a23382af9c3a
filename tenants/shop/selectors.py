from functools import cache
from zoneinfo import available_timezones

from django.contrib.auth import get_user_model
from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from tenants.staff.models import User

from .models import ApiKey, OwnerNumber, ShopSettings


def shop_summary() -> dict:
    return {
        "staff_users": get_user_model().objects.count(),
        "owner_numbers": sorted(OwnerNumber.objects.values_list("phone", flat=True)),
    }


@cache
def time_zones() -> tuple[str, ...]:
    """The places a shop can be in (IANA names), sorted; read from disk once."""
    legacy = ("Etc/", "SystemV/", "US/", "posix", "right/")
    places = {name for name in available_timezones() if "/" in name and not name.startswith(legacy)}
    return tuple(sorted(places | {"UTC"}))


def shop_settings_current() -> ShopSettings:
    # Provisioning creates the row; an unsaved default keeps a page working without it.
    return ShopSettings.objects.first() or ShopSettings(assistant_name="Oxy")


def owner_number_list() -> QuerySet[OwnerNumber]:
    return OwnerNumber.objects.order_by("created_at", "pk")


def api_key_list() -> QuerySet[ApiKey]:
    """Working keys first, newest first."""
    return ApiKey.objects.order_by(F("revoked_at").desc(nulls_first=True), "-created_at")


def staff_list() -> QuerySet[User]:
    """The team: active members first, owners before managers before attendants."""
    rank = Case(
        *(When(role=role, then=Value(i)) for i, role in enumerate(User.Role.values)), output_field=IntegerField()
    )
    return User.objects.order_by("-is_active", rank, "email")
