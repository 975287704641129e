"""Timeout rules: expiry is closed (timeout) at once for readers; TTL removes only the lock, and the stream
consumer then records the close. Real DynamoDB Local TTL and streams."""

from __future__ import annotations

from messaging.conversation_lifecycle import GetConversation
from messaging.create_conversation import CreateConversation, now_ms
from messaging.domain import CloseReason, ConversationRequest, ConversationStatus, CustomerDetails, Tenant
from messaging.wiring import conversation_records, conversation_store
from tests.harness import invoke_raw, load_handler
from tests.integration.streams import TTL_IDENTITY, is_lock_removal, stream_records

TENANT = Tenant("tenant-a")
REQUEST = ConversationRequest(customer=CustomerDetails(customerid="c-timeout"))


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def test_get_shows_closed_timeout_right_after_expiry(local_env: dict[str, str]) -> None:
    # Given a conversation with a 3-second timeout
    clock = Clock(now_ms())
    created = CreateConversation(conversation_store(), 3_000, clock=clock)(TENANT, REQUEST)
    get = GetConversation(conversation_records(), clock=clock)
    # When it is read 1 ms before and exactly at its expiry
    clock.now += 2_999
    before = get(TENANT, created.conversation_id)
    clock.now += 1
    after = get(TENANT, created.conversation_id)
    # Then it is open, then closed with reason timeout at its expiry
    assert before.status is ConversationStatus.OPEN
    assert (after.status, after.close_reason) == (ConversationStatus.CLOSED, CloseReason.TIMEOUT)
    assert after.closed_at_ms == after.expires_at_ms


def test_ttl_removal_of_the_lock_closes_the_conversation_once(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given a conversation that expired a minute ago (its lock's TTL is in the past)
    clock = Clock(now_ms() - 120_000)
    created = CreateConversation(conversation_store(), 60_000, clock=clock)(TENANT, REQUEST)
    # When DynamoDB Local's TTL removes the lock, and its stream record reaches the consumer
    records = stream_records(dynamodb_endpoint, local_env["ConversationsTable"], is_lock_removal)
    removal = next(record for record in records if is_lock_removal(record))
    assert removal["userIdentity"] == TTL_IDENTITY
    consumer = load_handler("expire_conversations")
    first = invoke_raw(consumer, {"Records": records})
    stored = conversation_records().get(TENANT, created.conversation_id)
    # Then the conversation is stored closed (timeout) at its expiry; the record itself was not deleted
    assert first == {"batchItemFailures": []}
    assert stored is not None
    assert (stored.status, stored.close_reason) == (ConversationStatus.CLOSED, CloseReason.TIMEOUT)
    assert stored.closed_at_ms == stored.expires_at_ms
    # And a redelivered batch changes nothing
    assert invoke_raw(consumer, {"Records": records}) == {"batchItemFailures": []}
    assert conversation_records().get(TENANT, created.conversation_id) == stored


def test_customer_close_before_the_ttl_removal_wins(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given a conversation closed by the customer, whose lock removal record is then (re)delivered
    created = CreateConversation(conversation_store(), 60_000)(TENANT, REQUEST)
    conversation_records().close(TENANT, created.conversation_id, now_ms(), CloseReason.CUSTOMER, None)
    records = stream_records(dynamodb_endpoint, local_env["ConversationsTable"], is_lock_removal)
    forged = [{**record, "userIdentity": TTL_IDENTITY} for record in records if is_lock_removal(record)]
    # When the consumer sees it as a TTL removal
    assert invoke_raw(load_handler("expire_conversations"), {"Records": forged}) == {"batchItemFailures": []}
    # Then the customer's close stands
    stored = conversation_records().get(TENANT, created.conversation_id)
    assert stored is not None and stored.close_reason is CloseReason.CUSTOMER
