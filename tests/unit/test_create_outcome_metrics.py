"""What a create tells operators: one EMF metric document per request counting its outcome (a conversation
created or the active one reused, how its contact was identified, an idempotent replay), and one log line
naming the outcome, the conversation and the contact match: what dashboards and alarms are built on."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from messaging.observability import logger
from tests.api import InProcessApi

EMAIL = "pat@example.com"
FIRST = {"customercontext": {"customerid": "c1", "email": EMAIL}}
SAME_EMAIL = {"customercontext": {"customerid": "c2", "email": EMAIL}}
WITH_REQUEST_ID = {"conversationrequestid": "req-1"}

# before (creates already made), the create, then what it counts and the outcome its log line names
CASES = {
    "a new customer": (
        [],
        FIRST,
        201,
        {"ConversationsCreated", "ContactsCreated"},
        "conversation created",
        "created",
    ),
    "a known contact": (
        [FIRST],
        SAME_EMAIL,
        201,
        {"ConversationsCreated", "ContactsMatched"},
        "conversation created",
        "matched",
    ),
    "no customer": ([], {}, 201, {"ConversationsCreated"}, "conversation created", "none"),
    "the active conversation": (
        [FIRST],
        FIRST,
        200,
        {"ConversationsReused"},
        "active conversation returned",
        None,
    ),
    "a new request id": ([], WITH_REQUEST_ID, 201, {"ConversationsCreated"}, "conversation created", "none"),
    "a repeated request id": (
        [WITH_REQUEST_ID],
        WITH_REQUEST_ID,
        201,
        {"IdempotentReplays"},
        "idempotent replay of a create",
        None,
    ),
}


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every line the product's Logger writes, formatted exactly as in Lambda."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    std_logger = logging.getLogger(logger.service)
    std_logger.addHandler(handler)
    yield stream
    std_logger.removeHandler(handler)


@pytest.mark.parametrize(
    ("before", "body", "status", "counted", "message", "contact_match"), CASES.values(), ids=CASES.keys()
)
def test_each_create_outcome_is_counted_once_and_logged_with_its_conversation(
    moto_tables: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    log_lines: io.StringIO,
    before: list[dict[str, Any]],
    body: dict[str, Any],
    status: int,
    counted: set[str],
    message: str,
    contact_match: str | None,
) -> None:
    # Given the creates that came before
    api = InProcessApi()
    assert all(api.create(earlier).status == 201 for earlier in before)
    capsys.readouterr()
    log_lines.seek(0)
    log_lines.truncate()
    # When the create is made
    answer = api.create(body)
    metric_documents = [line for line in _json_lines(capsys.readouterr().out) if "_aws" in line]
    # Then it is answered, and its one metric document counts each outcome once, in the unit Count
    assert answer.status == status
    (document,) = metric_documents
    (definition,) = document["_aws"]["CloudWatchMetrics"]
    assert sorted(definition["Metrics"], key=str) == sorted(
        ({"Name": name, "Unit": "Count"} for name in counted), key=str
    )
    assert {name: document[name] for name in counted} == {name: [1.0] for name in counted}
    # And its outcome line names the outcome, the conversation and (for a new one) how the contact matched
    (line,) = (
        line
        for line in _json_lines(log_lines.getvalue())
        # "in", not a prefix: under `make mutation` the function's code runs as x_record_create_metrics__…
        if "record_create_metrics" in line["location"]
    )
    outcome = {"message": line["message"], "conversation_id": line["conversation_id"]}
    assert outcome == {"message": message, "conversation_id": answer.body["conversationId"]}
    assert line.get("contact_match") == contact_match
