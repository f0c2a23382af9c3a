"""Deterministic understanding of a customer's WhatsApp message.

The offline agent runs when the LLM is unreachable or not configured, so this
module gives the same answer for the same text every time: regular
expressions over a normalized copy of the message, no network, no database.

Normalization lower-cases, strips accents ("amanhã" and "amanha" are the same
word), turns emojis into spaces (a few, such as 👍, into words), collapses
stretched letters ("simmm") and expands WhatsApp shorthand ("vc", "qro",
"pfv", "hj"). Punctuation becomes a clause break, which keeps a negation in
one clause from reaching into the next ("não, pode ser" is not a refusal of
"pode ser"; "não pode ser" is). A negation reaches at most three words.

Intent precedence, when several match (first wins):

    OPT_OUT > HUMAN > RESCHEDULE > CANCEL > MY_BOOKINGS > BOOK_CONFIRM > CHOOSE
    > SLOTS > PRICES > DECLINE > SLOTS (implicit) > GREET > THANKS > UNKNOWN

- OPT_OUT first: a customer who asks to stop must never get anything else.
  A bare "PARAR", "SAIR" or "STOP" opts out; a bare "cancelar" cancels a
  booking ("cancelar inscrição" opts out).
- HUMAN next: whatever else was said, a person was asked for.
- RESCHEDULE above CANCEL: "cancela quinta e marca sábado" and "não vou
  poder ir amanhã, tem sexta?" move a booking; a cancel becomes a reschedule
  when a new day or time is asked for after it.
- BOOK_CONFIRM ("sim", "pode ser", "quero esse", "👍") above CHOOSE ("o
  segundo", "2", "the first one"): "sim, o segundo" confirms option 2. A yes
  that names its own day or time and is asked as a question ("amanhã às
  10h30 pode ser?") proposes a slot, so it is SLOTS. "ok" and "beleza" are a
  yes only outside small talk ("oi, tudo certo?", "ok, obrigado").
- SLOTS above PRICES: "tem horário sexta? quanto fica?" is on its way to a
  booking, which can carry the price.
- DECLINE (not in the brief's list, added: "não", "não, obrigado", "nenhum
  desses", "não quero cancelar") sits below the intents a "não" often opens
  ("não, tem sábado?").
- Implicit SLOTS: a message that only names a day, time or period ("sexta
  de tarde", "no sábado") or is a bare service ("banho") asks to book,
  unless it is a thanks ("obrigado, até sexta"). A longer message that
  merely mentions a service ("vocês fazem tosa na tesoura?") stays UNKNOWN,
  for a person.
- GREET above THANKS; THANKS also covers goodbyes ("tchau").

Dates are resolved against `now` (its own time zone, the shop's) and are
never in the past. A weekday means its next occurrence strictly after today
("sexta" said on a Friday is next week's); "hoje" is the way to say today.
"sexta que vem" and "next friday" mean the same as "sexta"; "sexta da semana
que vem" and "friday next week" mean the Friday of next week (weeks start on
Monday); "semana que vem" alone is next Monday. "dia 15" is the next 15th,
this month if not yet past; "15/12" is day/month. When a message names
several days, the last one wins ("remarcar de quinta para sábado").

A time without am/pm or a period, from 1 to 6 ("às 3"), is afternoon: no
shop opens at three in the morning.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar

import dateparser

_Value = TypeVar("_Value")


class Intent(StrEnum):
    GREET = "greet"
    PRICES = "prices"
    SLOTS = "slots"  # wants to book, or asks what is free
    BOOK_CONFIRM = "book_confirm"  # says yes to an offered slot
    CHOOSE = "choose"  # picks an offered option by its position
    MY_BOOKINGS = "my_bookings"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    HUMAN = "human"
    OPT_OUT = "opt_out"
    DECLINE = "decline"  # a plain no to what was offered
    THANKS = "thanks"  # thanks or goodbye: a polite closing
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ParsedMessage:
    intent: Intent
    language: str  # "pt" or "en"
    day: date | None = None
    time_of_day: time | None = None
    period: str | None = None  # "morning" | "afternoon" | "evening"
    choice: int | None = None  # 1-based option; set for CHOOSE, BOOK_CONFIRM, CANCEL, RESCHEDULE
    service_hint: str | None = None  # banho | tosa | banho_e_tosa | consulta | vacina
    pet_size_hint: str | None = None  # P | M | G | GG


def parse_message(text: str, *, now: datetime) -> ParsedMessage:
    """Read one customer message; `now` is aware and in the shop's time zone."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (the shop's local time)")
    normalized = _normalize(text)
    # Each extractor blanks out what it used, so "dia 15" is not also read
    # as option 15 and "às 10" is not read as a day of the month.
    time_of_day, period, normalized_rest = _extract_time_and_period(normalized)
    day, normalized_rest = _extract_day(normalized_rest, today=now.date())
    choice = _extract_choice(normalized_rest)
    service_hint = _extract_service(normalized)
    intent = _intent(
        normalized,
        asked_as_question="?" in text,
        names_a_slot=any(v is not None for v in (day, time_of_day, period)),
        names_a_service=service_hint is not None,
        has_choice=choice is not None,
    )
    return ParsedMessage(
        intent=intent,
        language=_language(normalized),
        day=day,
        time_of_day=time_of_day,
        period=period,
        choice=choice if intent in _INTENTS_THAT_PICK else None,
        service_hint=service_hint,
        pet_size_hint=_extract_pet_size(normalized, names_a_service=service_hint is not None),
    )


def _table(groups: dict[_Value, str]) -> dict[str, _Value]:
    """Invert {value: "word word ..."} into {word: value}, to keep tables short."""
    return {word: value for value, words in groups.items() for word in words.split()}


# --- normalization -----------------------------------------------------------

_EMOJI_WORDS = {"👍": " ok ", "👌": " ok ", "✅": " ok ", "🙏": " obrigado "}

# WhatsApp shorthand → the word the patterns below are written for.
_SHORTHAND = _table(
    {
        "voce": "vc",
        "voces": "vcs",
        "quero": "qro qr qero",
        "queria": "qria",
        "por favor": "pfv pf pfvr",
        "please": "pls plz",
        "beleza": "blz",
        "tambem": "tb tbm",
        "hoje": "hj",
        "amanha": "amn amnh amh",
        "que": "q",
        "o que": "oq",
        "nao": "n nn naum",
        "nada": "nd",
        "tudo": "td",
        "obrigado": "obg obgd brigado",
        "obrigada": "obgda brigada",
        "valeu": "vlw tmj",
        "tchau": "flw",
        "mensagem": "msg",
        "mensagens": "msgs",
        "muito": "mto mt",
        "depois": "dps",
        "quando": "qdo qnd qndo",
        "quanto": "qto qnt qnto",
        "valor": "vlr",
        "agora": "agr",
        "mesmo": "msm",
        "porque": "pq",
        "e": "eh",
        "segunda": "seg",
        "quarta": "qua",
        "quinta": "qui",
        "sexta": "sex",
        "sabado": "sab",
        "domingo": "dom",
        "thanks": "thx tks ty",
        "you": "u",
        "tomorrow": "tmrw tmr tmw",
        "appointment": "appt",
    }
)


def is_opt_out(text: str) -> bool:
    """The customer asks to stop marketing messages (checked before anything
    else reads the message, the LLM included)."""
    return _asks_to_opt_out(_normalize(text))


def _normalize(text: str) -> str:
    text = text.casefold()
    for emoji, words in _EMOJI_WORDS.items():
        text = text.replace(emoji, words)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’`´]", "", text)  # "don't" → "dont", "I'd" → "id"
    text = re.sub(r"\b([ap])\s*\.\s*m\b\.?", r"\1m", text)  # "3 p.m." → "3 pm"
    text = re.sub(r"\b([pc])/", lambda m: "para " if m[1] == "p" else "com ", text)
    text = re.sub(r"[^a-z0-9:/.,;!?+#\s]", " ", text)  # emojis, dashes, symbols
    text = re.sub(r"[,;!?]|(?<!\d)\.|\.(?!\d)", " , ", text)  # clause breaks
    text = re.sub(r"(?<!\d)[:/]|[:/](?!\d)", " ", text)  # keep 10:30 and 15/12
    text = re.sub(r"([a-z])\1{2,}", r"\1", text)  # "simmm" → "sim"
    text = re.sub(r"(?<=[a-z]{3})(?=\d)", " ", text)  # "opcao2" → "opcao 2"; "v8" stays
    text = re.sub(r"\b[a-z]+\b", _expand_shorthand, text)
    return " ".join(text.split())


def _expand_shorthand(match: re.Match[str]) -> str:
    word = match[0]
    if word in ("hr", "hrs") and not re.search(r"\d\s*$", match.string[: match.start()]):
        return "horario"  # "tem hr?"; "10 hrs" stays a time
    return _SHORTHAND.get(word, word)


# --- time of day and period --------------------------------------------------

_HOUR_WORDS = _table(
    {1: "uma", 2: "duas", 3: "tres", 4: "quatro", 5: "cinco", 6: "seis"}
    | {7: "sete", 8: "oito", 9: "nove", 10: "dez", 11: "onze", 12: "doze"}
)
_DAYPART = r"(?:\s+(?:da|de|pela|a|in\s+the)\s+(manha|tarde|noite|morning|afternoon|evening))?"
_TIME_PATTERNS = (
    # 3pm, 10:30 am, 3 pm
    re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b"),
    # 10h, 10h30, 10 horas, 10hrs, 10h e meia, 3 da tarde
    re.compile(r"\b(\d{1,2})\s*(?:h|hs|hrs?|horas?)(?![a-z])(?:\s*(\d{2})(?!\d))?(\s+e\s+meia)?" + _DAYPART),
    # 10:30
    re.compile(r"(?<![\d/])\b(\d{1,2}):(\d{2})\b(?![:/])" + _DAYPART),
    # às 10, das 10 e meia, at 3, 3 da tarde, 3 oclock
    re.compile(r"\b(?:as|das|pelas|at|around|by)\s+(\d{1,2})\b(?![:/.]\d)(\s+e\s+meia)?(?:\s+oclock)?" + _DAYPART),
    re.compile(r"(?<!dia )(?<!day )\b(\d{1,2})(?:\s+oclock|(?=\s+(?:da|de)\s+(?:manha|tarde|noite)))" + _DAYPART),
    # duas da tarde, dez e meia, onze horas
    re.compile(
        r"\b(" + "|".join(_HOUR_WORDS) + r")(?=\s+(?:horas|e\s+meia|da\s+manha|da\s+tarde|da\s+noite))"
        r"(?:\s+horas)?(\s+e\s+meia)?" + _DAYPART
    ),
)
_NOON = re.compile(r"\b(?:meio\s*dia|noon|midday)(\s+e\s+meia)?\b")

_PERIOD_WORDS = _table(
    {
        "morning": "manha cedo cedinho morning",
        "afternoon": "tarde tardinha afternoon",
        "evening": "noite noitinha evening night tonight",
    }
)
# "boa tarde" greets, "mais tarde" means later, "good morning" greets.
_NOT_A_PERIOD_BEFORE = {"boa", "bom", "good", "mais", "muito", "ta", "tao", "too", "ontem"}
_PERIOD = re.compile(r"\b(" + "|".join(_PERIOD_WORDS) + r")\b|\bdepois\s+do\s+almoco\b|\bafter\s+lunch\b")


def _extract_time_and_period(text: str) -> tuple[time | None, str | None, str]:
    period = None
    for match in _PERIOD.finditer(text):
        previous_word = text[: match.start()].split()[-1:]
        if previous_word and previous_word[0] in _NOT_A_PERIOD_BEFORE:
            continue
        period = _PERIOD_WORDS[match[1]] if match[1] else "afternoon"  # after lunch
        break

    noon = _NOON.search(text)
    if noon:
        return time(12, 30 if noon[1] else 0), period, _blank(text, noon)
    for pattern in _TIME_PATTERNS:
        match = pattern.search(text)
        if match:
            said_am_or_pm = pattern is _TIME_PATTERNS[0]
            found = _time_from_match(match, said_am_or_pm=said_am_or_pm, period=period)
            return found, period, _blank(text, match)
    return None, period, text


def _time_from_match(match: re.Match[str], *, said_am_or_pm: bool, period: str | None) -> time | None:
    groups = [g for g in match.groups() if g]
    hour_text = groups[0]
    hour = _HOUR_WORDS.get(hour_text) or int(hour_text)
    minute = 0
    day_part = period
    for group in groups[1:]:
        group = group.strip()
        if group.isdigit():
            minute = int(group)
        elif group == "e meia":
            minute = 30
        elif group == "pm":
            hour = hour % 12 + 12
        elif group == "am":
            hour = hour % 12
        elif group in _PERIOD_WORDS:
            day_part = _PERIOD_WORDS[group]
    if not said_am_or_pm:
        if day_part in ("afternoon", "evening") and hour < 12:
            hour += 12
        elif day_part is None and 1 <= hour <= 6:
            hour += 12  # "às 3": no shop opens at three in the morning
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


# --- day -----------------------------------------------------------------

_WEEKDAYS = _table(
    {
        0: "segunda monday mon",
        1: "terca tuesday tue tues",
        2: "quarta wednesday wed",
        3: "quinta thursday thu thur thurs",
        4: "sexta friday fri",
        5: "sabado saturday sat",
        6: "domingo sunday",
    }
)
_PT_MONTHS = _table(
    {1: "janeiro jan", 2: "fevereiro fev", 3: "marco mar", 4: "abril abr", 5: "maio", 6: "junho jun"}
    | {7: "julho jul", 8: "agosto ago", 9: "setembro set", 10: "outubro out", 11: "novembro nov", 12: "dezembro dez"}
)
_EN_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORDINAL_SUFFIX = r"(?:st|nd|rd|th)"
_NEXT_WEEK = r"(?:\s+(?:da|na)\s+(?:semana\s+que\s+vem|proxima\s+semana)|\s+next\s+week)"

_DAY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("numeric", re.compile(r"(?<![\d:])\b(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?\b(?![:/])")),
    (
        "pt_month",
        re.compile(r"\b(?:dia\s+)?(\d{1,2})\s+(?:de\s+)?(" + "|".join(_PT_MONTHS) + r")\b(?:\s+(?:de\s+)?(\d{4}))?"),
    ),
    (
        "en_month",
        re.compile(
            r"\b(?:(?:the\s+)?\d{1,2}" + _ORDINAL_SUFFIX + r"?\s+(?:of\s+)?" + _EN_MONTH + r"\b"
            r"|" + _EN_MONTH + r"\s+\d{1,2}" + _ORDINAL_SUFFIX + r"?\b)(?:\s+\d{4})?"
        ),
    ),
    ("day_of_month", re.compile(r"\b(?:dia|day)\s+(\d{1,2})\b(?!\s*(?:h|:|horas))")),
    ("day_of_month", re.compile(r"\b(?:on|for)\s+the\s+(\d{1,2})" + _ORDINAL_SUFFIX + r"?\b")),
    # "the 15th" is a date; "the 3rd" is more likely an offered option.
    ("day_of_month", re.compile(r"\bthe\s+([6-9]|[12]\d|3[01])" + _ORDINAL_SUFFIX + r"\b")),
    ("day_after_tomorrow", re.compile(r"\b(?:depois\s+de\s+amanha|(?:the\s+)?day\s+after\s+tomorrow)\b")),
    ("in_days", re.compile(r"\b(?:daqui\s+a|em|in)\s+(\d{1,2})\s+(?:dias|days)\b")),
    ("tomorrow", re.compile(r"\b(?:amanha|tomorrow)\b")),
    ("today", re.compile(r"\b(?:hoje|today|tonight)\b")),
    ("weekday_numbered", re.compile(r"\b([2-6])a\s*feira\b" + f"({_NEXT_WEEK})?")),
    ("weekday", re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")(?:\s*feira)?\b(?:\s+que\s+vem)?" + f"({_NEXT_WEEK})?")),
    ("next_week", re.compile(r"\b(?:semana\s+que\s+vem|proxima\s+semana|next\s+week)\b")),
    ("weekend", re.compile(r"\b(?:fim|final)\s+de\s+semana\b|\bweekend\b")),
)


def _extract_day(text: str, *, today: date) -> tuple[date | None, str]:
    mentions: list[tuple[int, date | None]] = []
    for kind, pattern in _DAY_PATTERNS:
        for match in pattern.finditer(text):
            if kind == "weekday" and _is_an_ordinal_choice(text, match):
                continue
            mentions.append((match.start(), _resolve_day(kind, match, today=today)))
            text = _blank(text, match)
    if not mentions:
        return None, text
    _, day = max(mentions, key=lambda mention: mention[0])
    return day, text


def _resolve_day(kind: str, match: re.Match[str], *, today: date) -> date | None:
    if kind == "numeric":
        year = int(match[3]) if match[3] else None
        if year is not None and year < 100:
            year += 2000  # "15/12/30"
        return _calendar_day(int(match[1]), int(match[2]), year=year, today=today)
    if kind == "pt_month":
        return _calendar_day(int(match[1]), _PT_MONTHS[match[2]], year=int(match[3] or 0) or None, today=today)
    if kind == "en_month":
        return _english_calendar_day(match[0], today=today)
    if kind == "day_of_month":
        return _day_of_month(int(match[1]), today=today)
    if kind == "day_after_tomorrow":
        return today + timedelta(days=2)
    if kind == "in_days":
        return today + timedelta(days=int(match[1]))
    if kind == "tomorrow":
        return today + timedelta(days=1)
    if kind == "today":
        return today
    if kind == "weekday_numbered":
        return _weekday(int(match[1]) - 2, next_week=bool(match[2]), today=today)
    if kind == "weekday":
        return _weekday(_WEEKDAYS[match[1]], next_week=bool(match[2]), today=today)
    if kind == "next_week":
        return _weekday(0, next_week=False, today=today)
    if kind == "weekend":
        return today + timedelta(days=(5 - today.weekday()) % 7)
    raise AssertionError(kind)


def _weekday(weekday: int, *, next_week: bool, today: date) -> date:
    if next_week:
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=weekday)
    days_ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=days_ahead)


def _calendar_day(day: int, month: int, *, year: int | None, today: date) -> date | None:
    """A day and month; without a year, the next time it comes round."""
    if year is not None:
        found = _valid_date(year, month, day)
        return found if found and found >= today else None
    for candidate_year in range(today.year, today.year + 9):  # 29/02 waits for a leap year
        found = _valid_date(candidate_year, month, day)
        if found and found >= today:
            return found
    return None


def _day_of_month(day: int, *, today: date) -> date | None:
    """'dia 15': this month if still ahead, else the next month that has it."""
    year, month = today.year, today.month
    for _ in range(12):
        found = _valid_date(year, month, day)
        if found and found >= today:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _english_calendar_day(phrase: str, *, today: date) -> date | None:
    # dateparser reads the many English spellings ("Dec 15", "15th of
    # December", "December 15th 2031"); the phrase was already isolated, so
    # it never guesses from the rest of the message.
    parsed = dateparser.parse(
        phrase,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": datetime.combine(today, time()),
            "DATE_ORDER": "MDY",
            "REQUIRE_PARTS": ["day", "month"],
        },
    )
    if parsed is None:
        return None
    found = parsed.date()
    if found < today and not re.search(r"\d{4}", phrase):
        found = _calendar_day(found.day, found.month, year=None, today=today)
    return found if found and found >= today else None


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _is_an_ordinal_choice(text: str, match: re.Match[str]) -> bool:
    """'a segunda opção' or 'pode ser a quinta' pick an option, not a weekday."""
    if match[1] not in ("segunda", "quarta", "quinta", "sexta") or match[0] != match[1]:
        return False
    after = text[match.end() :]
    if re.match(r"\s+(?:opcao|alternativa|option)\b", after):
        return True
    before = text[: match.start()]
    return bool(re.search(r"\b(?:a|essa|esta)\s+$", before)) and bool(re.match(r"\s*(?:,.*)?$", after))


# --- choice ------------------------------------------------------------------

_ORDINALS = _table(
    {
        1: "primeiro primeira 1o 1a first 1st",
        2: "segundo segunda 2o 2a second 2nd",
        3: "terceiro terceira 3o 3a third 3rd",
        4: "quarto quarta 4o 4a fourth 4th",
        5: "quinto quinta 5o 5a fifth 5th",
    }
)
_CHOICE_PATTERNS = (
    re.compile(r"\b(?:opcao|opc|alternativa|option|numero|number)\s*(\d{1,2})\b"),
    re.compile(r"#\s*(\d{1,2})\b"),
    re.compile(r"\b(" + "|".join(_ORDINALS) + r")\b(?!\s+vez)"),  # "primeira vez" is not a pick
    re.compile(r"\b(?:o|a|the|esse|quero|pode\s+ser)\s+(\d)\b(?!\s*(?:h|:|/|horas|de|am|pm|dias|days))"),
    re.compile(r"^\s*(\d)\s*(?:,\s*)*$"),  # the whole message is a digit
)


def _extract_choice(text: str) -> int | None:
    for pattern in _CHOICE_PATTERNS:
        match = pattern.search(text)
        if match:
            number = _ORDINALS.get(match[1]) or int(match[1])
            return number if number >= 1 else None
    return None


# --- service and pet size ---------------------------------------------------------

_SERVICE_PATTERNS = (
    (
        "banho_e_tosa",
        re.compile(r"\bbanho\s*(?:e|\+|com|/)\s*tosa\b|\bbath\s*(?:and|\+|/|with)\s*(?:groom\w*|haircut)\b"),
    ),
    ("banho_e_tosa", re.compile(r"\bfull\s+groom(?:ing)?\b")),
    ("banho", re.compile(r"\bbanh(?:o|os|ar|ozinho)\b|\bbath(?:e|ing)?\b|\bwash\b")),
    (
        "tosa",
        re.compile(r"\btos(?:a|ar|ado|inha)\b|\bgroom(?:ing)?\b|\bhaircut\b|\btrim\b|\bcort(?:ar|e)\s+(?:o\s+)?pelo\b"),
    ),
    ("vacina", re.compile(r"\bvacin(?:a|as|ar|acao)\b|\bvaccin(?:e|es|ation|ate)\b|\bv(?:8|10)\b|\bantirrabica\b")),
    ("consulta", re.compile(r"\bconsult(?:a|as|ar|ation)\b|\bveterinari[oa]\b|\bvet\b|\bcheck\s*up\b")),
)
# "só banho, sem tosa", "não quero banho"; but "não tem banho sábado?" asks.
_WITHOUT = re.compile(r"\b(?:sem|nao|without)(?!\s+(?:tem|teria|ha)\b)(?:\s+[a-z]+){0,2}\s+$")


def _extract_service(text: str) -> str | None:
    found: list[tuple[int, str]] = []
    for service, pattern in _SERVICE_PATTERNS:
        for match in pattern.finditer(text):
            if not _WITHOUT.search(text[: match.start()]):
                found.append((match.start(), service))
                text = _blank(text, match)
    services = {service for _, service in found}
    if "banho_e_tosa" in services or {"banho", "tosa"} <= services:
        return "banho_e_tosa"
    return min(found)[1] if found else None


_SIZE_PATTERNS = (
    ("GG", re.compile(r"\b(?:gg|xl|xxl|extra\s*grande|muito\s*grande|gigante|enorme|extra\s*large|giant)\b")),
    ("G", re.compile(r"\b(?:grande|grandao|grandona|large|big)\b|\b(?:porte|tamanho|size)\s+g\b")),
    ("M", re.compile(r"\b(?:medio|media|mediano|medium)\b|\b(?:porte|tamanho|size)\s+m\b")),
    ("P", re.compile(r"\b(?:pequen\w*|mini|small|little|toy)\b|\b(?:porte|tamanho|size)\s+p\b")),
)
# A size word counts only when the message is about an animal, its size or a
# service: "um pequeno atraso" says nothing about the dog.
_PET_ANCHOR = re.compile(
    r"\b(?:cachorr\w*|caes?|cadel\w*|dogs?|gat[oa]s?|gatinh\w*|cats?|pets?|filhote\w*|puppy"
    r"|porte|tamanho|size|raca|breed)\b"
)


def _extract_pet_size(text: str, *, names_a_service: bool) -> str | None:
    if not (names_a_service or _PET_ANCHOR.search(text)):
        return None
    for size, pattern in _SIZE_PATTERNS:
        if pattern.search(text):
            return size
    return None


# --- intent --------------------------------------------------------------------

# "não quero cancelar" negates; "não tem horário sábado?" only asks.
_NEGATION_BEFORE = re.compile(
    r"\b(?:nao|nem|nunca|not|dont|never)(?!\s+(?:tem|teria|tinha|ha|seria)\b)(?:\s+[a-z]+){0,3}\s+$"
)

_OPT_OUT_WHOLE = re.compile(
    r"^(?:(?:por\s+favor|please)\s+)?(?:parar|pare|para|sair|stop|unsubscribe|cancelar\s+inscricao|descadastrar)"
    r"(?:\s+(?:por\s+favor|please|tudo|all))?$"
)
_OPT_OUT = re.compile(
    r"\bcancelar\s+(?:a\s+|minha\s+)?inscricao\b|\bdescadastr\w*|\bnao\s+(?:quero\s+)?(?:mais\s+)?receber\b"
    r"|\b(?:parar|para|pare)\s+de\s+(?:me\s+)?(?:receber|mandar|enviar)\b"
    r"|\b(?:sair|tir\w*|remov\w*|exclu\w*)(?:\s+[a-z]+){0,3}\s+d[ao]\s+lista\b"
    r"|\b(?:remov\w*|tir\w*|exclu\w*|apag\w*)\s+(?:o\s+)?meu\s+(?:numero|contato)\b"
    r"|\bnao\s+me\s+(?:mande|mandem|envie|enviem)\b"
    r"|\bunsubscribe\b|\bstop\s+(?:sending|messaging|texting)\b|\bopt\s*out\b|\bremove\s+me\b"
)
_HUMAN = re.compile(
    r"\batendente\b|\bhumano\b|\b(?:pessoa|alguem)\s+(?:real|de\s+verdade)\b"
    r"|\bpassa\s+(?:pra|para)\s+(?:um|uma|o|a|alguem|atendente|pessoa)\b"
    r"|\bfalar\s+com\s+(?:um\s+|uma\s+|o\s+|a\s+)?(?:alguem|pessoa|funcionari[oa]|dono|dona|gerente"
    r"|responsavel|veterinari[oa])\b"
    r"|\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+)?(?:someone|somebody|person|human|agent|staff"
    r"|manager|owner|real\s+person)\b|\bhuman\b|\breal\s+person\b|\brepresentative\b|\boperator\b"
)
_RESCHEDULE = re.compile(
    r"\bremarc\w*|\breagend\w*|\badi(?:ar|a|e)\b|\bantecipar\b"
    r"|\b(?:mudar|trocar|alterar|passar)\s+(?:o\s+|a\s+|meu\s+|minha\s+|de\s+|para\s+|pra\s+)?"
    r"(?:horario|dia|data|agendamento)\b"
    r"|\breschedul\w*|\b(?:change|move)\s+(?:my|the)\s+(?:appointment|booking|time|slot)\b"
)
_CANCEL = re.compile(
    r"\bcancel\w*|\bdesmarc\w*"
    r"|\bnao\s+(?:vou\s+|vamos\s+)?(?:poder|conseguir|consigo|posso)\s+(?:mais\s+)?(?:ir|levar|comparecer)\b"
    r"|\bcant\s+make\s+it\b"
)
# After a cancel, asking for another slot makes it a reschedule.
_ANOTHER_SLOT = re.compile(
    r"\b(?:marc(?:a|ar)|agend\w*|tem|teria|pode\s+ser|outro\s+(?:dia|horario)|book\w*|instead)\b"
)
_MY_BOOKINGS = re.compile(
    r"\bmeus?\s+(?:agendamentos?|horarios?|marcac\w*)\b|\bminhas?\s+(?:reservas?|marcac\w*)\b"
    r"|\btenho\s+(?:algum\s+|algo\s+)?(?:horario|agendamento|algo)\s+marcado\b|\b(?:ta|esta|ficou)\s+marcado\b"
    r"|\bo\s+que\s+(?:eu\s+)?(?:tenho\s+)?marc\w+|\bmy\s+(?:bookings?|appointments?|reservations?)\b"
    r"|\bwhat\s+(?:do|did)\s+i\s+(?:have\s+)?(?:booked|schedul\w*)\b"
    r"|\bdo\s+i\s+have\s+(?:an?|any)\s+(?:appointments?|bookings?)\b"
)
# A yes that accepts what was offered.
_YES_WHOLE = re.compile(r"^(?:sim+|s|ss|isso|yes|yep|yup|yeah|sure|pode|claro|bora)(?:\s+(?:por\s+favor|please|sim))*$")
_YES = re.compile(
    r"\bsim+\b|\bpode\s+ser\b|\bpode\s+(?:marcar|agendar|confirmar|reservar|fechar)\b|\bconfirm\w*"
    r"|\bquero\s+(?:esse|essa|este|esta)\b|\b(?:esse|essa)\s+(?:mesmo|mesma|ai|ta\s+bom|serve)\b"
    r"|\bisso\s+mesmo\b|\bfechado\b|\bfechou\b|\bcombinado\b|\bperfeito\b|\botimo\b|\bmanda\s+ver\b"
    r"|\bcom\s+certeza\b|\b(?:yes|yeah|yep|sure)\b|\bsounds\s+good\b|\b(?:that|it)\s+works\b"
    r"|\bworks\s+for\s+me\b|\bbook\s+it\b|\bgo\s+ahead\b|\blets\s+do\s+it\b|\bperfect\b"
)
# A weaker yes: "ok", "beleza" also open and close small talk.
_WEAK_YES = re.compile(r"\b(?:ok|okay|okey|beleza|certo|show|top|ta\s+bom|tudo\s+certo)\b")
_BOOKING_WORDS = re.compile(
    r"\bhorarios?\b|\bvagas?\b|\bagend\w*|\bmarca(?:r|mos)?\b|\bdisponi\w*|\bencaix\w*|\btem\s+hora\b"
    r"|\b(?:posso|da\s+pra|quero|queria|gostaria\s+de|preciso)\s+(?:levar|trazer)\b|\breservar\b"
    r"|\bbook\w*|\bappointments?\b|\bavailab\w*|\bslots?\b|\bschedul\w*|\bopenings?\b|\bcome\s+in\b"
)
# Wanting a service, or asking whether a day is free ("tem sábado?"),
# is a booking request when the message also says what or when.
_WANTS_OR_ASKS = re.compile(
    r"\b(?:quero|queria|gostaria|preciso|want|would\s+like|id\s+like|need"
    r"|tem|teria|tera|ha|rola|any|have|is\s+there|da\s+pra)\b"
)
_PRICES = re.compile(
    r"\bquanto\b(?!\s+tempo)|\bprecos?\b|\bvalor(?:es)?\b|\btabela\b|\bcusta\b"
    r"|\bprices?\b|\bhow\s+much\b|\bcost\w*|\bfees?\b"
)
_DECLINE = re.compile(
    r"^(?:nao|nope|nah)\b|^no(?:\s+thanks?|\s+thank\s+you)?(?:\s*,|$)|\bnenhum\w*\b|\bnone\s+of\b"
    r"|\bdeixa\s+(?:pra|para)\s+la\b|\bnao\s+precisa\b|\bdont\s+(?:want|need)\b|\bno\s+thanks?\b"
    r"|\bnot\s+now\b|\bagora\s+nao\b"
)
_GREET = re.compile(
    r"\b(?:oi+|ola+|opa|eai|e\s+ai|salve|hello|hi+|hey+|bom\s+dia|boa\s+tarde|boa\s+noite"
    r"|tudo\s+(?:bem|bom|certo)|good\s+(?:morning|afternoon|evening))\b"
)
_THANKS = re.compile(
    r"\bobrigad[oa]\b|\bvaleu\b|\bagradec\w*|\bgrat[oa]\b|\bthanks?\b|\bthank\s+you\b|\btchau\b"
    r"|\bate\s+(?:mais|logo)\b|\bbye\b|\bsee\s+you\b"
)
_INTENTS_THAT_PICK = {Intent.CHOOSE, Intent.BOOK_CONFIRM, Intent.CANCEL, Intent.RESCHEDULE}


def _first_unnegated(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    for match in pattern.finditer(text):
        if not _NEGATION_BEFORE.search(text[: match.start()]):
            return match
    return None


def _asks_to_opt_out(normalized: str) -> bool:
    whole = " ".join(normalized.replace(",", " ").split())
    return bool(_OPT_OUT_WHOLE.match(whole) or _OPT_OUT.search(normalized))


def _intent(
    text: str,
    *,
    asked_as_question: bool,
    names_a_slot: bool,
    names_a_service: bool,
    has_choice: bool,
) -> Intent:
    if _asks_to_opt_out(text):
        return Intent.OPT_OUT
    whole = " ".join(text.replace(",", " ").split())
    if _first_unnegated(_HUMAN, text):
        return Intent.HUMAN
    if _first_unnegated(_RESCHEDULE, text):
        return Intent.RESCHEDULE
    cancel = _first_unnegated(_CANCEL, text)
    if cancel:
        asks_for_another = names_a_slot and _ANOTHER_SLOT.search(text, cancel.end())
        return Intent.RESCHEDULE if asks_for_another else Intent.CANCEL
    if _MY_BOOKINGS.search(text):
        return Intent.MY_BOOKINGS

    small_talk = _GREET.search(text) or _THANKS.search(text)
    says_yes = bool(
        _YES_WHOLE.match(whole)
        or _first_unnegated(_YES, text)
        or (not small_talk and _first_unnegated(_WEAK_YES, text))
    )
    if says_yes and not (names_a_slot and asked_as_question):
        return Intent.BOOK_CONFIRM
    if has_choice and not names_a_slot:
        return Intent.CHOOSE
    asks_about_price = bool(_PRICES.search(text))
    wants_a_slot = _first_unnegated(_BOOKING_WORDS, text) or (
        (names_a_slot or names_a_service) and not asks_about_price and _first_unnegated(_WANTS_OR_ASKS, text)
    )
    if wants_a_slot or says_yes:  # a yes with its own day or time, asked: "amanhã às 10h pode ser?"
        return Intent.SLOTS
    if asks_about_price:
        return Intent.PRICES
    if _DECLINE.search(whole):
        return Intent.DECLINE
    # A bare "banho" asks to book one; a longer message that only mentions a
    # service ("vocês fazem tosa na tesoura?") is a question for a person.
    bare_service = names_a_service and len(whole.split()) <= 4
    if (names_a_slot or bare_service) and not _THANKS.search(text):
        return Intent.SLOTS
    if _GREET.search(text):
        return Intent.GREET
    if _THANKS.search(text):
        return Intent.THANKS
    return Intent.UNKNOWN


# --- language ------------------------------------------------------------------

_LANGUAGE_WORDS_TEXT = {
    "en": "i id im my me you your the to an is are can could would like want book bath tomorrow today tonight hi "
    "hello hey thanks thank yes yeah please what when how much price prices available appointment stop next on at "
    "for dog cat morning afternoon evening night have any time slot first second third one talk person cancel "
    "reschedule unsubscribe sure human grooming vet vaccine option no nope sounds good "
    "january february march april may june july august september october november december dec",
    "pt": "o os as de do da dos das que eu voce quero queria pra para tem hoje amanha sim nao oi ola obrigado obrigada "
    "banho tosa horario horarios quanto custa meu minha um uma e com no na bom boa dia tarde noite pode ser "
    "cachorro gato porte consulta vacina marcar agendar cancelar remarcar falar atendente parar sair esse essa "
    "segunda terca quarta quinta sexta sabado domingo manha valeu beleza por favor",
}
_LANGUAGE_WORDS = {language: frozenset(words.split()) for language, words in _LANGUAGE_WORDS_TEXT.items()}


def _language(text: str) -> str:
    words = re.findall(r"[a-z]+", text)
    english = sum(word in _LANGUAGE_WORDS["en"] for word in words)
    portuguese = sum(word in _LANGUAGE_WORDS["pt"] for word in words)
    return "en" if english > portuguese else "pt"


def _blank(text: str, match: re.Match[str]) -> str:
    """Spaces where the match was, so later patterns skip it and offsets hold."""
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]
