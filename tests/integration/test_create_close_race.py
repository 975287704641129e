"""Creates and closes racing on the same customers: the invariants hold whatever the interleaving."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local.dynamodb_local import dynamodb_client
from messaging.domain import ConversationRequest, CustomerDetails, Tenant
from messaging.wiring import close_conversation, create_conversation

THREADS = 32
OPERATIONS_PER_THREAD = 10
CUSTOMERS = [f"racer-{n}" for n in range(4)]
TENANT = Tenant("tenant-a")


def _scan(endpoint: str, table: str) -> list[dict[str, Any]]:
    # Test-only: read everything back to check invariants.
    pages = dynamodb_client(endpoint).get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


def test_racing_creates_and_closes_keep_one_open_conversation_per_customer(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given 32 environments, each with the create and close use cases on DynamoDB Local
    environments = [(create_conversation(), close_conversation()) for _ in range(THREADS)]
    known: dict[str, str] = {}

    def run(index: int) -> int:
        create, close = environments[index]
        chooser = random.Random(index)
        for _ in range(OPERATIONS_PER_THREAD):
            customerid = chooser.choice(CUSTOMERS)
            if customerid in known and chooser.random() < 0.5:
                close(TENANT, known[customerid], "web")
            else:
                request = ConversationRequest(customer=CustomerDetails(customerid=customerid))
                known[customerid] = create(TENANT, request, None).conversation_id
        return OPERATIONS_PER_THREAD

    # When they create and close at random for a few hundred operations (any error would raise here)
    with ThreadPoolExecutor(THREADS) as pool:
        done = sum(pool.map(run, range(THREADS)))
    # Then each customer has at most one open conversation, and every lock points to an open one of its own
    items = _scan(dynamodb_endpoint, local_env["ConversationsTable"])
    conversations = {i["conversationId"]["S"]: i for i in items if i["kind"]["S"] == "conversation"}
    locks = [i for i in items if i["kind"]["S"] == "activeLock"]
    for customerid in CUSTOMERS:
        open_ones = [
            c
            for c in conversations.values()
            if c["customerid"]["S"] == customerid and c["status"]["S"] == "open"
        ]
        assert len(open_ones) <= 1, customerid
    for lock in locks:
        owner = conversations[lock["conversationId"]["S"]]
        assert owner["status"]["S"] == "open" and owner["customerid"] == lock["customerid"]
    assert done == THREADS * OPERATIONS_PER_THREAD
