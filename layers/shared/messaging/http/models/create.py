"""POST /conversations/create: the request (every field optional, unknown fields refused) and its answer."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from messaging.http import checks
from messaging.http.models.fields import (
    ContextKey,
    ContextValueField,
    Email,
    Encodable,
    Name,
    NonEmptyName,
    Phone,
    Strict,
)
from messaging.limits import MAX_CONTEXT_ENTRIES, START_MESSAGE_MAX_BYTES

MessageText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=START_MESSAGE_MAX_BYTES,
        json_schema_extra={"x-maxBytes": START_MESSAGE_MAX_BYTES},
    ),
    Encodable,
    AfterValidator(checks.start_message_size),
]


class CustomerContext(Strict):
    customerid: Annotated[
        NonEmptyName | None,
        Field(
            description="The business's id for the customer. While this tenant has an active (open or "
            "active) conversation with this customerid, create returns it instead of starting another."
        ),
    ] = None
    firstname: Annotated[Name | None, Field(description="Customer first name.")] = None
    lastname: Annotated[Name | None, Field(description="Customer last name.")] = None
    preferredname: Annotated[Name | None, Field(description="Name shown to the service representative.")] = (
        None
    )
    email: Annotated[
        Email | None,
        Field(description="Email address, used for record identification; matched case-insensitively."),
    ] = None
    phonenumber: Annotated[
        Phone | None,
        Field(description="Phone number, used for record identification; matched on its digits (and '+')."),
    ] = None


class ContextEntry(Strict):
    value: Annotated[
        ContextValueField,
        Field(description="The context variable's value: a string (≤ 4000 chars), a number or a boolean."),
    ]
    isDisplayable: Annotated[
        bool, Field(description="Whether the service representative sees this variable.")
    ] = False


class StartMessageModel(Strict):
    message: Annotated[
        MessageText,
        Field(description="First message of the customer: 1 character to 27 KB (27,648 bytes) in UTF-8."),
    ]
    displayname: Annotated[Name | None, Field(description="Sender name shown with the message.")] = None


class CreateConversationRequest(Strict):
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
        NonEmptyName | None,
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
