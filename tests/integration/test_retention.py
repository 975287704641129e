"""Retention: ended conversation records get a purge time (TTL) of end + RetentionDays; 0 keeps them."""

from __future__ import annotations

from typing import Any

import pytest

from messaging.domain import CloseReason, ConversationRequest, CustomerDetails, Tenant
from messaging.store import keys
from messaging.store.client import dynamodb_client
from messaging.wiring import close_conversation, create_conversation
from tests.harness import environment

TENANT = Tenant("tenant-a")


def _stored(table: str, conversation_id: str) -> dict[str, Any]:
    item: dict[str, Any] = dynamodb_client().get_item(
        TableName=table,
        Key={"pk": {"S": keys.conversation_key(TENANT, conversation_id)}},
        ConsistentRead=True,
    )["Item"]
    return item


@pytest.mark.parametrize("retention_days", [90, 0])
def test_a_closed_conversation_is_purged_retention_days_after_it_closed(
    local_env: dict[str, str], retention_days: int
) -> None:
    with environment({"RETENTION_DAYS": str(retention_days)}):
        request = ConversationRequest(customer=CustomerDetails(customerid="kept"))
        created = create_conversation()(TENANT, request, None)
        opened = _stored(local_env["ConversationsTable"], created.conversation_id)
        closed = close_conversation()(TENANT, created.conversation_id, None)
        stored = _stored(local_env["ConversationsTable"], created.conversation_id)
    assert closed.close_reason is CloseReason.CUSTOMER
    if retention_days == 0:
        assert "ttl" not in opened and "ttl" not in stored
        return
    # While open, the record would outlive its expiry by the retention; once closed, its close does.
    assert int(opened["ttl"]["N"]) == -(-int(opened["expiresAt"]["N"]) // 1000) + retention_days * 86_400
    assert int(stored["ttl"]["N"]) == -(-closed.closed_at_ms // 1000) + retention_days * 86_400
