"""An open or active conversation always owns its customer's lock (both change in one transaction only). When
storage breaks that rule anyway, freeing the lock fails, and the API says so (500, logged with the reason for
the operator) instead of quietly ending a conversation whose lock then stays behind: on DynamoDB Local, where
the transaction's condition holds for real."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from messaging.domain.ids import lock_fingerprint
from messaging.domain.state_machine import Status
from messaging.domain.tenant import Tenant
from messaging.observability import logger
from messaging.store import keys
from messaging.store.client import dynamodb_client
from messaging.wiring import conversations
from tests.api import InProcessApi

TENANT = Tenant("tenant-a")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every line the product's Logger writes, formatted as in Lambda."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    std_logger = logging.getLogger(logger.service)
    std_logger.addHandler(handler)
    yield stream
    std_logger.removeHandler(handler)


def test_ending_a_conversation_whose_lock_is_gone_fails_loudly_and_changes_nothing(
    local_env: dict[str, str], log_lines: io.StringIO
) -> None:
    # Given an open conversation of customer c1 whose lock was deleted behind the product's back
    api = InProcessApi()
    conversation_id = api.start("c1")
    fingerprint = lock_fingerprint(conversation_id)
    assert fingerprint is not None
    lock_key = {"pk": {"S": keys.active_lock_key(TENANT, fingerprint)}, "sk": {"S": keys.LOCK}}
    dynamodb_client().delete_item(TableName=local_env["ConversationsTable"], Key=lock_key)
    # When the customer ends it
    answer = api.end(conversation_id)
    # Then the API answers an internal error, the operator's log says why, and the conversation is still open
    assert (answer.status, answer.body["code"]) == (500, "internal_error")
    logged = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    failures = [line["exception"].splitlines()[-1] for line in logged if "exception" in line]
    assert failures == ["RuntimeError: the conversation's active lock is not its own"]
    stored = conversations().get(TENANT, conversation_id)
    assert stored is not None and stored.state.status is Status.OPEN
