"""Path parameters the functions share: the conversation's id."""

from __future__ import annotations

from messaging.domain.errors import InvalidRequest
from messaging.domain.ids import is_conversation_id
from messaging.http.checks import CONVERSATION_ID_PATTERN
from messaging.http.endpoint import PathParameter


def checked_conversation_id(conversation_id: str) -> str:
    normalized = conversation_id.lower()
    if not is_conversation_id(normalized):
        raise InvalidRequest(
            "malformed_conversation_id", "conversationId must be a UUID (8-4-4-4-12 hex)", ("conversationId",)
        )
    return normalized


CONVERSATION_ID = PathParameter(
    description="The conversation's id: a UUID (lower case as returned; upper case accepted).",
    schema={"type": "string", "pattern": CONVERSATION_ID_PATTERN},
    parse=checked_conversation_id,
    example="0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2b",
    problems=("malformed_conversation_id", "conversation_not_found"),
)
