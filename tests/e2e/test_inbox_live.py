"""The team's day in a real browser: customers arrive live, the bot answers,
a person takes over and hands back."""

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.fixtures.whatsapp import connected_sandbox_channel
from whatsapp.models import Conversation, Message


def customer_writes(phone_page, *, phone: str, name: str, text: str) -> None:
    phone_page.fill("#id_phone", phone)
    phone_page.fill("#id_name", name)
    phone_page.fill("#id_text", text)
    phone_page.click("#simulator-send button[type=submit]")
    # through the web, the worker and the socket: a loaded CI machine may take seconds
    expect(phone_page.locator("#simulator-thread")).to_contain_text(text, timeout=15_000)


def test_a_customer_appears_in_the_inbox_without_reloading_and_the_bot_answers(new_page, shop_data):
    channel, _route = shop_data(connected_sandbox_channel, "Balcão ao vivo")
    inbox = sign_in(new_page())
    phone = sign_in(new_page())
    phone.goto(f"/channels/{channel.pk}/simulator/")

    customer_writes(phone, phone="+55 11 95555-0101", name="Marta Live", text="Oi! Quanto custa o banho?")

    # The inbox was open before she wrote: her conversation arrived over the
    # socket, no reload. (Its preview is her message or, 0.3 s later, the bot's.)
    item = inbox.locator("#inbox-items li", has_text="Marta Live")
    expect(item).to_be_visible()
    item.click()
    expect(inbox.locator(".message.in")).to_contain_text("Quanto custa o banho?")
    expect(inbox.locator(".message.out.bot")).to_have_count(1, timeout=20_000)  # the bot's answer
    expect(phone.locator("#simulator-thread .message.in")).to_have_count(1)  # and the customer sees it


def test_a_person_takes_over_replies_the_bot_stays_silent_then_takes_it_back(new_page, shop_data):
    channel, _route = shop_data(connected_sandbox_channel, "Balcão humano")
    phone = sign_in(new_page())
    phone.goto(f"/channels/{channel.pk}/simulator/")
    customer_writes(phone, phone="+55 11 95555-0202", name="Nina Human", text="oi")
    staff = sign_in(new_page())
    staff.locator("#inbox-items li", has_text="Nina Human").click()
    expect(staff.locator(".message.out.bot")).to_have_count(1, timeout=20_000)

    # when a person takes over and replies
    staff.click("form[action$='/take-over/'] button")
    expect(staff.locator("#owner-state")).to_have_attribute("data-owner", "human")
    staff.fill("#reply-text", "Oi Nina, aqui é a Carla da loja!")
    staff.click("#reply-form button[type=submit]")
    expect(staff.locator(".message.out.staff")).to_contain_text("aqui é a Carla")
    expect(phone.locator("#simulator-thread")).to_contain_text("aqui é a Carla", timeout=15_000)

    # then the customer's next message reaches the person, and the bot stays silent
    customer_writes(phone, phone="+55 11 95555-0202", name="Nina Human", text="Pode ser amanhã cedo?")
    expect(staff.locator(".message.in").last).to_contain_text("Pode ser amanhã cedo?", timeout=15_000)
    staff.wait_for_timeout(2_000)  # longer than the bot's pause before answering
    expect(staff.locator(".message.out.bot")).to_have_count(1)

    # when handed back, the bot answers what nobody answered
    staff.click("form[action$='/hand-back/'] button")
    expect(staff.locator("#owner-state")).to_have_attribute("data-owner", "bot")
    expect(staff.locator(".message.out.bot")).to_have_count(2, timeout=20_000)
    conversation = shop_data(Conversation.objects.get, customer__name="Nina Human")
    assert shop_data(lambda: Message.objects.filter(conversation=conversation, sender_kind="bot").count()) == 2
