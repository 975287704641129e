"""Every file in events/ is a real HTTP API event that the function it is named after answers as expected."""

from __future__ import annotations

import json

import pytest

from tests.harness import REPO, invoke, invoke_raw, load_handler

EXPECTED_STATUS = {
    "create_conversation.new.json": 201,
    "create_conversation.with-context-and-startmessage.json": 201,
    "create_conversation.invalid.json": 400,
    # On empty tables the sample conversation does not exist: the answers a fresh deployment gives.
    "close_conversation.end-of-conversation.json": 404,
    "close_conversation.unsupported-message.json": 400,
    "get_conversation.by-id.json": 404,
}
STREAM_EVENTS = {"expire_conversations.ttl-lock-removal.json"}


def test_every_event_file_has_an_expected_status() -> None:
    assert {path.name for path in (REPO / "events").glob("*.json")} == set(EXPECTED_STATUS) | STREAM_EVENTS


@pytest.mark.parametrize("name", sorted(EXPECTED_STATUS))
def test_event_file_gets_its_expected_answer(moto_tables: dict[str, str], name: str) -> None:
    event = json.loads((REPO / "events" / name).read_text())
    handler = load_handler(name.split(".", maxsplit=1)[0])
    assert invoke(handler, event).status == EXPECTED_STATUS[name]


@pytest.mark.parametrize("name", sorted(STREAM_EVENTS))
def test_stream_event_file_is_processed_without_failures(moto_tables: dict[str, str], name: str) -> None:
    event = json.loads((REPO / "events" / name).read_text())
    assert invoke_raw(load_handler(name.split(".", maxsplit=1)[0]), event) == {"batchItemFailures": []}
