"""Field types shared by the request models: each rule once (messaging.http.checks), shown in the schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

from messaging.domain import contact_keys
from messaging.http import checks
from messaging.limits import CONTEXT_KEY_MAX, CONTEXT_TEXT_MAX, MAX_SAFE_INTEGER, NAME_MAX

type ContextValue = str | int | float | bool


class Strict(BaseModel):
    # Unknown fields are a 400 that names them; no silent coercion of "true" or 1 into booleans.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Encodable = AfterValidator(checks.encodable)

Name = Annotated[str, Field(max_length=NAME_MAX), Encodable]
NonEmptyName = Annotated[str, Field(min_length=1, max_length=NAME_MAX), Encodable]
# The pattern shows the rule in the schema; the validator says it in words when it is broken.
Email = Annotated[
    str,
    Field(max_length=NAME_MAX, json_schema_extra={"pattern": contact_keys.EMAIL_PATTERN}),
    AfterValidator(checks.email),
]
Phone = Annotated[
    str,
    Field(max_length=NAME_MAX, json_schema_extra={"pattern": contact_keys.PHONE_PATTERN}),
    AfterValidator(checks.phone),
]
ContextKey = Annotated[str, Field(min_length=1, max_length=CONTEXT_KEY_MAX), Encodable]


ContextValueField = Annotated[
    ContextValue,
    PlainValidator(checks.context_value),
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
