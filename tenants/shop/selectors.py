from django.contrib.auth import get_user_model

from .models import OwnerNumber


def shop_summary() -> dict:
    return {
        "staff_users": get_user_model().objects.count(),
        "owner_numbers": sorted(OwnerNumber.objects.values_list("phone", flat=True)),
    }
