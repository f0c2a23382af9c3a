"""What the cross-tenant sweep needs: every route of the shop host, a beta
row for each of its path parameters, and a fingerprint of beta's tables.

A route whose parameter is not in `PARAMETERS` makes `route_url` fail, so a
new route is swept as soon as it exists (or the sweep says what to add)."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from channels.routing import URLRouter
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection, models
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import tenant_context

from agents.models import AIInteraction, Campaign, FaqEntry, FollowUp
from agents.outreach.delivery import outreach_settings
from agents.settings_services import agent_settings_current
from analytics.models import AnalyticsEvent, ConversationRecord, ExportJob
from bookings.models import BusinessHours, Resource, Service
from bookings.services import (
    booking_create,
    closure_create,
    customer_get_or_create,
    pet_register,
    resource_create,
    service_create,
    vaccination_record,
)
from tenants.integrations.models import WebhookDelivery, WebhookEndpoint
from tenants.models import Organization
from tenants.shop.admin import shop_admin_site
from tenants.shop.models import OwnerNumber
from tenants.shop.services import api_key_create
from tenants.staff.models import User
from tests.fixtures.bookings import STAFF
from whatsapp.models import Conversation, ConversationNote, Message
from whatsapp.services.channels import channel_create

SHOP_TZ = ZoneInfo("America/Sao_Paulo")
MARK = "Sigilo-Beta"  # in every text of beta's rows: seen anywhere else, it leaked


@dataclass(frozen=True)
class Route:
    path: str  # Django's route syntax, regexes reduced to their named groups: "customers/<int:customer_id>/"
    name: str | None

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.path)

    def __str__(self) -> str:
        return self.path


def _route_text(pattern) -> str:
    text = str(pattern.pattern)
    if text.startswith("^") or text.endswith("$"):  # a regex (admin's app index and catch-all)
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", text.lstrip("^").rstrip("$"))
    return text


def tenant_routes(urlconf: str = "oxy.urls_tenant") -> list[Route]:
    """Every route of the shop host, included urlconfs and the admin too."""

    def walk(patterns, prefix: str) -> Iterator[Route]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + _route_text(pattern))
            elif isinstance(pattern, URLPattern):
                yield Route(prefix + _route_text(pattern), pattern.name)

    return list(walk(get_resolver(urlconf).url_patterns, ""))


@dataclass
class BetaWorld:
    """One row of each kind in beta, texts marked with MARK."""

    organization: Organization
    rows: dict[str, models.Model]
    unique: set[str] = field(default_factory=set)  # row names whose pk alpha does not have

    def __getitem__(self, name: str) -> models.Model:
        return self.rows[name]

    def is_unique(self, row: models.Model) -> bool:
        return any(made is row for name, made in self.rows.items() if name in self.unique)


# Path parameter -> the beta row (by name in BetaWorld.rows) or the fixed value it takes.
PARAMETERS: dict[str, str] = {
    "message_id": "message", "conversation_id": "conversation", "channel_id": "channel",
    "closure_id": "closure", "booking_id": "booking", "customer_id": "customer", "pet_id": "pet",
    "campaign_id": "campaign", "job_id": "export_job", "number_id": "owner_number",
    "service_id": "service", "resource_id": "resource", "entry_id": "faq", "key_id": "api_key",
    "user_id": "member", "id": "member",
    "object_id": "<the admin page's model>", "content_type_id": "<the customer's content type>",
    "endpoint_id": "webhook", "delivery_id": "delivery",
    "kind": "bookings", "app_label": "bookings", "url": "no-such-page/",
}  # fmt: skip


def _admin_model(route: Route) -> type[models.Model]:
    app_label, model_name = route.path.split("/")[1:3]
    return apps.get_model(app_label, model_name)


def route_url(route: Route, world: BetaWorld) -> tuple[str, bool]:
    """The route's URL naming beta's rows, and whether it names a row alpha lacks."""
    with tenant_context(world.organization):
        return _route_url(route, world)


def _route_url(route: Route, world: BetaWorld) -> tuple[str, bool]:
    url, names_beta_row = "/" + route.path, False
    for parameter in route.parameters:
        if parameter not in PARAMETERS:
            raise LookupError(f"{route}: no beta value for <{parameter}>; add it to PARAMETERS in {__name__}")
        if parameter == "content_type_id":
            value = str(ContentType.objects.get_for_model(world["customer"]).pk)
        elif parameter == "object_id":
            row = world["customer"] if route.name == "view_on_site" else _beta_row_of(_admin_model(route), world)
            value, names_beta_row = str(row.pk), names_beta_row or world.is_unique(row)
        elif PARAMETERS[parameter] in world.rows:
            row = world[PARAMETERS[parameter]]
            value, names_beta_row = str(row.pk), names_beta_row or world.is_unique(row)
        else:
            value = PARAMETERS[parameter]
        url = re.sub(rf"<(?:\w+:)?{parameter}>", value, url)
    return url, names_beta_row


def _beta_row_of(model: type[models.Model], world: BetaWorld) -> models.Model:
    made = next((row for row in world.rows.values() if type(row) is model), None)
    if made is not None:
        return made
    existing = model.objects.order_by("pk").first()
    if existing is None:
        raise LookupError(f"beta has no {model.__name__}: add one to beta_world() in {__name__}")
    return existing


def _upcoming_monday() -> date:
    day = datetime.now(SHOP_TZ).date() + timedelta(days=2)
    return day + timedelta(days=-day.weekday() % 7)


def beta_world(beta: Organization, alpha: Organization) -> BetaWorld:
    """Rows in beta for every path parameter (and every admin page)."""
    with tenant_context(beta):
        bath, groomer = Service.objects.get(category=Service.Category.BATH), Resource.objects.order_by("pk")[0]
        for singleton in (agent_settings_current(), outreach_settings()):  # unsaved until first edited
            singleton.save()
        customer, _created = customer_get_or_create(phone="+5521976549999", name=f"Cliente {MARK}", actor=STAFF)
        pet = pet_register(customer=customer, name=f"Pet {MARK}", species="dog", size="G", actor=STAFF)
        vaccination_record(pet=pet, vaccine=f"V10 {MARK}", applied_on=date(2025, 1, 10), actor=STAFF)
        service = service_create(
            name=f"Spa {MARK}", category="other", duration_minutes=60, price=Decimal("99.00"), actor=STAFF
        )
        resource = resource_create(name=f"Sala {MARK}", service_ids=[service.pk], actor=STAFF)
        monday = _upcoming_monday()
        booking = booking_create(
            service=bath, resource=groomer, customer=customer, pet=pet,
            start=datetime.combine(monday, time(10), tzinfo=SHOP_TZ), actor=STAFF,
        )  # fmt: skip
        channel, _route = channel_create(name=f"Canal {MARK}", provider="sandbox")
        conversation = Conversation.objects.create(customer=customer, channel=channel, address="5521976549999")
        message = Message.objects.create(
            conversation=conversation, channel=channel, direction="in", sender_kind="customer", kind="image",
            text=f"Foto {MARK}", status="received", media=ContentFile(MARK.encode(), name="beta.jpg"),
        )  # fmt: skip
        rows = {
            "customer": customer, "pet": pet, "service": service, "resource": resource, "booking": booking,
            "closure": closure_create(start_date=monday + timedelta(days=3), end_date=monday + timedelta(days=3),
                                      reason=f"Reforma {MARK}", actor=STAFF),
            "business_hours": BusinessHours.objects.create(weekday=6, start=time(9), end=time(11)),
            "channel": channel, "conversation": conversation, "message": message,
            "note": ConversationNote.objects.create(conversation=conversation, text=f"Nota {MARK}"),
            "campaign": Campaign.objects.create(name=f"Campanha {MARK}", text=f"Oi {MARK}", created_by="beta"),
            "export_job": ExportJob.objects.create(kind="bookings", start=monday, end=monday, requested_by="beta"),
            "faq": FaqEntry.objects.create(question=f"Pergunta {MARK}?", answer=f"Resposta {MARK}"),
            "owner_number": OwnerNumber.objects.create(phone="+5521976548888", label=MARK),
            "api_key": api_key_create(name=f"Chave {MARK}", role="attendant", actor=STAFF)[0],
            "member": User.objects.create_user(f"{MARK.lower()}@beta.test", role="attendant"),
            "ai_interaction": AIInteraction.objects.create(**_minimal(AIInteraction, conversation=conversation,
                                                                            answers_message=message)),
            "follow_up": FollowUp.objects.create(**_minimal(FollowUp, customer=customer, booking=booking)),
            "analytics_event": AnalyticsEvent.objects.create(**_minimal(AnalyticsEvent)),
            "conversation_record": ConversationRecord.objects.create(**_minimal(ConversationRecord,
                                                                                 conversation=conversation)),
            "webhook": WebhookEndpoint.objects.create(**_minimal(WebhookEndpoint, url="https://beta.example/hook",
                                                                 description=MARK, events=["booking.created"])),
        }  # fmt: skip
        rows["delivery"] = WebhookDelivery.objects.create(
            **_minimal(WebhookDelivery, endpoint=rows["webhook"], status="failed", payload={"note": MARK})
        )
        for model in shop_admin_site._registry:  # one row behind every admin page
            if not any(type(row) is model for row in rows.values()) and not model.objects.exists():
                rows[model._meta.label_lower] = model.objects.create(**_minimal(model))
    world = BetaWorld(beta, rows)
    with tenant_context(alpha):
        world.unique = {name for name, row in rows.items() if not type(row).objects.filter(pk=row.pk).exists()}
    return world


def _minimal(model: type[models.Model], **given) -> dict:
    """Values for the required fields of a log-like row the sweep only needs to exist."""
    values = dict(given)
    for model_field in model._meta.concrete_fields:
        if model_field.name in values or model_field.primary_key or model_field.null or model_field.has_default():
            continue
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            continue
        if model_field.is_relation:
            raise LookupError(f"{model.__name__}.{model_field.name}: pass the beta row to _minimal()")
        if model_field.choices:
            values[model_field.name] = model_field.choices[0][0]
        elif isinstance(model_field, models.DateTimeField):
            values[model_field.name] = datetime.now(SHOP_TZ)
        elif isinstance(model_field, models.DateField):
            values[model_field.name] = datetime.now(SHOP_TZ).date()
        elif isinstance(model_field, models.CharField | models.TextField):
            values[model_field.name] = MARK if not model_field.max_length else MARK[: model_field.max_length]
        elif isinstance(model_field, models.JSONField):
            values[model_field.name] = {}
        else:
            values[model_field.name] = 0
    return values


def beta_fingerprint(beta: Organization) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row, per table of beta's schema, in one query."""
    with tenant_context(beta), connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT '{table}', count(*), coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '')"
                f' FROM "{table}" t'
                for table in tables
            )
        )
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}


def websocket_routes(application) -> list[str]:
    """The socket paths the ASGI app routes, through its middleware."""
    node = application.application_mapping["websocket"]
    while not isinstance(node, URLRouter):
        node = getattr(node, "inner", None) or node.application
    return ["/" + _route_text(route) for route in node.routes]
