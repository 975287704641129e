"""The answers, built without pydantic (messaging.http.views, messaging.http.wire), are byte for byte what the
response models wrote when the functions built them with pydantic: each case below keeps the models' former
constructor (the `.of` class methods, verbatim but for their names) as the oracle, on domain objects drawn
by hypothesis. The model validating the document also proves it has the declared (documented) shape.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from messaging.domain.activity import Attachment, Role, Sender, StoredMessage
from messaging.domain.channel import Channel
from messaging.domain.conversation import (
    ContactMatch,
    ContextVariable,
    Conversation,
    ConversationDetails,
    ConversationState,
    CreateOutcome,
    CustomerDetails,
    Representative,
    StartMessage,
)
from messaging.domain.state_machine import HOLDS_CUSTOMER, CloseReason, EndedBy, Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import iso_time
from messaging.http import views, wire
from messaging.http.models.activities import ActivityAccepted
from messaging.http.models.channel import ChannelResponse
from messaging.http.models.conversation import ConversationView, EventResponse, RepresentativeView
from messaging.http.models.create import CreateConversationResponse
from messaging.http.models.lists import ConversationListItem, ConversationListResponse
from messaging.http.models.representative import (
    CustomerView,
    RepresentativeConversationView,
    RepresentativeListItem,
    RepresentativeListResponse,
    StartMessageView,
)
from messaging.http.models.transcript import (
    AttachmentView,
    ContextItem,
    ContextResponse,
    MessageView,
    SenderView,
    TranscriptResponse,
)
from messaging.limits import MAX_SAFE_INTEGER
from messaging.store.protocol import ListedConversation
from messaging.usecases.events import EventOutcome

EXAMPLES = settings(max_examples=150, deadline=None)

# Text as the store gives it back: any Unicode the requests let through (no lone surrogates), quotes,
# backslashes and control characters included.
texts = st.text(st.characters(codec="utf-8"), max_size=12)
maybe_texts = st.none() | texts
times = st.integers(0, 4_102_444_800_000)  # up to 2100
maybe_times = st.none() | times
# Context values: any JSON number the create accepts, tiny and exponent-written floats included.
numbers = (
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.floats(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER, allow_nan=False)
    | st.sampled_from([1e-7, -1.5e-05, 2.5e-10, 1e-4, 0.1, 1e15, 9.007e15, -0.0])
)
context_values = st.booleans() | texts | numbers
contexts = st.dictionaries(texts, st.builds(ContextVariable, context_values, st.booleans()), max_size=4)
representatives = st.none() | st.builds(Representative, texts, maybe_texts)
states = st.builds(
    ConversationState,
    conversation_id=texts,
    tenant=st.just(Tenant("acme")),
    status=st.sampled_from(Status),
    created_at_ms=times,
    entered_at_ms=times,
    expires_at_ms=maybe_times,
    last_message_id=times,
    customerid=maybe_texts,
    representative=representatives,
    ended_at_ms=maybe_times,
    ended_by=st.none() | st.sampled_from(EndedBy),
    closed_at_ms=maybe_times,
    close_reason=st.none() | st.sampled_from(CloseReason),
)
customers = st.builds(
    CustomerDetails, maybe_texts, maybe_texts, maybe_texts, maybe_texts, maybe_texts, maybe_texts
)
conversations = st.builds(
    Conversation,
    states,
    st.builds(
        ConversationDetails,
        customer=customers,
        contact_id=maybe_texts,
        contact_match=st.sampled_from(ContactMatch),
        context=contexts,
        start_message=st.none() | st.builds(StartMessage, texts, maybe_texts),
        start_message_id=maybe_texts,
    ),
)
listed = st.lists(
    st.builds(
        ListedConversation,
        conversation_id=texts,
        status=st.sampled_from([Status.OPEN, Status.ACTIVE, Status.WAITING]),
        created_at_ms=times,
        entered_at_ms=times,
        expires_at_ms=maybe_times,
        representative_id=maybe_texts,
    ),
    max_size=3,
)
messages = st.lists(
    st.builds(
        StoredMessage,
        message_id=times,
        sender=st.builds(Sender, st.sampled_from(Role), maybe_texts, maybe_texts),
        text=maybe_texts,
        attachments=st.lists(st.builds(Attachment, texts, texts, maybe_texts), max_size=2).map(tuple),
    ),
    max_size=3,
)
outcomes = st.builds(
    EventOutcome,
    conversation_id=texts,
    status=st.sampled_from(Status),
    changed=st.booleans(),
    message_id=times,
    representative=representatives,
    ended_by=st.none() | st.sampled_from(EndedBy),
    closed_at_ms=maybe_times,
    close_reason=st.none() | st.sampled_from(CloseReason),
)
tokens = st.none() | texts


def same_bytes(document: dict[str, Any], former: Any) -> None:
    """`document` (views) is written as the former pydantic answer was, and its model accepts it."""
    assert wire.dumps(document) == former.model_dump_json()
    assert type(former).model_validate(document).model_dump_json() == former.model_dump_json()


# The former constructors (the models' `.of` methods and the handlers' inline answers), as they were.


def former_state_fields(state: ConversationState) -> dict[str, Any]:
    rep = state.representative
    return {
        "conversationId": state.conversation_id,
        "status": state.status.value,
        "isActive": state.status in HOLDS_CUSTOMER,
        "representative": RepresentativeView(id=rep.id, name=rep.name) if rep else None,
        "createdAt": iso_time(state.created_at_ms) or "",
        "expiresAt": iso_time(state.expires_at_ms) if state.status is not Status.CLOSED else None,
        "endedAt": iso_time(state.ended_at_ms),
        "endedBy": state.ended_by.value if state.ended_by else None,
        "closedAt": iso_time(state.closed_at_ms),
        "closeReason": state.close_reason.value if state.close_reason else None,
    }


@EXAMPLES
@given(outcomes)
def test_event_response(outcome: EventOutcome) -> None:
    rep = outcome.representative
    former = EventResponse(
        conversationId=outcome.conversation_id,
        status=outcome.status.value,
        isActive=outcome.status in HOLDS_CUSTOMER,
        messageId=str(outcome.message_id),
        representative=RepresentativeView(id=rep.id, name=rep.name) if rep else None,
        endedBy=outcome.ended_by.value if outcome.ended_by else None,
        closedAt=iso_time(outcome.closed_at_ms),
        closeReason=outcome.close_reason.value if outcome.close_reason else None,
    )
    same_bytes(views.event_response(outcome), former)


@EXAMPLES
@given(times)
def test_activity_accepted(message_id: int) -> None:
    same_bytes(views.activity_accepted(message_id), ActivityAccepted(messageId=str(message_id)))


@EXAMPLES
@given(conversations)
def test_conversation_view(conversation: Conversation) -> None:
    details = conversation.details
    former = ConversationView(
        **former_state_fields(conversation.state),
        customerid=details.customer.customerid,
        contactId=details.contact_id,
        contactMatch=details.contact_match.value,
        conversationcontext={
            k: {"value": v.value, "isDisplayable": v.is_displayable} for k, v in details.context.items()
        },
    )
    same_bytes(views.conversation_view(conversation), former)


@EXAMPLES
@given(conversations)
def test_representative_conversation_view(conversation: Conversation) -> None:
    details = conversation.details
    customer = details.customer
    full_name = " ".join(part for part in (customer.firstname, customer.lastname) if part) or None
    start = details.start_message
    former = RepresentativeConversationView(
        **former_state_fields(conversation.state),
        customer=CustomerView(
            displayName=customer.preferredname or full_name,
            firstname=customer.firstname,
            lastname=customer.lastname,
            preferredname=customer.preferredname,
        ),
        contactId=details.contact_id,
        conversationcontext={
            name: variable.value for name, variable in details.context.items() if variable.is_displayable
        },
        startMessage=(
            StartMessageView(
                messageId=details.start_message_id or "",
                message=start.message,
                displayname=start.displayname,
            )
            if start is not None
            else None
        ),
    )
    same_bytes(views.representative_conversation_view(conversation), former)


@EXAMPLES
@given(listed, tokens)
def test_conversation_list(page: list[ListedConversation], token: str | None) -> None:
    former = ConversationListResponse(
        conversations=[
            ConversationListItem(
                conversationid=c.conversation_id,
                timestamp=iso_time(c.created_at_ms) or "",
                status=c.status.value,
            )
            for c in page
        ],
        continuationtoken=token,
    )
    same_bytes(views.conversation_list(page, token), former)


@EXAMPLES
@given(listed, tokens)
def test_representative_list(page: list[ListedConversation], token: str | None) -> None:
    former = RepresentativeListResponse(
        conversations=[
            RepresentativeListItem(
                conversationId=c.conversation_id,
                status=c.status.value,
                createdAt=iso_time(c.created_at_ms) or "",
                statusSince=iso_time(c.entered_at_ms) or "",
                representativeId=c.representative_id,
            )
            for c in page
        ],
        continuationToken=token,
    )
    same_bytes(views.representative_list(page, token), former)


@EXAMPLES
@given(messages, tokens)
def test_transcript(page: list[StoredMessage], token: str | None) -> None:
    def former_message(message: StoredMessage) -> MessageView:
        sender = message.sender
        return MessageView(
            id=str(message.message_id),
            messageId=str(message.message_id),
            timestamp=iso_time(message.message_id) or "",
            **{"from": SenderView(id=sender.id, name=sender.name, role=sender.role.value)},
            text=message.text,
            attachments=[
                AttachmentView(contentType=a.content_type, contentUrl=a.content_url, name=a.name)
                for a in message.attachments
            ]
            or None,
        )

    former = TranscriptResponse(messages=[former_message(m) for m in page], continuationToken=token)
    same_bytes(views.transcript(page, token), former)


@EXAMPLES
@given(contexts)
def test_context(context: dict[str, ContextVariable]) -> None:
    former = ContextResponse(
        context=[
            ContextItem(name=k, value=v.value, isDisplayable=v.is_displayable) for k, v in context.items()
        ]
    )
    same_bytes(views.context(context), former)


@EXAMPLES
@given(st.builds(Channel, texts, texts), st.booleans())
def test_channel(channel: Channel, with_secret: bool) -> None:
    former = ChannelResponse(
        webhookUrl=channel.webhook_url, signingSecret=channel.secret if with_secret else None
    )
    same_bytes(views.channel(channel, with_secret=with_secret), former)


@EXAMPLES
@given(st.builds(CreateOutcome, texts, st.booleans(), maybe_texts))
def test_created(outcome: CreateOutcome) -> None:
    former = CreateConversationResponse(
        conversationId=outcome.conversation_id, isNew=outcome.is_new, messageId=outcome.message_id
    )
    same_bytes(views.created(outcome), former)


class Number(BaseModel):
    value: Any


@pytest.mark.parametrize(
    "number", [1e-7, 1.5e-05, -3.5000000000000004e-05, 1e-05, 2.5e-10, 0.0001, 1e16, 5e-324, 1.0, -0.0, 12]
)
def test_numbers_are_spelled_as_pydantic_spells_them(number: float) -> None:
    assert wire.dumps({"value": number}) == Number(value=number).model_dump_json()


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_is_spelled_as_pydantic_spells_it(number: float) -> None:
    assert wire.dumps({"value": number}) == Number(value=number).model_dump_json()
