"""`ConversationsClosed` counts conversations that a request closed, not 200 answers: a retried close (200,
nothing changed) and an event that closes nothing add nothing. Read from the EMF documents the functions
print (what CloudWatch turns into the metric)."""

from __future__ import annotations

import json

import pytest

from tests.api import InProcessApi


def _closed_counted(printed: str) -> int:
    """The sum of ConversationsClosed over every EMF document in the output."""
    total = 0
    for line in printed.splitlines():
        if not line.startswith("{"):
            continue
        document = json.loads(line)
        value = document.get("ConversationsClosed", 0) if "_aws" in document else 0
        total += int(sum(value) if isinstance(value, list) else value)  # EMF: a value or a list of them
    return total


def test_a_close_retried_counts_once(moto_tables: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    # Given an active conversation ended by its representative (wrapup: not closed, not counted)
    api = InProcessApi()
    conversation_id = api.start()
    assert api.event(conversation_id, "accept").status == 200
    assert api.event(conversation_id, "end").status == 200
    capsys.readouterr()
    # When the representative closes it, then sends the same close again (a retry)
    first, retry = api.event(conversation_id, "close"), api.event(conversation_id, "close")
    # Then both answer 200, and one conversation was counted closed
    assert (first.status, retry.status) == (200, 200)
    assert _closed_counted(capsys.readouterr().out) == 1


def test_an_end_of_conversation_retried_counts_once(
    moto_tables: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an open conversation
    api = InProcessApi()
    conversation_id = api.start()
    capsys.readouterr()
    # When the customer ends it (open → closed) and the channel sends the endOfConversation again
    assert (api.end(conversation_id).status, api.end(conversation_id).status) == (200, 200)
    # Then it was counted closed once
    assert _closed_counted(capsys.readouterr().out) == 1


def test_an_event_that_does_not_close_counts_nothing(
    moto_tables: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an open conversation
    api = InProcessApi()
    conversation_id = api.start()
    capsys.readouterr()
    # When a representative accepts it and ends it (active → wrapup)
    assert api.event(conversation_id, "accept").status == 200
    assert api.event(conversation_id, "end").status == 200
    # Then no conversation was counted closed, and the output did hold metric documents
    printed = capsys.readouterr().out
    assert '"_aws"' in printed
    assert _closed_counted(printed) == 0
