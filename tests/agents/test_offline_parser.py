"""The offline parser reads real-sounding WhatsApp messages deterministically:
intent, language, day, time, period, choice, service and pet size. Pure
functions, no database. "now" is Monday 2030-03-04 09:00 in São Paulo."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline import Intent, ParsedMessage, parse_message

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=SAO_PAULO)  # a Monday

TODAY = date(2030, 3, 4)
TUESDAY = date(2030, 3, 5)
WEDNESDAY = date(2030, 3, 6)
THURSDAY = date(2030, 3, 7)
FRIDAY = date(2030, 3, 8)
SATURDAY = date(2030, 3, 9)
SUNDAY = date(2030, 3, 10)
NEXT_MONDAY = date(2030, 3, 11)
NEXT_FRIDAY = date(2030, 3, 15)


def parsed(intent: Intent, language: str = "pt", **hints: object) -> ParsedMessage:
    """The whole expected result: any hint not named here must be None."""
    return ParsedMessage(intent=intent, language=language, **hints)


MESSAGES = [
    # greetings and small talk
    ("oi bom dia 😊", parsed(Intent.GREET)),
    ("Oiii tudo bem?", parsed(Intent.GREET)),
    ("boa tarde", parsed(Intent.GREET)),
    ("Oii boa noitee", parsed(Intent.GREET)),
    ("hello", parsed(Intent.GREET, "en")),
    ("obrigado!", parsed(Intent.THANKS)),
    ("valeu 👍", parsed(Intent.THANKS)),
    ("ok obrigado", parsed(Intent.THANKS)),
    ("muito obrigada pela ajuda 🙏🙏", parsed(Intent.THANKS)),
    ("tchau", parsed(Intent.THANKS)),
    ("thanks!", parsed(Intent.THANKS, "en")),
    # opting out: always first
    ("PARAR", parsed(Intent.OPT_OUT)),
    ("SAIR", parsed(Intent.OPT_OUT)),
    ("stop", parsed(Intent.OPT_OUT, "en")),
    ("unsubscribe", parsed(Intent.OPT_OUT, "en")),
    ("quero cancelar minha inscrição", parsed(Intent.OPT_OUT)),
    ("CANCELAR INSCRIÇÃO", parsed(Intent.OPT_OUT)),
    ("não quero mais receber mensagens", parsed(Intent.OPT_OUT)),
    ("Para de me mandar mensagem!!!", parsed(Intent.OPT_OUT)),
    ("quero tirar meu numero da lista", parsed(Intent.OPT_OUT)),
    # asking for a person
    ("quero falar com um atendente", parsed(Intent.HUMAN)),
    ("me passa pra alguem de verdade pfv", parsed(Intent.HUMAN)),
    ("I want to talk to a human", parsed(Intent.HUMAN, "en")),
    ("quero falar com atendente pra cancelar", parsed(Intent.HUMAN)),
    # cancelling and rescheduling
    ("cancela meu horário de quinta", parsed(Intent.CANCEL, day=THURSDAY)),
    ("tem como cancelar?", parsed(Intent.CANCEL)),
    ("não vou poder ir amanhã", parsed(Intent.CANCEL, day=TUESDAY)),
    ("cancel my appointment", parsed(Intent.CANCEL, "en")),
    ("quero cancelar o segundo", parsed(Intent.CANCEL, choice=2)),
    ("remarcar para sábado", parsed(Intent.RESCHEDULE, day=SATURDAY)),
    ("cancela quinta e marca sábado", parsed(Intent.RESCHEDULE, day=SATURDAY)),
    ("não vou poder ir amanhã, tem sexta?", parsed(Intent.RESCHEDULE, day=FRIDAY)),
    ("Quero cancelar não, quero remarcar", parsed(Intent.RESCHEDULE)),
    ("quero mudar o horário", parsed(Intent.RESCHEDULE)),
    ("adiar pra semana que vem", parsed(Intent.RESCHEDULE, day=NEXT_MONDAY)),
    ("reschedule to friday", parsed(Intent.RESCHEDULE, "en", day=FRIDAY)),
    # negations
    ("não quero cancelar", parsed(Intent.DECLINE)),
    ("nao qro cancelar nao", parsed(Intent.DECLINE)),
    ("I don't want to cancel", parsed(Intent.DECLINE, "en")),
    ("não, obrigado", parsed(Intent.DECLINE)),
    ("nenhum desses", parsed(Intent.DECLINE)),
    ("no thanks", parsed(Intent.DECLINE, "en")),
    ("não quero falar com atendente, quero marcar", parsed(Intent.SLOTS)),
    ("não tem outro horário?", parsed(Intent.SLOTS)),
    # bookings
    ("meus agendamentos", parsed(Intent.MY_BOOKINGS)),
    ("tenho horário marcado?", parsed(Intent.MY_BOOKINGS)),
    ("what do I have booked?", parsed(Intent.MY_BOOKINGS, "en")),
    # yes to an offer, or picking one
    ("sim", parsed(Intent.BOOK_CONFIRM)),
    ("Simmm!!", parsed(Intent.BOOK_CONFIRM)),
    ("pode ser", parsed(Intent.BOOK_CONFIRM)),
    ("quero esse", parsed(Intent.BOOK_CONFIRM)),
    ("fechado 👍", parsed(Intent.BOOK_CONFIRM)),
    ("👍", parsed(Intent.BOOK_CONFIRM)),
    ("blz", parsed(Intent.BOOK_CONFIRM)),
    ("yes please", parsed(Intent.BOOK_CONFIRM, "en")),
    ("sim, o primeiro", parsed(Intent.BOOK_CONFIRM, choice=1)),
    ("pode ser a segunda", parsed(Intent.BOOK_CONFIRM, choice=2)),
    ("pode ser às 15h", parsed(Intent.BOOK_CONFIRM, time_of_day=time(15))),
    ("sim, amanhã às 10h30", parsed(Intent.BOOK_CONFIRM, day=TUESDAY, time_of_day=time(10, 30))),
    ("yes, tomorrow at 2pm works", parsed(Intent.BOOK_CONFIRM, "en", day=TUESDAY, time_of_day=time(14))),
    ("o segundo", parsed(Intent.CHOOSE, choice=2)),
    ("2", parsed(Intent.CHOOSE, choice=2)),
    ("opção 3", parsed(Intent.CHOOSE, choice=3)),
    ("a segunda opção", parsed(Intent.CHOOSE, choice=2)),
    ("quero o 2", parsed(Intent.CHOOSE, choice=2)),
    ("the first one", parsed(Intent.CHOOSE, "en", choice=1)),
    ("the 3rd", parsed(Intent.CHOOSE, "en", choice=3)),
    ("second option", parsed(Intent.CHOOSE, "en", choice=2)),
    # looking for a slot
    ("amanhã às 10h30 pode ser?", parsed(Intent.SLOTS, day=TUESDAY, time_of_day=time(10, 30))),
    (
        "tem horário pra banho sexta de tarde?",
        parsed(Intent.SLOTS, day=FRIDAY, period="afternoon", service_hint="banho"),
    ),
    (
        "Bom dia! Gostaria de agendar um banho para o Thor amanhã de manhã",
        parsed(Intent.SLOTS, day=TUESDAY, period="morning", service_hint="banho"),
    ),
    (
        "vc tem horario amanha? qro banho e tosa pro meu dog",
        parsed(Intent.SLOTS, day=TUESDAY, service_hint="banho_e_tosa"),
    ),
    ("tem hr sabado?", parsed(Intent.SLOTS, day=SATURDAY)),
    ("hj tem?", parsed(Intent.SLOTS, day=TODAY)),
    ("hoje à tarde tem vaga?", parsed(Intent.SLOTS, day=TODAY, period="afternoon")),
    ("depois de amanha as 14h", parsed(Intent.SLOTS, day=WEDNESDAY, time_of_day=time(14))),
    ("amanha cedo", parsed(Intent.SLOTS, day=TUESDAY, period="morning")),
    ("na segunda de manhã", parsed(Intent.SLOTS, day=NEXT_MONDAY, period="morning")),
    ("segunda que vem", parsed(Intent.SLOTS, day=NEXT_MONDAY)),
    ("sexta da semana que vem", parsed(Intent.SLOTS, day=NEXT_FRIDAY)),
    ("semana que vem", parsed(Intent.SLOTS, day=NEXT_MONDAY)),
    ("no sábado", parsed(Intent.SLOTS, day=SATURDAY)),
    ("sábado que vem", parsed(Intent.SLOTS, day=SATURDAY)),
    ("tem horário 2a feira?", parsed(Intent.SLOTS, day=NEXT_MONDAY)),
    ("quinta-feira 8h", parsed(Intent.SLOTS, day=THURSDAY, time_of_day=time(8))),
    ("quarta 9h30", parsed(Intent.SLOTS, day=WEDNESDAY, time_of_day=time(9, 30))),
    ("sabado as 9", parsed(Intent.SLOTS, day=SATURDAY, time_of_day=time(9))),
    ("sexta às 4 da tarde", parsed(Intent.SLOTS, day=FRIDAY, time_of_day=time(16), period="afternoon")),
    ("posso levar ele na quarta à noite?", parsed(Intent.SLOTS, day=WEDNESDAY, period="evening")),
    (
        "tem vaga pro meu gato amanhã às 3 da tarde?",
        parsed(Intent.SLOTS, day=TUESDAY, time_of_day=time(15), period="afternoon"),
    ),
    ("vcs abrem domingo?", parsed(Intent.SLOTS, day=SUNDAY)),
    ("este fim de semana", parsed(Intent.SLOTS, day=SATURDAY)),
    ("daqui a 3 dias", parsed(Intent.SLOTS, day=THURSDAY)),
    ("dia 15", parsed(Intent.SLOTS, day=date(2030, 3, 15))),
    ("dia 1 às 10 e meia", parsed(Intent.SLOTS, day=date(2030, 4, 1), time_of_day=time(10, 30))),
    ("15/12", parsed(Intent.SLOTS, day=date(2030, 12, 15))),
    ("1/3", parsed(Intent.SLOTS, day=date(2031, 3, 1))),
    ("15 de dezembro", parsed(Intent.SLOTS, day=date(2030, 12, 15))),
    ("meio dia", parsed(Intent.SLOTS, time_of_day=time(12))),
    ("14:30 pode?", parsed(Intent.SLOTS, time_of_day=time(14, 30))),
    ("banho", parsed(Intent.SLOTS, service_hint="banho")),
    ("quero marcar consulta com o veterinário", parsed(Intent.SLOTS, service_hint="consulta")),
    ("vacina v10 pro filhote", parsed(Intent.SLOTS, service_hint="vacina")),
    ("consulta com vet amanhã 16:00", parsed(Intent.SLOTS, day=TUESDAY, time_of_day=time(16), service_hint="consulta")),
    ("tem vaga hoje? meu cachorro é gigante", parsed(Intent.SLOTS, day=TODAY, pet_size_hint="GG")),
    (
        "I'd like to book a bath tomorrow at 3pm",
        parsed(Intent.SLOTS, "en", day=TUESDAY, time_of_day=time(15), service_hint="banho"),
    ),
    ("next friday at 10am", parsed(Intent.SLOTS, "en", day=FRIDAY, time_of_day=time(10))),
    ("friday next week", parsed(Intent.SLOTS, "en", day=NEXT_FRIDAY)),
    ("can we do friday at 3?", parsed(Intent.SLOTS, "en", day=FRIDAY, time_of_day=time(15))),
    ("can I come in on saturday morning?", parsed(Intent.SLOTS, "en", day=SATURDAY, period="morning")),
    ("any availability next week?", parsed(Intent.SLOTS, "en", day=NEXT_MONDAY)),
    ("book me for the 2nd", parsed(Intent.SLOTS, "en", day=date(2030, 4, 2))),
    ("on the 15th", parsed(Intent.SLOTS, "en", day=date(2030, 3, 15))),
    ("Dec 15", parsed(Intent.SLOTS, "en", day=date(2030, 12, 15))),
    ("Do you have any openings on March 20th?", parsed(Intent.SLOTS, "en", day=date(2030, 3, 20))),
    ("tonight", parsed(Intent.SLOTS, "en", day=TODAY, period="evening")),
    # prices
    ("quanto custa a tosa de um cachorro grande?", parsed(Intent.PRICES, service_hint="tosa", pet_size_hint="G")),
    ("quanto é o banho?", parsed(Intent.PRICES, service_hint="banho")),
    ("qual o valor da vacina?", parsed(Intent.PRICES, service_hint="vacina")),
    ("meu cachorro é porte médio, quanto fica banho?", parsed(Intent.PRICES, service_hint="banho", pet_size_hint="M")),
    (
        "queria saber o preço do banho pra cadela de porte pequeno",
        parsed(Intent.PRICES, service_hint="banho", pet_size_hint="P"),
    ),
    (
        "Quanto fica banho e tosa p/ um poodle médio?",
        parsed(Intent.PRICES, service_hint="banho_e_tosa", pet_size_hint="M"),
    ),
    ("só banho, sem tosa. quanto fica?", parsed(Intent.PRICES, service_hint="banho")),
    ("how much for grooming a large dog?", parsed(Intent.PRICES, "en", service_hint="tosa", pet_size_hint="G")),
    ("what are your prices?", parsed(Intent.PRICES, "en")),
    # for a person to read
    ("precisa de vacina em dia pra tomar banho?", parsed(Intent.UNKNOWN, service_hint="vacina")),
    ("é a primeira vez dele", parsed(Intent.UNKNOWN)),
    ("kkkkk", parsed(Intent.UNKNOWN)),
]


@pytest.mark.parametrize(("text", "expected"), MESSAGES, ids=[text for text, _ in MESSAGES])
def test_message_is_understood(text: str, expected: ParsedMessage) -> None:
    assert parse_message(text, now=NOW) == expected


def test_the_table_is_large_enough() -> None:
    assert len(MESSAGES) >= 80


def test_a_weekday_said_on_that_weekday_is_next_weeks_unless_hoje() -> None:
    friday_morning = datetime(2030, 3, 8, 9, 0, tzinfo=SAO_PAULO)

    assert parse_message("sexta", now=friday_morning).day == date(2030, 3, 15)
    assert parse_message("hoje", now=friday_morning).day == date(2030, 3, 8)


def test_days_resolve_in_the_shops_time_zone() -> None:
    # 23:30 in São Paulo is already the next day in UTC
    late_monday = datetime(2030, 3, 4, 23, 30, tzinfo=SAO_PAULO)

    assert parse_message("amanhã", now=late_monday).day == date(2030, 3, 5)


def test_a_date_that_has_passed_is_not_returned() -> None:
    assert parse_message("15/12/2029", now=NOW).day is None
    assert parse_message("dia 3", now=NOW).day == date(2030, 4, 3)
    assert parse_message("29/02", now=NOW).day == date(2032, 2, 29)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_message("amanhã", now=datetime(2030, 3, 4, 9, 0))  # noqa: DTZ001


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=80)
    | st.lists(st.sampled_from(["dia", "31", "29/02", "/", "as", "h", "sexta", "de", "dec", "the", "5th", " "])).map(
        "".join
    )
)
def test_any_text_parses_without_error_and_never_into_the_past(text: str) -> None:
    result = parse_message(text, now=NOW)

    assert isinstance(result.intent, Intent)
    assert result.language in ("pt", "en")
    assert result.day is None or result.day >= TODAY
