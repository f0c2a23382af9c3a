"""Phone numbers: one canonical E.164 spelling for every number we store.

Brazilian mobile numbers gained a ninth digit (a leading 9) between 2012 and
2016, and WhatsApp still reports many accounts without it: +55 11 8765-4321
and +55 11 98765-4321 are the same phone. The canonical form has the 9.
"""

import phonenumbers


class InvalidPhoneNumber(ValueError):
    pass


def _with_brazilian_ninth_digit(parsed: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    national = str(parsed.national_number)
    # Area code (2 digits) + 8-digit subscriber starting 6-9 is an old mobile.
    if parsed.country_code == 55 and len(national) == 10 and national[2] in "6789":
        return phonenumbers.parse(f"+55{national[:2]}9{national[2:]}")
    return parsed


def phone_to_e164(raw: str, *, default_region: str = "BR") -> str:
    """Parse a number as people (or WhatsApp) write it; return canonical E.164."""
    candidate = raw.strip()
    # WhatsApp ids are bare digits with the country code (5511987654321).
    if candidate.isdigit() and len(candidate) > 11:
        candidate = f"+{candidate}"
    try:
        parsed = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"'{raw}' is not a phone number") from exc
    parsed = _with_brazilian_ninth_digit(parsed)
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"'{raw}' is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
