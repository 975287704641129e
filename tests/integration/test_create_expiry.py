"""Timeout rules on create: an expired conversation is replaced at once and stored closed (timeout)."""

from __future__ import annotations

from messaging.create_conversation import CreateConversation
from messaging.domain import ConversationRequest, CustomerDetails, Tenant
from messaging.store import keys
from messaging.store.client import dynamodb_client
from messaging.wiring import conversation_store

TIMEOUT_MS = 60_000


class Clock:
    """A time source the test moves: TTL and expiry are about time, not about waiting for it."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


def test_create_after_expiry_starts_a_new_conversation_and_closes_the_old_one(
    local_env: dict[str, str],
) -> None:
    # Given a conversation for c1 created at t0 with a one-minute timeout
    clock = Clock(1_800_000_000_000)
    create = CreateConversation(conversation_store(), TIMEOUT_MS, clock=clock)
    tenant = Tenant("tenant-a")
    request = ConversationRequest(customer=CustomerDetails(customerid="c1"))
    first = create(tenant, request)
    # When c1 comes back one millisecond before, and then at, the expiry
    clock.now_ms += TIMEOUT_MS - 1
    before = create(tenant, request)
    clock.now_ms += 1
    after = create(tenant, request)
    # Then before expiry it is the same conversation; at expiry a new one starts
    assert (before.conversation_id, before.is_new) == (first.conversation_id, False)
    assert after.is_new and after.conversation_id != first.conversation_id
    # And the old one is stored closed with reason timeout, at its expiry
    old = dynamodb_client().get_item(
        TableName=local_env["ConversationsTable"],
        Key={"pk": {"S": keys.conversation_key(tenant, first.conversation_id)}},
        ConsistentRead=True,
    )["Item"]
    assert (old["status"]["S"], old["closeReason"]["S"]) == ("closed", "timeout")
    assert old["closedAt"] == old["expiresAt"]
