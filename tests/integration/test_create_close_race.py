"""Creates and closes racing on the same customers: the invariants hold whatever the interleaving."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from messaging.create_conversation import now_ms
from messaging.domain import ConversationRequest, CustomerDetails, Tenant
from messaging.wiring import close_conversation, create_conversation
from tests.integration.invariants import broken_invariants, read_storage

THREADS = 32
OPERATIONS_PER_THREAD = 10
CUSTOMERS = [f"racer-{n}" for n in range(4)]
TENANT = Tenant("tenant-a")


@pytest.mark.slow  # a stress test: `make mutation` leaves it out (see local/mutation.py)
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
    # Then the invariants hold: at most one open conversation per customer, every lock pointing to an open
    # conversation of its own customer and every open one holding its lock, no half-written item
    storage = read_storage(dynamodb_endpoint, local_env)
    assert broken_invariants(storage, now_ms()) == []
    assert done == THREADS * OPERATIONS_PER_THREAD
