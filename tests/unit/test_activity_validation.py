"""Every activity limit of CONTRACT.md at its edge: the limit passes, one past it is a 400 naming it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from messaging.limits import ACTIVITY_MAX_BYTES
from tests.api import CONSUMER, REPRESENTATIVE, InProcessApi
from tests.unit.conftest import moto_environment

FOUR_BYTE_CHAR = "😀"


@pytest.fixture(scope="module")
def api() -> Iterator[InProcessApi]:
    with moto_environment():
        yield InProcessApi()


@pytest.fixture(scope="module")
def conversation(api: InProcessApi) -> str:
    return api.start(None)


def _send(api: InProcessApi, conversation_id: str, body: Any, side: str = CONSUMER) -> Any:
    return api.call("POST", f"{side}/conversation/{conversation_id}", body)


def _message(**fields: Any) -> dict[str, Any]:
    return {"type": "message", **fields}


def _sized_message(size: int) -> dict[str, Any]:
    """A message activity whose compact JSON is exactly `size` bytes."""
    message = _message(text="", channelData={"pad": ""})
    overhead = len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode())
    padding = size - overhead - 1
    return _message(text="t", channelData={"pad": "p" * padding})


ACCEPTED = {
    "text 6000 chars": _message(text=FOUR_BYTE_CHAR * 6000),
    "attachments only": _message(
        attachments=[{"contentType": "image/png", "contentUrl": "https://cdn.example.com/a.png"}]
    ),
    "data URL": _message(
        attachments=[{"contentType": "text/plain", "contentUrl": "data:text/plain;base64,aGk="}]
    ),
    "fields 256 chars": _message(
        text="x",
        **{"from": {"id": "i" * 256, "name": "n" * 256}},
        attachments=[{"contentType": "c" * 256, "contentUrl": "https://a.example", "name": "f" * 256}],
    ),
    "activity at 28 KB": _sized_message(ACTIVITY_MAX_BYTES),
    "typing": {"type": "typing"},
    "event name 256": {"type": "event", "name": "e" * 256},
    "unknown Bot Framework fields": _message(text="x", locale="en-US", timestamp="2026-01-01T00:00:00Z"),
    "channelId 200 chars": {"type": "typing", "channelId": "c" * 200},
}


@pytest.mark.parametrize("body", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_activities_at_the_limits_are_accepted(api: InProcessApi, conversation: str, body: Any) -> None:
    answer = _send(api, conversation, body)
    assert answer.status == 200, answer.body
    assert len(answer.body["messageId"]) == 13


REJECTED = {
    "text 6001 chars": (_message(text="t" * 6001), "text"),
    "neither text nor attachments": (_message(), "body"),
    "empty text, no attachments": (_message(text="", attachments=[]), "body"),
    "activity over 28 KB": (_sized_message(ACTIVITY_MAX_BYTES + 1), "body"),
    "http attachment": (
        _message(attachments=[{"contentType": "x/y", "contentUrl": "http://a.example/f"}]),
        "attachments.0.contentUrl",
    ),
    "ftp attachment": (
        _message(attachments=[{"contentType": "x/y", "contentUrl": "ftp://a.example/f"}]),
        "attachments.0.contentUrl",
    ),
    "data URL not base64": (
        _message(attachments=[{"contentType": "x/y", "contentUrl": "data:text/plain,hi"}]),
        "attachments.0.contentUrl",
    ),
    "data URL broken base64": (
        _message(attachments=[{"contentType": "x/y", "contentUrl": "data:text/plain;base64,a"}]),
        "attachments.0.contentUrl",
    ),
    "https URL with user info": (
        _message(attachments=[{"contentType": "x/y", "contentUrl": "https://u:p@a.example/f"}]),
        "attachments.0.contentUrl",
    ),
    "https URL with a control character": (
        _message(attachments=[{"contentType": "x/y", "contentUrl": "https://a.example/f\x1d"}]),
        "attachments.0.contentUrl",
    ),
    "https URL without a host": (
        _message(attachments=[{"contentType": "x/y", "contentUrl": "https:///f"}]),
        "attachments.0.contentUrl",
    ),
    "attachment without contentType": (
        _message(attachments=[{"contentUrl": "https://a.example"}]),
        "attachments.0.contentType",
    ),
    "attachment without contentUrl": (
        _message(attachments=[{"contentType": "x/y"}]),
        "attachments.0.contentUrl",
    ),
    "contentType 257": (
        _message(attachments=[{"contentType": "c" * 257, "contentUrl": "https://a.example"}]),
        "attachments.0.contentType",
    ),
    "attachment name 257": (
        _message(attachments=[{"contentType": "x/y", "contentUrl": "https://a.example", "name": "n" * 257}]),
        "attachments.0.name",
    ),
    "from.name 257": (_message(text="x", **{"from": {"name": "n" * 257}}), "from.name"),
    "from.id 257": (_message(text="x", **{"from": {"id": "i" * 257}}), "from.id"),
    "text not a string": (_message(text=42), "text"),
    "event name 257": ({"type": "event", "name": "e" * 257}, "name"),
    "event without name": ({"type": "event"}, "name"),
    "event with an empty name": ({"type": "event", "name": ""}, "name"),
    "customEventValue not JSON": (
        {"type": "event", "name": "x", "channelData": {"customEventValue": "{nope"}},
        "channelData.customEventValue",
    ),
    "customEventValue breaking a context rule": (
        {
            "type": "event",
            "name": "x",
            "channelData": {"customEventValue": json.dumps({"k": {"value": None}})},
        },
        "channelData.customEventValue.k.value",
    ),
    "customEventValue over 100 entries": (
        {
            "type": "event",
            "name": "x",
            "channelData": {"customEventValue": json.dumps({f"k{i}": {"value": i} for i in range(101)})},
        },
        "channelData.customEventValue",
    ),
    "channelId 201 chars": ({"type": "typing", "channelId": "c" * 201}, "channelId"),
    "unknown type": ({"type": "conversationUpdate"}, "type"),
    "no type": ({"text": "hi"}, "type"),
}


@pytest.mark.parametrize(("body", "field"), REJECTED.values(), ids=REJECTED.keys())
def test_a_broken_activity_rule_is_a_400_naming_the_field(
    api: InProcessApi, conversation: str, body: Any, field: str
) -> None:
    answer = _send(api, conversation, body)
    assert (answer.status, answer.body["code"]) == (400, "validation_failed"), answer.body
    # Named at the field, or inside it (a context variable of a customEventValue names its own path).
    assert any(error["field"].startswith(field) for error in answer.body["errors"]), answer.body


def test_the_representative_side_has_the_same_message_rules(api: InProcessApi, conversation: str) -> None:
    ok = _send(api, conversation, _message(text="t" * 6000), REPRESENTATIVE)
    too_long = _send(api, conversation, _message(text="t" * 6001), REPRESENTATIVE)
    assert (ok.status, too_long.status) == (200, 400)
    assert too_long.body["errors"][0]["field"] == "text"


@pytest.mark.parametrize(
    ("sender", "field"),
    [
        (None, "body"),
        ({"name": "Rep"}, "body"),
        ({"id": "i" * 257, "name": "Rep"}, "from.id"),
        ({"id": "rep-1", "name": "n" * 257}, "from.name"),
    ],
    ids=["no from", "no id", "id 257", "name 257"],
)
def test_an_accept_must_name_its_representative_within_the_limits(
    api: InProcessApi, conversation: str, sender: dict[str, str] | None, field: str
) -> None:
    body = {"type": "event", "name": "accept", **({"from": sender} if sender is not None else {})}
    answer = _send(api, conversation, body, REPRESENTATIVE)
    assert answer.status == 400, answer.body
    assert any(error["field"].startswith(field) for error in answer.body["errors"]), answer.body


def test_an_activity_over_28_kb_is_refused_saying_the_limit_and_its_size(
    api: InProcessApi, conversation: str
) -> None:
    answer = _send(api, conversation, _sized_message(ACTIVITY_MAX_BYTES + 1))
    assert answer.status == 400, answer.body
    limit, size = ACTIVITY_MAX_BYTES, ACTIVITY_MAX_BYTES + 1
    assert answer.body["errors"] == [
        {
            "field": "body",
            "code": "value_error",
            "message": f"a message activity must be at most {limit} bytes (28 KB); it is {size}",
        }
    ]


ANOTHER_CONVERSATION = {"id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}
EVERY_KIND = {
    "customer's message": (CONSUMER, _message(text="x")),
    "customer's typing": (CONSUMER, {"type": "typing"}),
    "customer's custom event": (CONSUMER, {"type": "event", "name": "x"}),
    "endOfConversation": (CONSUMER, {"type": "endOfConversation"}),
    "representative's message": (REPRESENTATIVE, _message(text="x")),
    "representative's typing": (REPRESENTATIVE, {"type": "typing"}),
    "representative's accept": (REPRESENTATIVE, {"type": "event", "name": "accept", "from": {"id": "rep-1"}}),
}


@pytest.mark.parametrize(("side", "body"), EVERY_KIND.values(), ids=EVERY_KIND.keys())
def test_an_activity_for_another_conversation_is_refused(
    api: InProcessApi, conversation: str, side: str, body: dict[str, Any]
) -> None:
    # Given an activity of any kind, either side, whose conversation.id is not the path's conversation
    addressed = {**body, "conversation": ANOTHER_CONVERSATION}
    # When it is sent to the path's conversation
    answer = _send(api, conversation, addressed, side)
    # Then it is refused at conversation.id, and the conversation is as it was
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, "conversation.id"), answer.body
    assert api.get(conversation).body["status"] == "open"


@pytest.mark.parametrize("value", ["{nope", "", "not json at all"])
def test_a_custom_event_value_that_is_not_json_is_refused_saying_what_it_must_be(
    api: InProcessApi, conversation: str, value: str
) -> None:
    # Given a custom event whose customEventValue is a string but no JSON document
    body = {"type": "event", "name": "x", "channelData": {"customEventValue": value}}
    # When it is sent
    answer = _send(api, conversation, body)
    # Then the field error tells the client the shape the contract asks for
    assert (answer.status, answer.body["errors"]) == (
        400,
        [
            {
                "field": "channelData.customEventValue",
                "code": "value_error",
                "message": "must be a JSON string of {name: {isDisplayable, value}}",
            }
        ],
    )


@pytest.mark.parametrize("name", ["accept", "wait", "end"])
def test_a_representative_event_whose_from_has_an_empty_id_is_a_400_naming_it(
    api: InProcessApi, conversation: str, name: str
) -> None:
    # Given a representative's event whose from names no one (an empty id), an accept or not
    body = {"type": "event", "name": name, "from": {"id": "", "name": "Rep"}}
    # When the representative side sends it
    answer = _send(api, conversation, body, REPRESENTATIVE)
    # Then it is refused at from.id, before any state is read
    assert answer.status == 400, answer.body
    assert [error["field"] for error in answer.body["errors"]] == ["from.id"], answer.body
