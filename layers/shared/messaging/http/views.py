"""The API's answers as JSON documents, built from the domain without pydantic (a cold start does not pay for
it): each function here builds the document its response model in messaging.http.models declares, key for
key in the model's field order, leaving out what the model excludes when None. The models stay the
declarations the OpenAPI document is generated from; a test validates every document built here against its
model and checks that pydantic would have written the same bytes (tests/unit/test_wire_format.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from messaging.domain.state_machine import HOLDS_CUSTOMER, Status
from messaging.domain.time import iso_time

if TYPE_CHECKING:
    from messaging.domain.activity import StoredMessage
    from messaging.domain.channel import Channel
    from messaging.domain.conversation import (
        ContextVariable,
        Conversation,
        ConversationState,
        CreateOutcome,
        Representative,
    )
    from messaging.store.protocol import ListedConversation
    from messaging.usecases.events import EventOutcome

type Document = dict[str, Any]


def _representative(rep: Representative | None) -> Document | None:
    return {"id": rep.id, "name": rep.name} if rep else None


def event_response(outcome: EventOutcome) -> Document:
    """EventResponse: a conversation after an event."""
    document: Document = {
        "conversationId": outcome.conversation_id,
        "status": outcome.status.value,
        "isActive": outcome.status in HOLDS_CUSTOMER,
        "messageId": str(outcome.message_id),
    }
    optional = {
        "representative": _representative(outcome.representative),
        "endedBy": outcome.ended_by.value if outcome.ended_by else None,
        "closedAt": iso_time(outcome.closed_at_ms),
        "closeReason": outcome.close_reason.value if outcome.close_reason else None,
    }
    document.update((name, value) for name, value in optional.items() if value is not None)
    return document


def activity_accepted(message_id: int) -> Document:
    """ActivityAccepted."""
    return {"messageId": str(message_id)}


def _state_head(state: ConversationState) -> Document:
    return {
        "conversationId": state.conversation_id,
        "status": state.status.value,
        "isActive": state.status in HOLDS_CUSTOMER,
    }


def _state_tail(state: ConversationState) -> Document:
    return {
        "representative": _representative(state.representative),
        "createdAt": iso_time(state.created_at_ms) or "",
        "expiresAt": iso_time(state.expires_at_ms) if state.status is not Status.CLOSED else None,
        "endedAt": iso_time(state.ended_at_ms),
        "endedBy": state.ended_by.value if state.ended_by else None,
        "closedAt": iso_time(state.closed_at_ms),
        "closeReason": state.close_reason.value if state.close_reason else None,
    }


def conversation_view(conversation: Conversation) -> Document:
    """ConversationView: a conversation as seen now (past its deadline already shown timed out)."""
    details = conversation.details
    return {
        **_state_head(conversation.state),
        "customerid": details.customer.customerid,
        "contactId": details.contact_id,
        "contactMatch": details.contact_match.value,
        **_state_tail(conversation.state),
        "conversationcontext": {
            k: {"value": v.value, "isDisplayable": v.is_displayable} for k, v in details.context.items()
        },
    }


def representative_conversation_view(conversation: Conversation) -> Document:
    """RepresentativeConversationView: never a context variable with isDisplayable false."""
    details = conversation.details
    customer = details.customer
    full_name = " ".join(part for part in (customer.firstname, customer.lastname) if part) or None
    start = details.start_message
    return {
        **_state_head(conversation.state),
        "customer": {
            "displayName": customer.preferredname or full_name,
            "firstname": customer.firstname,
            "lastname": customer.lastname,
            "preferredname": customer.preferredname,
        },
        "contactId": details.contact_id,
        **_state_tail(conversation.state),
        "conversationcontext": {
            name: variable.value for name, variable in details.context.items() if variable.is_displayable
        },
        "startMessage": (
            {
                "messageId": details.start_message_id or "",
                "message": start.message,
                "displayname": start.displayname,
            }
            if start is not None
            else None
        ),
    }


def conversation_list(conversations: Iterable[ListedConversation], token: str | None) -> Document:
    """ConversationListResponse: the consumer's list."""
    return {
        "conversations": [
            {
                "conversationid": c.conversation_id,
                "timestamp": iso_time(c.created_at_ms) or "",
                "status": c.status.value,
            }
            for c in conversations
        ],
        "continuationtoken": token,
    }


def representative_list(conversations: Iterable[ListedConversation], token: str | None) -> Document:
    """RepresentativeListResponse: the queue, a status's or a representative's conversations."""
    return {
        "conversations": [
            {
                "conversationId": c.conversation_id,
                "status": c.status.value,
                "createdAt": iso_time(c.created_at_ms) or "",
                "statusSince": iso_time(c.entered_at_ms) or "",
                "representativeId": c.representative_id,
            }
            for c in conversations
        ],
        "continuationToken": token,
    }


def _message(message: StoredMessage) -> Document:
    sender = message.sender
    document: Document = {
        "type": "message",
        "id": str(message.message_id),
        "messageId": str(message.message_id),
        "timestamp": iso_time(message.message_id) or "",
        "from": {"id": sender.id, "name": sender.name, "role": sender.role.value},
    }
    if message.text is not None:
        document["text"] = message.text
    if message.attachments:
        document["attachments"] = [
            {"contentType": a.content_type, "contentUrl": a.content_url, "name": a.name}
            for a in message.attachments
        ]
    return document


def transcript(messages: Iterable[StoredMessage], token: str | None) -> Document:
    """TranscriptResponse: a page of messages, each a MessageView."""
    return {"messages": [_message(message) for message in messages], "continuationToken": token}


def context(variables: dict[str, ContextVariable]) -> Document:
    """ContextResponse."""
    return {
        "context": [
            {"name": k, "value": v.value, "isDisplayable": v.is_displayable} for k, v in variables.items()
        ]
    }


def channel(settings: Channel, *, with_secret: bool) -> Document:
    """ChannelResponse: the secret only on PUT and rotate."""
    document: Document = {"webhookUrl": settings.webhook_url}
    if with_secret:
        document["signingSecret"] = settings.secret
    return document


def created(outcome: CreateOutcome) -> Document:
    """CreateConversationResponse."""
    document: Document = {"conversationId": outcome.conversation_id, "isNew": outcome.is_new}
    if outcome.message_id is not None:
        document["messageId"] = outcome.message_id
    return document
