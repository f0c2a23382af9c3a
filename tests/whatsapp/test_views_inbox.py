"""The inbox and a conversation, as the team uses them (server side; the
live updates in a real browser are in tests/e2e)."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from tenants.shop.models import AuditEntry
from tenants.staff.models import User
from whatsapp.models import CannedReply, Conversation, ConversationNote, Message

NOW = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def ana(shop) -> Conversation:
    return shop.customer_writes(NOW, "+5511911110001", "Quero banho pro Thor", name="Ana Souza")


@pytest.fixture
def bia(shop) -> Conversation:
    return shop.customer_writes(NOW, "+5511922220002", "Vocês abrem sábado?", name="Bia Lima")


def test_the_inbox_lists_conversations_with_their_last_message_and_unread_count(alpha_team, ana, bia):
    page = alpha_team("attendant").get("/inbox/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Ana Souza" in html
    assert "Quero banho pro Thor" in html
    assert "Bia Lima" in html
    assert "Vocês abrem sábado?" in html
    assert f'data-conversation="{ana.pk}"' in html


def test_filters_and_search_narrow_the_list(alpha_team, ana, bia):
    team = alpha_team("attendant")
    Conversation.objects.filter(pk=bia.pk).update(owner="human")

    needs_a_person = team.get("/inbox/list/", {"show": "human"}, HTTP_HX_REQUEST="true").content.decode()
    by_phone = team.get("/inbox/list/", {"q": "(11) 91111-0001"}, HTTP_HX_REQUEST="true").content.decode()
    by_name = team.get("/inbox/list/", {"q": "bia"}, HTTP_HX_REQUEST="true").content.decode()

    assert "Bia Lima" in needs_a_person
    assert "Ana Souza" not in needs_a_person
    assert "Ana Souza" in by_phone
    assert "Bia Lima" not in by_phone
    assert "Bia Lima" in by_name
    assert "Ana Souza" not in by_name
    assert "<html" not in by_name  # only the list, for htmx to swap in


def test_assigned_to_me_shows_only_mine(alpha_team, ana, bia):
    me = alpha_team("attendant", email="me@alpha.test")
    Conversation.objects.filter(pk=ana.pk).update(assignee=User.objects.get(email="me@alpha.test"))

    html = me.get("/inbox/", {"show": "mine"}).content.decode()

    assert "Ana Souza" in html
    assert "Bia Lima" not in html


def test_opening_a_conversation_shows_it_and_marks_it_read(alpha_team, ana):
    page = alpha_team("attendant").get(f"/inbox/{ana.pk}/")

    html = page.content.decode()
    assert "Quero banho pro Thor" in html
    assert "O robô responde" in html  # pt-BR by default
    assert f"/agenda/new/?customer={ana.customer_id}" in html  # book for them
    ana.refresh_from_db()
    assert ana.unread_count == 0


def test_a_staff_reply_takes_the_conversation_over_and_queues_the_message(alpha_team, ana):
    team = alpha_team("attendant", email="carla@alpha.test")

    response = team.post(f"/inbox/{ana.pk}/reply/", {"text": "Oi Ana, aqui é a Carla!"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Trigger"] == f"oxy-conversation-{ana.pk}"
    ana.refresh_from_db()
    assert (ana.owner, ana.assignee.email) == ("human", "carla@alpha.test")
    sent = Message.objects.get(conversation=ana, sender_kind="staff")
    assert (sent.text, sent.sent_by, sent.status) == ("Oi Ana, aqui é a Carla!", "carla@alpha.test", "queued")


def test_an_empty_reply_is_refused_with_a_clear_error_and_sends_nothing(alpha_team, ana):
    response = alpha_team("attendant").post(f"/inbox/{ana.pk}/reply/", {"text": "  "}, HTTP_HX_REQUEST="true")

    assert "Escreva uma mensagem ou anexe um arquivo." in response.content.decode()
    assert not Message.objects.filter(conversation=ana, sender_kind="staff").exists()
    ana.refresh_from_db()
    assert ana.owner == "bot"


def test_a_reply_with_an_attachment_sends_the_file_by_a_signed_link(alpha_team, ana, client):
    picture = SimpleUploadedFile("tabela.png", b"\x89PNG fake bytes", content_type="image/png")

    alpha_team("attendant").post(f"/inbox/{ana.pk}/reply/", {"text": "Nossa tabela", "attachment": picture})

    sent = Message.objects.get(conversation=ana, sender_kind="staff")
    assert (sent.kind, sent.data["filename"]) == ("image", "tabela.png")
    link = sent.data["url"].split("//", 1)[1].split("/", 1)[1]  # the path on the base domain
    fetched = client.get(f"/{link}", HTTP_HOST="oxy.test")
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content) == b"\x89PNG fake bytes"
    assert client.get(f"/{link[:-5]}xxxx/", HTTP_HOST="oxy.test").status_code == 404  # forged


def test_take_over_hand_back_and_pause_change_who_answers_and_are_audited(alpha_team, ana):
    team = alpha_team("attendant", email="carla@alpha.test")

    team.post(f"/inbox/{ana.pk}/take-over/")
    ana.refresh_from_db()
    assert (ana.owner, ana.assignee.email) == ("human", "carla@alpha.test")
    team.post(f"/inbox/{ana.pk}/pause/")
    ana.refresh_from_db()
    assert ana.owner == "paused"
    team.post(f"/inbox/{ana.pk}/hand-back/")
    ana.refresh_from_db()
    assert ana.owner == "bot"
    audited = AuditEntry.objects.filter(target=f"conversation:{ana.pk}").order_by("id")
    actions = list(audited.values_list("action", flat=True))
    assert actions == ["conversation.take_over", "conversation.pause", "conversation.hand_back"]


def test_notes_show_in_the_timeline_and_never_reach_the_customer(alpha_team, ana):
    team = alpha_team("attendant", email="carla@alpha.test")

    team.post(f"/inbox/{ana.pk}/note/", {"text": "Cliente prefere manhã"})

    html = team.get(f"/inbox/{ana.pk}/live/", HTTP_HX_REQUEST="true").content.decode()
    assert "Cliente prefere manhã" in html
    assert "carla@alpha.test" in html
    assert ConversationNote.objects.get().conversation == ana
    assert not Message.objects.filter(text="Cliente prefere manhã").exists()
    note_added = AuditEntry.objects.get(action="conversation.note_added")
    assert (note_added.actor_label, note_added.target) == ("carla@alpha.test", f"conversation:{ana.pk}")


def test_assigning_to_a_colleague(alpha_team, ana):
    team = alpha_team("manager")
    colleague = alpha_team("attendant", email="davi@alpha.test")

    team.post(f"/inbox/{ana.pk}/assign/", {"assignee": User.objects.get(email="davi@alpha.test").pk})

    ana.refresh_from_db()
    assert ana.assignee.email == "davi@alpha.test"
    assert "Ana Souza" in colleague.get("/inbox/", {"show": "mine"}).content.decode()


def test_canned_replies_are_managed_by_managers_and_offered_in_replies(alpha_team, ana):
    alpha_team("manager").post("/inbox/canned-replies/", {"title": "Horário", "text": "Abrimos das 8h às 18h."})

    attendant = alpha_team("attendant")
    assert attendant.get("/inbox/canned-replies/").status_code == 403
    assert "Abrimos das 8h às 18h." in attendant.get(f"/inbox/{ana.pk}/").content.decode()
    assert CannedReply.objects.get().title == "Horário"


def test_signed_out_visitors_go_to_the_login_page(alpha, alpha_client):
    response = alpha_client.get("/inbox/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_another_shops_team_can_neither_see_nor_change_a_conversation(alpha, beta, beta_team, ana):
    stranger = beta_team("owner")

    assert stranger.get(f"/inbox/{ana.pk}/").status_code == 404
    assert stranger.post(f"/inbox/{ana.pk}/reply/", {"text": "oi"}).status_code == 404
    assert stranger.post(f"/inbox/{ana.pk}/take-over/").status_code == 404
    assert stranger.post(f"/inbox/{ana.pk}/note/", {"text": "x"}).status_code == 404
    assert "Ana Souza" not in stranger.get("/inbox/").content.decode()
    with tenant_context(alpha):
        ana.refresh_from_db()
        assert ana.owner == "bot"
        assert not Message.objects.filter(sender_kind="staff").exists()
