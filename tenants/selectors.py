"""Reads on organizations: listings, the provisioning smoke check and the
cross-tenant isolation audit."""

from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import connection
from django_tenants.utils import get_public_schema_name, tenant_context

from .models import Domain, Organization
from .schema_template import tenant_app_labels


def tenant_table_names() -> set[str]:
    """Tables every shop schema must have (its apps' concrete models)."""
    tables: set[str] = set()
    for label in tenant_app_labels():
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                tables.add(model._meta.db_table)
    return tables | {"django_migrations"}


def tables_in_schema(schema_name: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema_name])
        return {row[0] for row in cursor.fetchall()}


@dataclass
class ProvisioningSmokeReport:
    failures: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def check(self, passed: bool, description: str) -> None:
        (self.checks if passed else self.failures).append(description)


def provisioning_smoke_check(
    *, organization: Organization, owner_email: str, owner_password: str
) -> ProvisioningSmokeReport:
    report = ProvisioningSmokeReport()
    missing = tenant_table_names() - tables_in_schema(organization.schema_name)
    report.check(
        not missing,
        f"schema has all {len(tenant_table_names())} tables"
        if not missing
        else f"schema lacks tables: {', '.join(sorted(missing))}",
    )
    with tenant_context(organization):
        owner = authenticate(username=owner_email, password=owner_password)
        report.check(owner is not None and owner.role == "owner", "owner can log in")
        emails = list(get_user_model().objects.values_list("email", flat=True))
        report.check(emails == [owner_email], "the shop sees only its own staff")
    return report


@dataclass(frozen=True)
class OrganizationSummary:
    organization: Organization
    domains: list[str]
    staff_users: int
    owner_numbers: int


def organization_list_with_counts_all_tenants(*, status: str | None = None) -> list[OrganizationSummary]:
    from .shop.models import OwnerNumber

    organizations = Organization.objects.exclude(schema_name=get_public_schema_name()).order_by("slug")
    if status:
        organizations = organizations.filter(status=status)
    domains: dict[int, list[str]] = {}
    for domain in Domain.objects.filter(tenant__in=organizations).order_by("-is_primary", "domain"):
        domains.setdefault(domain.tenant_id, []).append(domain.domain)
    summaries = []
    for organization in organizations:
        with tenant_context(organization):
            summaries.append(
                OrganizationSummary(
                    organization=organization,
                    domains=domains.get(organization.id, []),
                    staff_users=get_user_model().objects.count(),
                    owner_numbers=OwnerNumber.objects.count(),
                )
            )
    return summaries


def isolation_audit_all_tenants() -> list[str]:
    """Every way one shop could read another's data that we can detect from
    the catalog; an empty list means none was found."""
    problems: list[str] = []
    required = tenant_table_names()
    public = get_public_schema_name()
    organizations = list(Organization.objects.exclude(schema_name=public))
    known_schemas = {org.schema_name for org in organizations}

    for organization in organizations:
        # A table missing from a shop's schema would be found in public
        # through the search path: the shop would read shared rows.
        missing = required - tables_in_schema(organization.schema_name)
        if missing:
            problems.append(
                f"{organization.slug}: schema {organization.schema_name} lacks {', '.join(sorted(missing))}"
            )

    shared_labels = {app.label for app in apps.get_app_configs() if app.name in settings.SHARED_APPS}
    tenant_only_tables = {
        model._meta.db_table
        for label in tenant_app_labels()
        if label not in shared_labels
        for model in apps.get_app_config(label).get_models()
    }
    for table in sorted(tenant_only_tables & tables_in_schema(public)):
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{public}"."{table}"')  # noqa: S608
            if cursor.fetchone()[0]:
                problems.append(f"public schema holds shop rows in {table}")

    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'shop\\_%%'")
        orphans = {row[0] for row in cursor.fetchall()} - known_schemas
    problems.extend(f"schema {schema} belongs to no organization" for schema in sorted(orphans))
    return problems
