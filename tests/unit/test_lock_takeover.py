"""A create that finds the customer's lock held by a conversation past its deadline takes the lock over and
closes that holder by timeout in the same transaction: the holder's state item then reads as a timeout at its
deadline, one messageId on (its timeout event's id), off every list, and due for purge only when a retention
period is set (RETENTION_DAYS=0 keeps records forever). On moto, on a clock the test moves."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from messaging.config import settings
from messaging.domain.conversation import ConversationRequest, CustomerDetails, Timeouts
from messaging.domain.ids import ConversationIds
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.conversations import DynamoDBConversations
from messaging.store.items import INDEX_ATTRIBUTES
from messaging.usecases.create import CreateConversation

TENANT = Tenant("tenant-a")
MINUTE = 60_000
TIMEOUTS = Timeouts(open_ms=MINUTE, active_ms=2 * MINUTE, waiting_ms=3 * MINUTE, wrapup_ms=4 * MINUTE)
T0 = 1_800_000_000_000
DAY_S = 86_400


def _state(table: str, conversation_id: str) -> dict[str, Any]:
    key = {"pk": {"S": keys.conversation_key(TENANT, conversation_id)}, "sk": {"S": keys.STATE}}
    item: dict[str, Any] = boto3.client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True)[
        "Item"
    ]
    return item


@pytest.mark.parametrize("retention_s", [0, 90 * DAY_S], ids=["kept forever", "kept 90 days"])
def test_a_create_taking_over_an_expired_lock_closes_its_holder_by_timeout_at_its_deadline(
    moto_tables: dict[str, str], retention_s: int
) -> None:
    # Given a customer's open conversation, its deadline passed
    table = moto_tables["ConversationsTable"]
    store = DynamoDBConversations(
        boto3.client("dynamodb"), table, moto_tables["ContactsTable"], retention_s=retention_s
    )
    now = [T0]
    create = CreateConversation(store, ConversationIds(settings().id_secret), TIMEOUTS, clock=lambda: now[0])
    request = ConversationRequest(CustomerDetails(customerid="jdoe123"))
    holder = create(TENANT, request).conversation_id
    before = _state(table, holder)
    deadline = T0 + TIMEOUTS.open_ms
    now[0] = deadline + 5 * MINUTE
    # When the customer starts a conversation again
    taker = create(TENANT, request).conversation_id
    # Then it is a new one, and the holder closed by timeout at its deadline, one messageId on
    assert taker != holder
    after = _state(table, holder)
    assert {name: after[name] for name in ("status", "closeReason", "closedAt", "enteredAt")} == {
        "status": {"S": "closed"},
        "closeReason": {"S": "timeout"},
        "closedAt": {"N": str(deadline)},
        "enteredAt": {"N": str(now[0])},
    }
    assert int(after["lastMessageId"]["N"]) == int(before["lastMessageId"]["N"]) + 1
    # And it left every list
    assert not set(INDEX_ATTRIBUTES) & set(after)
    # And it is due for purge after the retention period, counted from the takeover; never without one
    if retention_s:
        assert int(after["ttl"]["N"]) == now[0] // 1000 + retention_s
    else:
        assert "ttl" not in after
