"""Users. The table exists in every schema: in the public schema it holds
support staff, in a shop's schema that shop's staff with their role."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StaffUserManager(UserManager):
    def _create_user(self, username, email, password, **extra_fields):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(None, email, password, **extra_fields)


class User(AbstractUser):
    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        MANAGER = "manager", _("manager")
        ATTENDANT = "attendant", _("attendant")

    username = None
    email = models.EmailField(_("email address"), unique=True)
    # Blank for support staff (public schema); set for every shop user.
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = StaffUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(name="staff_user_email_lowercase", condition=Q(email__regex=r"^[^A-Z]*$")),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def can_manage_shop(self) -> bool:
        return self.role in {self.Role.OWNER, self.Role.MANAGER}
