"""The shop's agenda: customers and their pets, what the shop sells, who
does the work and when, and the bookings themselves.

PostgreSQL keeps bookings from colliding: an exclusion constraint forbids
two active bookings of one resource whose occupied ranges (the service plus
its buffer) overlap, whatever code path or race produced them.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PetSize(models.TextChoices):
    SMALL = "P", _("small (P)")
    MEDIUM = "M", _("medium (M)")
    LARGE = "G", _("large (G)")
    GIANT = "GG", _("giant (GG)")


class Species(models.TextChoices):
    DOG = "dog", _("dog")
    CAT = "cat", _("cat")
    BIRD = "bird", _("bird")
    RODENT = "rodent", _("rodent")
    REPTILE = "reptile", _("reptile")
    OTHER = "other", _("other")


class Customer(models.Model):
    name = models.CharField(max_length=120, blank=True)
    # Canonical E.164 (Brazilian mobiles with the ninth digit); empty when
    # WhatsApp only gave us a private (@lid) id so far.
    phone = models.CharField(max_length=20, null=True, blank=True, unique=True)
    email = models.EmailField(blank=True)
    notes = models.TextField(blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    marketing_consent = models.BooleanField(default=False)
    marketing_consent_at = models.DateTimeField(null=True, blank=True)
    marketing_opted_out_at = models.DateTimeField(null=True, blank=True)
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    # Set when the customer's data was erased (LGPD): the row stays, so the
    # shop's figures stay true, but nothing in it names a person.
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(name="customer_phone_e164", condition=Q(phone__regex=r"^\+[1-9][0-9]{7,14}$")),
        ]

    def __str__(self) -> str:
        return self.name or self.phone or f"customer {self.pk}"


class CustomerIdentity(models.Model):
    """One of the ids WhatsApp uses for a customer; one customer, many ids."""

    class Kind(models.TextChoices):
        PHONE_JID = "phone_jid", _("phone JID")
        LID = "lid", _("private id (@lid)")
        WA_ID = "wa_id", _("Cloud API wa_id")
        BSUID = "bsuid", _("business-scoped user id")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "customer identities"
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="customer_identity_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ConsentRecord(models.Model):
    """Append-only: each time a customer's consent for a purpose was given
    or withdrawn, how and by whom. The Customer's consent fields are the
    current state; these rows are the proof (bookings.services.consent)."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("promotions and reminders")

    class Action(models.TextChoices):
        GRANTED = "granted", _("granted")
        REVOKED = "revoked", _("revoked")

    class Source(models.TextChoices):
        WHATSAPP = "whatsapp", _("WhatsApp message")
        STAFF = "staff", _("the team")
        API = "api", _("API")
        IMPORT = "import", _("import")
        SYSTEM = "system", _("Oxy")

    # PROTECT: the proof outlives any attempt to delete the customer row.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="consent_records")
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.MARKETING)
    action = models.CharField(max_length=8, choices=Action.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    actor_label = models.CharField(max_length=200)
    note = models.CharField(max_length=300, blank=True)
    # What it came from, e.g. "message:123" (the customer's own words).
    reference = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="consent_record_action_known", condition=Q(action__in=["granted", "revoked"])),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.action} ({self.source})"


class Pet(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="pets")
    name = models.CharField(max_length=80)
    species = models.CharField(max_length=16, choices=Species.choices, default=Species.DOG)
    breed = models.CharField(max_length=80, blank=True)
    size = models.CharField(max_length=2, choices=PetSize.choices, default=PetSize.MEDIUM)
    coat = models.CharField(max_length=40, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                name="pet_weight_positive", condition=Q(weight_kg__gt=0) | Q(weight_kg__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Vaccination(models.Model):
    pet = models.ForeignKey(Pet, on_delete=models.CASCADE, related_name="vaccinations")
    vaccine = models.CharField(max_length=80)
    applied_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-applied_on"]
        constraints = [
            models.CheckConstraint(
                name="vaccination_due_after_applied", condition=Q(due_on__gt=F("applied_on")) | Q(due_on__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vaccine} ({self.applied_on})"


class Service(models.Model):
    class Category(models.TextChoices):
        BATH = "bath", _("bath")
        GROOMING = "grooming", _("grooming")
        BATH_AND_GROOMING = "bath_grooming", _("bath and grooming")
        VET = "vet", _("vet consultation")
        VACCINATION = "vaccination", _("vaccination")
        HOTEL = "hotel", _("hotel")
        DAYCARE = "daycare", _("daycare")
        OTHER = "other", _("other")

    name = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=16, choices=Category.choices)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(help_text=_("when no size rule applies"))
    price = models.DecimalField(max_digits=9, decimal_places=2, help_text=_("when no size rule applies"))
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    species_allowed = ArrayField(models.CharField(max_length=16, choices=Species.choices), default=list, blank=True)
    requires_pet = models.BooleanField(default=True)
    vaccines_required = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(name="service_duration_positive", condition=Q(duration_minutes__gt=0)),
            models.CheckConstraint(name="service_price_not_negative", condition=Q(price__gte=0)),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceSizeRule(models.Model):
    """Duration and price of a service for one pet size."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="size_rules")
    size = models.CharField(max_length=2, choices=PetSize.choices)
    duration_minutes = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "size"], name="service_size_rule_unique"),
            models.CheckConstraint(name="size_rule_duration_positive", condition=Q(duration_minutes__gt=0)),
            models.CheckConstraint(name="size_rule_price_not_negative", condition=Q(price__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.size}"


class Resource(models.Model):
    """Who or what does the work: a groomer, a vet, a table, a room."""

    class Kind(models.TextChoices):
        GROOMER = "groomer", _("groomer")
        VET = "vet", _("vet")
        TABLE = "table", _("table")
        ROOM = "room", _("room")
        OTHER = "other", _("other")

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.GROOMER)
    services = models.ManyToManyField(Service, related_name="resources", blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WeeklyInterval(models.Model):
    weekday = models.PositiveSmallIntegerField(help_text=_("0 = Monday … 6 = Sunday"))
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        abstract = True
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M}-{self.end:%H:%M}"


class BusinessHours(WeeklyInterval):
    class Meta(WeeklyInterval.Meta):
        verbose_name_plural = "business hours"
        constraints = [
            models.CheckConstraint(name="business_hours_order", condition=Q(end__gt=F("start"))),
            models.CheckConstraint(name="business_hours_weekday", condition=Q(weekday__lte=6)),
            models.UniqueConstraint(fields=["weekday", "start"], name="business_hours_unique_start"),
        ]


class ResourceHours(WeeklyInterval):
    """A resource's own working hours; a resource without any follows the
    shop's business hours. Slots need both to be open."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="hours")

    class Meta(WeeklyInterval.Meta):
        verbose_name_plural = "resource hours"
        constraints = [
            models.CheckConstraint(name="resource_hours_order", condition=Q(end__gt=F("start"))),
            models.CheckConstraint(name="resource_hours_weekday", condition=Q(weekday__lte=6)),
            models.UniqueConstraint(fields=["resource", "weekday", "start"], name="resource_hours_unique_start"),
        ]


class Closure(models.Model):
    """Days the shop (or one resource) does not work: holidays, vacations."""

    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200)
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="closures",
        help_text=_("empty: the whole shop is closed"),
    )  # fmt: skip

    class Meta:
        ordering = ["start_date"]
        constraints = [models.CheckConstraint(name="closure_order", condition=Q(end_date__gte=F("start_date")))]

    def __str__(self) -> str:
        return f"{self.start_date}–{self.end_date} {self.reason}"


class BookingSettings(models.Model):
    """One row per shop: how its agenda takes bookings."""

    slot_grid_minutes = models.PositiveSmallIntegerField(default=30)
    min_notice_minutes = models.PositiveIntegerField(default=60)
    horizon_days = models.PositiveSmallIntegerField(default=60)
    offer_ttl_minutes = models.PositiveSmallIntegerField(default=15)
    singleton = models.BooleanField(default=True, unique=True, editable=False)

    class Meta:
        verbose_name_plural = "booking settings"
        constraints = [
            models.CheckConstraint(name="booking_settings_singleton", condition=Q(singleton=True)),
            models.CheckConstraint(
                name="booking_settings_grid", condition=Q(slot_grid_minutes__in=[5, 10, 15, 20, 30, 60])
            ),
        ]

    def __str__(self) -> str:
        return f"grid {self.slot_grid_minutes} min"


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")
        NO_SHOW = "no_show", _("no-show")
        COMPLETED = "completed", _("completed")

    class Source(models.TextChoices):
        AI = "ai", _("AI attendant")
        STAFF = "staff", _("staff")
        OWNER = "owner", _("owner")
        API = "api", _("API")

    ACTIVE_STATUSES = (Status.PENDING, Status.CONFIRMED)

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="bookings")
    pet = models.ForeignKey(Pet, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The end plus the service's buffer: what the resource is busy for.
    occupied_until = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    price = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    source = models.CharField(max_length=8, choices=Source.choices)
    notes = models.TextField(blank=True)
    cancellation_reason = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=200, help_text=_("who booked: staff e-mail, AI, API key"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["resource", "start"]), models.Index(fields=["start"])]
        constraints = [
            models.CheckConstraint(name="booking_end_after_start", condition=Q(end__gt=F("start"))),
            models.CheckConstraint(name="booking_occupied_covers_end", condition=Q(occupied_until__gte=F("end"))),
            models.CheckConstraint(name="booking_price_not_negative", condition=Q(price__gte=0)),
            models.CheckConstraint(
                name="booking_cancel_reason",
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
            ),
            ExclusionConstraint(
                name="booking_no_overlap_per_resource",
                expressions=[
                    ("resource", RangeOperators.EQUAL),
                    (TsTzRange("start", "occupied_until", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=["pending", "confirmed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration(self) -> timedelta:
        return self.end - self.start
