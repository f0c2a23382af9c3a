"""Who may open what, in a real browser."""

from django.conf import settings
from playwright.sync_api import expect

from tenants.staff.models import User
from tests.e2e.conftest import sign_in


def test_an_attendant_cannot_open_the_settings(new_page, shop_data):
    shop_data(User.objects.create_user, "lia@e2e.test", password="lia-password-123", role="attendant")
    attendant = sign_in(new_page(), "lia@e2e.test", "lia-password-123")

    expect(attendant.locator("nav a[href='/settings/']")).to_have_count(0)
    response = attendant.goto("/settings/")

    assert response.status == 403


def test_a_user_of_one_shop_gets_nothing_from_another_shops_host(new_page, server):
    owner = sign_in(new_page())
    port = server.rsplit(":", 1)[1]
    beta = f"http://beta.{settings.OXY_BASE_DOMAIN}:{port}"
    # even with this shop's session cookie handed to the other host
    session = next(c for c in owner.context.cookies() if c["name"] == "sessionid")
    owner.context.add_cookies([{"name": "sessionid", "value": session["value"], "url": beta}])

    owner.goto(f"{beta}/inbox/")
    assert "/login/" in owner.url
    api = owner.goto(f"{beta}/api/v1/customers/")
    assert api.status == 403
