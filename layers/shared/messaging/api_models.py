"""The API's request and response models: the wire format of CONTRACT.md, self-documenting for OpenAPI."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)

from messaging import contact_keys
from messaging.domain import (
    ContextValue,
    ContextVariable,
    ConversationRequest,
    CreateOutcome,
    CustomerDetails,
    StartMessage,
)

# A stored conversation must fit DynamoDB's 400 KB item: fields are stored as sent (numbers may grow by a
# few bytes), so a body of at most this size fits with room for keys (tests: test_largest_body_fits.py).
MAX_BODY_BYTES = 384 * 1024
START_MESSAGE_MAX_BYTES = 27 * 1024
MAX_CONTEXT_ENTRIES = 100
MAX_CONTEXT_TEXT = 4000
MAX_SAFE_INTEGER = 2**53 - 1  # beyond it, JavaScript clients would read back another number


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


def _start_message_size(text: str) -> str:
    if len(text.encode("utf-8")) > START_MESSAGE_MAX_BYTES:
        raise ValueError(f"must be at most {START_MESSAGE_MAX_BYTES} bytes (27 KB) in UTF-8")
    return text


def _context_value(value: object) -> ContextValue:
    # One rule and one error per value, rather than one error per member of a union.
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if len(value) > MAX_CONTEXT_TEXT:
            raise ValueError(f"must be at most {MAX_CONTEXT_TEXT} characters")
        return _encodable(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        raise ValueError(f"integers must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}")
    if isinstance(value, int | float):
        return value
    raise ValueError("must be a string, a number or a boolean")


def _text(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(min_length=min_length, max_length=max_length)


Text200 = Annotated[str, _text(200), AfterValidator(_encodable)]
ContextKey = Annotated[str, _text(100, 1), AfterValidator(_encodable)]
ContextValueField = Annotated[
    ContextValue,
    PlainValidator(_context_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": MAX_CONTEXT_TEXT},
                {"type": "number"},
                {"type": "boolean"},
            ]
        }
    ),
]
CustomerId = Annotated[str, _text(200, 1), AfterValidator(_encodable)]
Email = Annotated[Text200, AfterValidator(_email)]
Phone = Annotated[Text200, AfterValidator(_phone)]
MessageText = Annotated[
    str, _text(START_MESSAGE_MAX_BYTES, 1), AfterValidator(_encodable), AfterValidator(_start_message_size)
]
RequestId = Annotated[str, _text(200, 1), AfterValidator(_encodable)]


class _Strict(BaseModel):
    # Unknown fields are a 400 that names them; no silent coercion of "true" or 1 into booleans.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CustomerContext(_Strict):
    customerid: Annotated[
        CustomerId | None,
        Field(
            description="The business's id for the customer. While this tenant has an active conversation "
            "with this customerid, create returns it instead of starting another."
        ),
    ] = None
    firstname: Annotated[Text200 | None, Field(description="Customer first name.")] = None
    lastname: Annotated[Text200 | None, Field(description="Customer last name.")] = None
    preferredname: Annotated[
        Text200 | None, Field(description="Name shown to the service representative.")
    ] = None
    email: Annotated[
        Email | None,
        Field(description="Email address, used for record identification; matched case-insensitively."),
    ] = None
    phonenumber: Annotated[
        Phone | None,
        Field(description="Phone number, used for record identification; matched on its digits (and '+')."),
    ] = None


class ContextEntry(_Strict):
    value: Annotated[
        ContextValueField,
        Field(description="The context variable's value: a string (≤ 4000 chars), a number or a boolean."),
    ]
    isDisplayable: Annotated[
        bool, Field(description="Whether the service representative sees this variable.")
    ] = False


class StartMessageModel(_Strict):
    message: Annotated[
        MessageText, Field(description="First message of the customer, at most 27 KB in UTF-8.")
    ]
    displayname: Annotated[Text200 | None, Field(description="Sender name shown with the message.")] = None


class CreateConversationRequest(_Strict):
    customercontext: Annotated[
        CustomerContext | None, Field(description="Who the customer is; used for record identification.")
    ] = None
    conversationcontext: Annotated[
        dict[ContextKey, ContextEntry] | None,
        Field(
            max_length=MAX_CONTEXT_ENTRIES,
            description="Up to 100 context variables; keys are 1–100 characters, case-sensitive.",
        ),
    ] = None
    startmessage: Annotated[
        StartMessageModel | None, Field(description="Only used when a new conversation starts.")
    ] = None
    skipdeflectionbot: Annotated[bool | None, Field(description="Stored with the conversation.")] = None
    conversationrequestid: Annotated[
        RequestId | None,
        Field(
            description="Idempotency key: the same tenant sending the same id again within the "
            "idempotency window gets the first answer back."
        ),
    ] = None


class CreateConversationResponse(BaseModel):
    conversationId: Annotated[str, Field(description="The conversation's id (a UUID).")]
    isNew: Annotated[bool, Field(description="false when an active conversation was returned instead.")]
    messageId: Annotated[
        str | None,
        Field(
            description="Epoch-milliseconds id of the start message; only present when one was given.",
            exclude_if=lambda value: value is None,
        ),
    ] = None


class ErrorDetail(BaseModel):
    field: Annotated[str, Field(description="The offending field, dotted: customercontext.email")]
    code: Annotated[str, Field(description="Machine-readable rule that was broken.")]
    message: Annotated[str, Field(description="The rule, for a person, with its limit.")]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


def conversation_request(body: CreateConversationRequest) -> ConversationRequest:
    """The API's request as the domain's."""
    customer = body.customercontext or CustomerContext()
    start = body.startmessage
    return ConversationRequest(
        customer=CustomerDetails(**customer.model_dump()),
        context={
            key: ContextVariable(value=entry.value, is_displayable=entry.isDisplayable)
            for key, entry in (body.conversationcontext or {}).items()
        },
        start_message=StartMessage(start.message, start.displayname) if start else None,
        skip_deflection_bot=body.skipdeflectionbot,
    )


def create_response(outcome: CreateOutcome) -> CreateConversationResponse:
    return CreateConversationResponse(
        conversationId=outcome.conversation_id, isNew=outcome.is_new, messageId=outcome.message_id
    )
