"""The conversationId in a path (messaging.http.parameters): a UUID, taken in upper case too and answered in
lower case as it was returned; anything else is a 400 malformed_conversation_id naming the path parameter."""

from __future__ import annotations

from messaging.http.problem import PROBLEM_TYPES, type_uri
from tests.api import InProcessApi

NOT_UUIDS = {
    "word": "not-a-uuid",
    "one digit short": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2",
    "no dashes": "0b8f3a521c2d8e4f9a6b7c8d9e0f1a2b",
    "not hex": "0b8f3a52-1c2d-8e4f-9a6b-7c8d9e0f1a2g",
}


def test_a_conversation_id_that_is_not_a_uuid_is_a_malformed_conversation_id(
    moto_tables: dict[str, str],
) -> None:
    # When a client reads a conversation by something that is not a UUID
    api = InProcessApi()
    answers = {name: api.get(conversation_id) for name, conversation_id in NOT_UUIDS.items()}
    # Then it is told so, the path parameter named, before any lookup
    code, detail = "malformed_conversation_id", "conversationId must be a UUID (8-4-4-4-12 hex)"
    problem = {
        "type": type_uri(code),
        "title": PROBLEM_TYPES[code].title,
        "status": 400,
        "detail": detail,
        "code": code,
        "errors": [{"field": "conversationId", "code": code, "message": detail}],
    }
    assert {name: (answer.status, answer.body) for name, answer in answers.items()} == {
        name: (400, problem) for name in NOT_UUIDS
    }


def test_a_conversation_id_in_upper_case_reads_the_conversation_returned_in_lower_case(
    moto_tables: dict[str, str],
) -> None:
    # Given a conversation, its id returned in lower case
    api = InProcessApi()
    conversation_id = api.start()
    assert conversation_id == conversation_id.lower()
    # When it is read by the same id in upper case
    answer = api.get(conversation_id.upper())
    # Then it is that conversation, named as it was returned
    assert (answer.status, answer.body["conversationId"]) == (200, conversation_id)
