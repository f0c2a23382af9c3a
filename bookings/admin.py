"""The agenda in each shop's admin (the dashboard is where staff work day
to day; the admin is the complete, plain view of every record)."""

from django.contrib import admin

from tenants.shop.admin import ReadOnlyShopModelAdmin, ShopModelAdmin, shop_admin_site

from .models import (
    Booking,
    BookingSettings,
    BusinessHours,
    Closure,
    ConsentRecord,
    Customer,
    CustomerIdentity,
    Pet,
    Resource,
    ResourceHours,
    Service,
    ServiceSizeRule,
    Vaccination,
)


class CustomerIdentityInline(admin.TabularInline):
    model = CustomerIdentity
    extra = 0
    readonly_fields = ["kind", "value", "created_at"]


class ConsentRecordInline(admin.TabularInline):
    """Append-only proof: consent changes go through the dashboard or the API."""

    model = ConsentRecord
    extra = 0
    can_delete = False
    fields = readonly_fields = ["created_at", "purpose", "action", "source", "actor_label", "note", "reference"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PetInline(admin.TabularInline):
    model = Pet
    extra = 0
    fields = ["name", "species", "breed", "size"]


@admin.register(Customer, site=shop_admin_site)
class CustomerAdmin(ShopModelAdmin):
    list_display = ["name", "phone", "email", "marketing_consent", "last_interaction_at"]
    search_fields = ["name", "phone", "email"]
    list_filter = ["marketing_consent"]
    # Consent changes only through bookings.services.consent, which records them.
    readonly_fields = ["marketing_consent", "marketing_consent_at", "marketing_opted_out_at"]
    inlines = [PetInline, CustomerIdentityInline, ConsentRecordInline]


class VaccinationInline(admin.TabularInline):
    model = Vaccination
    extra = 0


@admin.register(Pet, site=shop_admin_site)
class PetAdmin(ShopModelAdmin):
    list_display = ["name", "customer", "species", "breed", "size"]
    list_filter = ["species", "size"]
    search_fields = ["name", "customer__name", "customer__phone"]
    autocomplete_fields = ["customer"]
    inlines = [VaccinationInline]


class ServiceSizeRuleInline(admin.TabularInline):
    model = ServiceSizeRule
    extra = 0


@admin.register(Service, site=shop_admin_site)
class ServiceAdmin(ShopModelAdmin):
    list_display = ["name", "category", "duration_minutes", "price", "buffer_after_minutes", "active"]
    list_filter = ["category", "active"]
    search_fields = ["name"]
    inlines = [ServiceSizeRuleInline]


class ResourceHoursInline(admin.TabularInline):
    model = ResourceHours
    extra = 0


@admin.register(Resource, site=shop_admin_site)
class ResourceAdmin(ShopModelAdmin):
    list_display = ["name", "kind", "active"]
    filter_horizontal = ["services"]
    inlines = [ResourceHoursInline]


@admin.register(BusinessHours, site=shop_admin_site)
class BusinessHoursAdmin(ShopModelAdmin):
    list_display = ["weekday", "start", "end"]


@admin.register(Closure, site=shop_admin_site)
class ClosureAdmin(ShopModelAdmin):
    list_display = ["start_date", "end_date", "reason", "resource"]


@admin.register(BookingSettings, site=shop_admin_site)
class BookingSettingsAdmin(ShopModelAdmin):
    list_display = ["slot_grid_minutes", "min_notice_minutes", "horizon_days", "offer_ttl_minutes"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Booking, site=shop_admin_site)
class BookingAdmin(ReadOnlyShopModelAdmin):
    # Bookings change only through the services (checks, audit log): the
    # dashboard and the API; here they are read.
    list_display = ["start", "customer", "pet", "service", "resource", "status", "price", "source"]
    list_filter = ["status", "source", "resource", "service"]
    search_fields = ["customer__name", "customer__phone", "pet__name"]
    date_hierarchy = "start"
