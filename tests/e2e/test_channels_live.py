"""Pairing a sandbox number in a real browser: the code, then the connected
state, appear without reloading."""

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in


def test_pairing_a_sandbox_channel_shows_the_code_then_connected_live(new_page):
    owner = sign_in(new_page())
    owner.goto("/channels/")
    owner.fill("#id_name", "Número novo")
    owner.select_option("#id_provider", "sandbox")
    owner.click("#channel-add button[type=submit]")
    owner.click("#pairing-start button[type=submit]")
    code = owner.locator("#pairing-code").inner_text().replace("-", "")
    assert len(code) == 8

    phone = sign_in(new_page())
    phone.goto(owner.url.rstrip("/") + "/simulator/")
    phone.fill("#id_pair-phone", "+55 11 97777-0303")
    phone.fill("#id_pair-code", code)
    phone.click("#simulator-pair button[type=submit]")

    expect(owner.locator("#channel-state")).to_have_attribute("data-state", "connected", timeout=20_000)
    expect(owner.locator("#channel-state")).to_contain_text("+5511977770303")
