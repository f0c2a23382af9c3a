"""Who may open the Settings pages, and that another shop cannot reach them.

Every route of tenants/shop/urls_dashboard.py is in the table below with a
body a browser would post. A manager's request is the control (each page
opens, each valid post is saved and audited), so that an attendant's 403
and beta's 404 mean a refusal, not a typo. After every refused request,
alpha's rows are compared with what they were."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from agents.models import FaqEntry
from agents.settings_services import llm_key_set
from bookings.models import Resource, Service
from bookings.services import resource_create, service_create
from tenants.shop.models import ApiKey, AuditEntry, OwnerNumber
from tenants.shop.services import api_key_create
from tenants.shop.urls_dashboard import urlpatterns
from tenants.staff.models import User
from tests.fixtures.bookings import STAFF
from tests.fixtures.dashboard import team_member
from tests.tenants import settings_data as data


@dataclass
class AlphaWorld:
    """Rows that exist only in alpha."""

    service: Service
    resource: Resource
    faq: FaqEntry
    number: OwnerNumber
    api_key: ApiKey
    member: User  # an active attendant
    former: User  # a deactivated attendant

    @property
    def ids(self) -> dict[str, int]:
        return {name: getattr(self, name).pk for name in self.__dataclass_fields__}


@pytest.fixture
def world(alpha, beta) -> AlphaWorld:
    with tenant_context(alpha):
        service = service_create(
            name="Spa Exclusivo Alpha", category="bath", duration_minutes=60, price=Decimal("99.00"),
            size_rules={"G": (70, Decimal("120.00"))}, actor=STAFF,
        )  # fmt: skip
        made = AlphaWorld(
            service=service,
            resource=resource_create(name="Tosadora Exclusiva Alpha", service_ids=[service.pk], actor=STAFF),
            faq=FaqEntry.objects.create(question="Aceitam gatos?", answer="Sim, com hora marcada."),
            number=OwnerNumber.objects.create(phone="+5511977776666", label="sócia"),
            api_key=api_key_create(name="Site da Alpha", role="attendant", actor=STAFF)[0],
            member=User.objects.create_user("member@alpha.test", role="attendant"),
            former=User.objects.create_user("former@alpha.test", role="attendant", is_active=False),
        )
        llm_key_set(api_key="sk-alpha-secret", actor=STAFF)
    with tenant_context(beta):
        # Ids are per schema: the 404s below mean something only if beta has no row with these ids.
        for name, model in [("service", Service), ("resource", Resource), ("faq", FaqEntry), ("number", OwnerNumber),
                            ("api_key", ApiKey), ("member", User), ("former", User)]:  # fmt: skip
            assert not model.objects.filter(pk=made.ids[name]).exists(), f"beta happens to have {name} {made.ids[name]}"
    return made


@dataclass(frozen=True)
class Route:
    path: str  # formatted with AlphaWorld.ids
    body: Callable[[AlphaWorld], dict] | None  # what a browser posts; None: a page without a form
    get: int = 200  # for a manager; 405: post only

    def __str__(self) -> str:
        return self.path

    def url(self, world: AlphaWorld) -> str:
        return "/" + self.path.format(**world.ids)

    @property
    def names_a_row(self) -> bool:
        return "{" in self.path


ROUTES = [
    Route("settings/", lambda w: {"name": "Loja Renomeada", "time_zone": "America/Manaus", "language": "en"}),
    Route("settings/hours/", lambda w: data.week((0, "09:00", "12:00"), (0, "13:00", "17:00"))),
    Route("settings/owners/", lambda w: {"phone": "+55 11 96666-5555", "label": "sócio"}),
    Route("settings/owners/{number}/remove/", lambda w: {}),
    Route("settings/services/", None),
    Route("settings/services/new/", lambda w: data.service("Serviço Novo")),
    Route("settings/services/{service}/", lambda w: data.service("Spa Renomeado")),
    Route("settings/services/{service}/active/", lambda w: {"active": "0"}, get=405),
    Route("settings/resources/", None),
    Route("settings/resources/new/", lambda w: data.resource("Sala Nova")),
    Route("settings/resources/{resource}/", lambda w: data.resource("Sala Renomeada", hours=[(1, "10:00", "16:00")])),
    Route("settings/resources/{resource}/active/", lambda w: {"active": "0"}, get=405),
    Route("settings/attendant/", lambda w: data.attendant()),
    Route("settings/attendant/key/", lambda w: {"key-api_key": "sk-another"}, get=405),
    Route("settings/attendant/key/remove/", lambda w: {}, get=405),
    Route("settings/attendant/outreach/", lambda w: data.outreach(), get=405),
    Route("settings/attendant/pause/", lambda w: {"paused": "1"}, get=405),
    Route("settings/faq/", None),
    Route("settings/faq/new/", lambda w: {"question": "Tem estacionamento?", "answer": "Sim, na frente."}),
    Route("settings/faq/{faq}/", lambda w: {"question": "Aceitam gatos?", "answer": "Só às terças."}),
    Route("settings/faq/{faq}/delete/", lambda w: {}),
    Route("settings/api-keys/", lambda w: {"name": "Integração", "role": "manager"}),
    Route("settings/api-keys/{api_key}/revoke/", lambda w: {}),
    Route("settings/audit/", None),
    Route("settings/privacy/", lambda w: {"raw_events_retention_days": "7", "message_retention_months": "24"}),
    Route("settings/team/", lambda w: {"email": "nova@alpha.test", "role": "attendant"}),
    Route("settings/team/{member}/role/", lambda w: {f"m{w.member.pk}-role": "manager"}, get=405),
    Route("settings/team/{member}/deactivate/", lambda w: {}),
    Route("settings/team/{former}/reactivate/", lambda w: {}, get=405),
]
POSTS = [route for route in ROUTES if route.body]


def test_the_table_covers_every_settings_route():
    def shape(path: str) -> str:
        return re.sub(r"<[^>]+>|\{[^}]+\}", "*", path)

    assert sorted(shape(str(p.pattern)) for p in urlpatterns) == sorted(shape(route.path) for route in ROUTES)


@pytest.mark.parametrize("role", ["owner", "manager"])
@pytest.mark.parametrize("route", [route for route in ROUTES if route.get == 200], ids=str)
def test_owners_and_managers_open_every_page(alpha_team, world, role, route):
    response = alpha_team(role).get(route.url(world))

    assert response.status_code == 200
    assert 'class="settings-nav"' in response.content.decode()


@pytest.mark.parametrize("route", POSTS, ids=str)
def test_a_manager_saves_on_every_form_and_it_is_audited(alpha, alpha_team, world, route):
    client = alpha_team("manager")
    with tenant_context(alpha):
        audited = AuditEntry.objects.count()

    response = client.post(route.url(world), route.body(world))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.get(response["Location"]).status_code == 200
    with tenant_context(alpha):
        assert AuditEntry.objects.count() == audited + 1


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_an_attendant_can_neither_open_nor_post_any_settings_route(alpha, alpha_team, world, route):
    client = alpha_team("attendant")
    before = data.shop_rows(alpha)

    assert client.get(route.url(world)).status_code == 403
    assert client.post(route.url(world), route.body(world) if route.body else {}).status_code == 403
    assert data.shop_rows(alpha) == before


def test_signed_out_visitors_are_sent_to_sign_in(alpha, alpha_client):
    response = alpha_client.get("/settings/team/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/settings/team/")


@pytest.mark.parametrize("route", [route for route in ROUTES if route.names_a_row], ids=str)
def test_beta_cannot_read_or_change_alphas_rows_by_id(alpha, beta_team, world, route):
    client = beta_team("owner")
    before = data.shop_rows(alpha)

    if route.get == 200:
        assert client.get(route.url(world)).status_code == 404
    assert client.post(route.url(world), route.body(world)).status_code == 404
    assert data.shop_rows(alpha) == before


def test_a_beta_session_is_unknown_on_alphas_host(alpha, beta, world):
    owner = team_member(beta, role="owner")
    client = Client(HTTP_HOST="alpha.oxy.test")
    with tenant_context(beta):
        client.force_login(owner)
    before = data.shop_rows(alpha)

    assert client.get("/settings/").status_code == 302
    assert client.post("/settings/", {"name": "Invadida", "time_zone": "UTC", "language": "en"}).status_code == 302
    assert data.shop_rows(alpha) == before
