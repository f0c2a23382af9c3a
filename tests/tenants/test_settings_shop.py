"""The shop's profile, opening hours and owner numbers, as a manager edits them."""

from datetime import time

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from bookings.models import BusinessHours
from tenants.models import Organization
from tenants.shop.models import AuditEntry, OwnerNumber, ShopSettings
from tests.tenants import settings_data as data


@pytest.fixture
def manager(alpha_team):
    client = alpha_team("manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the page's words, as written in the source
    return client


def opening_hours(organization: Organization) -> list[tuple[int, time, time]]:
    with tenant_context(organization):
        return list(BusinessHours.objects.order_by("weekday", "start").values_list("weekday", "start", "end"))


def test_the_profile_shows_the_shop_as_it_is(manager):
    page = manager.get("/settings/").content.decode()

    assert 'value="Shop alpha"' in page
    assert '<option value="America/Sao_Paulo" selected>' in page


def test_a_manager_renames_the_shop_and_changes_its_time_zone_and_language(alpha, manager):
    response = manager.post(
        "/settings/", {"name": " Pet Feliz ", "time_zone": "America/Manaus", "language": "en"}, follow=True
    )

    assert response.redirect_chain == [("/settings/", 302)]
    assert "The shop&#x27;s profile was saved." in response.content.decode()
    assert '<a class="brand" href="/inbox/">Pet Feliz</a>' in response.content.decode()
    alpha.refresh_from_db()
    assert (alpha.name, alpha.timezone) == ("Pet Feliz", "America/Manaus")
    with tenant_context(alpha):
        assert ShopSettings.objects.get().language == "en"
        entry = AuditEntry.objects.get(action="shop.profile_updated")
    assert entry.data == {"fields": ["language", "name", "timezone"]}
    assert entry.actor_label.startswith("manager.")


def test_an_invalid_profile_is_shown_again_with_its_errors_and_nothing_changes(alpha, manager):
    response = manager.post("/settings/", {"name": "Pet Feliz", "time_zone": "Mars/Olympus", "language": "xx"})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"time_zone", "language"}
    assert 'value="Pet Feliz"' in response.content.decode()  # what was typed is kept
    alpha.refresh_from_db()
    assert (alpha.name, alpha.timezone) == ("Shop alpha", "America/Sao_Paulo")


def test_the_hours_page_shows_the_week_with_room_for_another_interval(manager):
    page = manager.get("/settings/hours/").content.decode()

    assert page.count('value="08:00"') == 6  # Monday to Saturday open at 8
    assert page.count('value="18:00"') == 5
    assert 'name="hours-TOTAL_FORMS" value="14"' in page  # 6 open days: their interval + an empty row; Sunday: 2 empty


def test_a_manager_sets_a_lunch_break_and_closes_saturday(alpha, manager):
    week = [(day, "08:00", "12:00") for day in range(5)] + [(day, "13:00", "18:00") for day in range(5)]

    response = manager.post("/settings/hours/", data.week(*week, (5, "", ""), (6, "", "")), follow=True)

    assert response.redirect_chain == [("/settings/hours/", 302)]
    assert "Opening hours saved." in response.content.decode()
    expected = [(day, time(8), time(12)) for day in range(5)] + [(day, time(13), time(18)) for day in range(5)]
    assert opening_hours(alpha) == sorted(expected)
    with tenant_context(alpha):
        assert AuditEntry.objects.filter(action="business_hours.replaced").count() == 1


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([(0, "12:00", "08:00")], "end"),  # closes before it opens
        ([(0, "08:00", "")], "end"),  # half filled in
        ([(0, "08:00", "12:00"), (0, "11:00", "14:00")], "start"),  # overlaps
    ],
    ids=["end-before-start", "half-filled", "overlap"],
)
def test_invalid_hours_are_shown_again_with_the_error_on_the_row(alpha, manager, rows, field):
    before = opening_hours(alpha)

    response = manager.post("/settings/hours/", data.week(*rows))

    assert response.status_code == 200
    formset = response.context["formset"]
    assert [list(form.errors) for form in formset.forms if form.errors] == [[field]]
    assert 'class="errorlist' in response.content.decode()
    assert f'value="{rows[-1][1]}"' in response.content.decode()  # what was typed is kept
    assert opening_hours(alpha) == before


def test_a_manager_adds_an_owner_number_typed_any_way(alpha, manager):
    response = manager.post("/settings/owners/", {"phone": "(11) 98765-1234", "label": "sócia"}, follow=True)

    assert response.redirect_chain == [("/settings/owners/", 302)]
    page = response.content.decode()
    assert "+5511987651234 now reaches Aurora." in page
    assert "<td>+5511987651234</td><td>sócia</td>" in page
    with tenant_context(alpha):
        assert OwnerNumber.objects.filter(phone="+5511987651234", label="sócia").exists()
        assert AuditEntry.objects.filter(action="owner_number.added", data__phone="+5511987651234").exists()


@pytest.mark.parametrize("phone", ["12345", "+55 11 98765-0001"], ids=["not-a-number", "already-an-owner"])
def test_a_wrong_or_repeated_owner_number_is_refused(alpha, manager, phone):
    with tenant_context(alpha):
        before = list(OwnerNumber.objects.values_list("phone", flat=True))

    response = manager.post("/settings/owners/", {"phone": phone, "label": "x"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["phone"]
    assert f'value="{phone}"' in response.content.decode()
    with tenant_context(alpha):
        assert list(OwnerNumber.objects.values_list("phone", flat=True)) == before


def test_removing_an_owner_number_asks_first_then_removes_it(alpha, manager):
    with tenant_context(alpha):
        number = OwnerNumber.objects.create(phone="+5511955554444", label="ex-sócio")

    confirm = manager.get(f"/settings/owners/{number.pk}/remove/")
    assert confirm.status_code == 200
    assert "+5511955554444" in confirm.content.decode()
    with tenant_context(alpha):
        assert OwnerNumber.objects.filter(pk=number.pk).exists()  # asking changed nothing

    response = manager.post(f"/settings/owners/{number.pk}/remove/", follow=True)

    assert "+5511955554444 no longer reaches Aurora." in response.content.decode()
    with tenant_context(alpha):
        assert not OwnerNumber.objects.filter(pk=number.pk).exists()
        assert AuditEntry.objects.filter(action="owner_number.removed", data__phone="+5511955554444").exists()
