"""Field types shared by the request models: each rule once, enforced by pydantic and shown in the schema."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

from messaging.domain import contact_keys
from messaging.limits import CONTEXT_KEY_MAX, CONTEXT_TEXT_MAX, MAX_SAFE_INTEGER, NAME_MAX

CONVERSATION_ID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

type ContextValue = str | int | float | bool


class Strict(BaseModel):
    # Unknown fields are a 400 that names them; no silent coercion of "true" or 1 into booleans.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _encodable(text: str) -> str:
    # json.loads accepts lone surrogates ("\ud800"), which no UTF-8 store can hold.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogate escapes)") from None
    return text


def _email(text: str) -> str:
    if not contact_keys.is_valid_email(text):
        raise ValueError("must be a valid email address (name@example.com)")
    return text


def _phone(text: str) -> str:
    if not contact_keys.is_valid_phone(text):
        raise ValueError("may hold only digits, spaces and + - ( ) . and must contain at least one digit")
    return text


Encodable = AfterValidator(_encodable)

Name = Annotated[str, Field(max_length=NAME_MAX), Encodable]
NonEmptyName = Annotated[str, Field(min_length=1, max_length=NAME_MAX), Encodable]
# The pattern shows the rule in the schema; the validator says it in words when it is broken.
Email = Annotated[
    str,
    Field(max_length=NAME_MAX, json_schema_extra={"pattern": contact_keys.EMAIL_PATTERN}),
    AfterValidator(_email),
]
Phone = Annotated[
    str,
    Field(max_length=NAME_MAX, json_schema_extra={"pattern": contact_keys.PHONE_PATTERN}),
    AfterValidator(_phone),
]
ContextKey = Annotated[str, Field(min_length=1, max_length=CONTEXT_KEY_MAX), Encodable]


def _context_value(value: object) -> ContextValue:
    # One rule and one error per value, rather than one error per member of a union.
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if len(value) > CONTEXT_TEXT_MAX:
            raise ValueError(f"must be at most {CONTEXT_TEXT_MAX} characters")
        return _encodable(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"numbers must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}")
        return value
    raise ValueError("must be a string, a number or a boolean")


ContextValueField = Annotated[
    ContextValue,
    PlainValidator(_context_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": CONTEXT_TEXT_MAX},
                {"type": "number", "minimum": -MAX_SAFE_INTEGER, "maximum": MAX_SAFE_INTEGER},
                {"type": "boolean"},
            ]
        }
    ),
]
