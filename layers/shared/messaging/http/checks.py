"""The request rules that are code, not a type or a length: each written once, in a module that does not
import pydantic. The models (messaging.http.models: the OpenAPI document, the error details) run them as
validators; the readers (messaging.http.readers: what a valid request takes at run time) call them directly.
Each raises ValueError with the message a 400 shows.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from messaging.domain import contact_keys
from messaging.domain.conversation import ContextValue
from messaging.limits import ACTIVITY_MAX_BYTES, CONTEXT_TEXT_MAX, MAX_SAFE_INTEGER, START_MESSAGE_MAX_BYTES

CONVERSATION_ID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# RFC 3339 date-time: what the OpenAPI format means, and all a StartTimeStamp accepts.
DATE_TIME = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
_DATE_TIME = re.compile(DATE_TIME)
# One pattern, stated in the schema and enforced as written: an https URL with a host name or IPv4 address
# (no user info, no IPv6 literal; no space or control character: a class of its own, as `\s` differs
# between Python's and JSON Schema's regular expressions), or a data: URL with well-formed, padded base64.
CONTENT_URL_PATTERN = (
    r"^(https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:[/?#][^\x00-\x20\x7f-\x9f]*)?"
    r"|data:[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:;[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]+)*;base64,"
    r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$"
)
_CONTENT_URL = re.compile(CONTENT_URL_PATTERN)


def encodable(text: str) -> str:
    # json.loads accepts lone surrogates ("\ud800"), which no UTF-8 store can hold.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogate escapes)") from None
    return text


def email(text: str) -> str:
    if not contact_keys.is_valid_email(text):
        raise ValueError("must be a valid email address (name@example.com)")
    return text


def phone(text: str) -> str:
    if not contact_keys.is_valid_phone(text):
        raise ValueError("may hold only digits, spaces and + - ( ) . and must contain at least one digit")
    return text


def context_value(value: object) -> ContextValue:
    # One rule and one error per value, rather than one error per member of a union.
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if len(value) > CONTEXT_TEXT_MAX:
            raise ValueError(f"must be at most {CONTEXT_TEXT_MAX} characters")
        return encodable(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"numbers must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}")
        return value
    raise ValueError("must be a string, a number or a boolean")


def start_message_size(text: str) -> str:
    if len(text.encode("utf-8")) > START_MESSAGE_MAX_BYTES:
        raise ValueError(f"must be at most {START_MESSAGE_MAX_BYTES} bytes (27 KB) in UTF-8")
    return text


def date_time(text: str) -> str:
    if _DATE_TIME.fullmatch(text) is None:
        raise ValueError("must be an RFC 3339 date-time, e.g. 2026-11-18T11:06:40Z")
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be a real date and time (RFC 3339)") from None
    return text


def epoch_ms(date_time: str) -> int:
    moment = datetime.fromisoformat(date_time.upper().replace("Z", "+00:00"))
    return int(moment.astimezone(UTC).timestamp() * 1000)


def content_url(url: str) -> str:
    if _CONTENT_URL.fullmatch(url) is None:
        raise ValueError("must be an https URL with a host, or a data: URL with well-formed base64")
    return url


def within_activity_size(data: Any) -> Any:
    if isinstance(data, dict):
        size = len(
            json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        )
        if size > ACTIVITY_MAX_BYTES:
            raise ValueError(
                f"a message activity must be at most {ACTIVITY_MAX_BYTES} bytes (28 KB); it is {size}"
            )
    return data
