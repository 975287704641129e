"""Logs and metrics of a whole conversation carry ids and categories, never the customer's personal data."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterator

import pytest

from messaging.observability import logger
from tests.api import InProcessApi

PII = {
    "customerid": "cust-PII-7731",
    "firstname": "Zebulon",
    "lastname": "Quackenbush",
    "preferredname": "Zeb Q",
    "email": "zebulon.quackenbush@pii-example.com",
    "phonenumber": "+1 (555) 867-5309",
}
MESSAGE = "my secret order number is 99-PII-42"


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


def test_a_full_conversation_logs_no_personal_data(
    local_env: dict[str, str], log_lines: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a create with every personal field, a start message, a repeat, an invalid create, the
    # representative's events and views, the lists and the customer's end
    api = InProcessApi()
    body = {"customercontext": PII, "startmessage": {"message": MESSAGE, "displayname": PII["firstname"]}}
    created = api.create(body)
    again = api.create({**body, "conversationrequestid": "r-1"})
    invalid = api.create({"customercontext": {**PII, "email": PII["lastname"]}})
    conversation_id = created.body["conversationId"]
    statuses = [
        api.event(conversation_id, "accept").status,
        api.representative_view(conversation_id).status,
        api.queue({"status": "active"}).status,
        api.conversations().status,
        api.event(conversation_id, "wait").status,
        api.event(conversation_id, "resume").status,
        api.end(conversation_id).status,
        api.event(conversation_id, "close").status,
        api.get(conversation_id).status,
    ]
    assert (created.status, again.status, invalid.status) == (201, 200, 400)
    assert statuses == [200] * len(statuses)
    # Then neither the log lines nor the printed metrics contain any of it, nor an unkeyed hash of the
    # customerid (what conversation ids carried before they were keyed per deployment)
    output = log_lines.getvalue() + capsys.readouterr().out
    digest = hashlib.sha256(PII["customerid"].encode()).hexdigest()
    for value in [*PII.values(), MESSAGE, "5558675309", PII["email"].lower(), digest[:8], digest[8:16]]:
        assert value not in output, f"personal data in logs: {value!r}"
    # And the create's outcome line names the tenant, the conversation and the request
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines() if line.startswith("{")]
    created_line = next(line for line in lines if line["message"] == "conversation created")
    assert created_line["tenant"] == "tenant-a" and created_line["conversation_id"] == conversation_id
    assert created_line["correlation_id"]
    assert "ConversationsCreated" in output and "ContactsCreated" in output
