"""How emails and phone numbers are compared: the normalized forms that contact lookups are keyed by."""

from __future__ import annotations

import re

# The HTML standard's "valid e-mail address" (WHATWG), with at least one dot in the domain. We check syntax
# ourselves: email-validator would add ~57 ms to every cold start (measured here) for checks we don't need.
# The patterns are also the OpenAPI document's (ECMA-262 reads them the same way).
EMAIL_PATTERN = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
PHONE_PATTERN = r"^[0-9 +\-().]*[0-9][0-9 +\-().]*$"
_EMAIL = re.compile(EMAIL_PATTERN)
_PHONE = re.compile(PHONE_PATTERN)
_NOT_A_DIGIT = re.compile(r"[^0-9]")


def is_valid_email(email: str) -> bool:
    return _EMAIL.fullmatch(email) is not None


def normalize_email(email: str) -> str:
    """Emails match case-insensitively (CONTRACT.md)."""
    return email.lower()


def is_valid_phone(phone: str) -> bool:
    return _PHONE.fullmatch(phone) is not None


def normalize_phone(phone: str) -> str:
    """Phone numbers match on their digits, a leading '+' kept: '+1 (234) 567-890' is '+1234567890'."""
    digits = _NOT_A_DIGIT.sub("", phone)
    return f"+{digits}" if phone.lstrip().startswith("+") else digits
