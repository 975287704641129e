"""Every file in events/ is a real HTTP API event that the function it is named after answers as expected."""

from __future__ import annotations

import json

import pytest

from tests.harness import REPO, invoke, load_handler

EXPECTED_STATUS = {
    "create_conversation.new.json": 201,
    "create_conversation.with-context-and-startmessage.json": 201,
    "create_conversation.invalid.json": 400,
}


def test_every_event_file_has_an_expected_status() -> None:
    assert {path.name for path in (REPO / "events").glob("*.json")} == set(EXPECTED_STATUS)


@pytest.mark.parametrize("name", sorted(EXPECTED_STATUS))
def test_event_file_gets_its_expected_answer(moto_tables: dict[str, str], name: str) -> None:
    event = json.loads((REPO / "events" / name).read_text())
    handler = load_handler(name.split(".", maxsplit=1)[0])
    assert invoke(handler, event).status == EXPECTED_STATUS[name]
