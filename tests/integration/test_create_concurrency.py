"""One active conversation per tenant + customerid, enforced by DynamoDB under real concurrency.

Threads call the use case with the real DynamoDB store, each thread standing for one Lambda execution
environment (handlers themselves are one-request-per-process, as in Lambda: see local/lambda_runtime.py).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from messaging.domain.conversation import ConversationRequest, CreateOutcome, CustomerDetails
from messaging.domain.tenant import Tenant
from messaging.wiring import create_conversation
from tests.integration.invariants import broken_invariants, read_storage

THREADS = 64
CUSTOMERS = 20
TENANT = Tenant("tenant-a")


@pytest.mark.slow  # a stress test: `make mutation` leaves it out (see local/mutation.py)
@pytest.mark.usefixtures("many_environments")
def test_64_concurrent_creates_per_customer_make_exactly_one_conversation_each(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given 64 environments of the create use case (idempotency wrapper included)
    environments = [create_conversation() for _ in range(THREADS)]
    outcomes: dict[str, list[CreateOutcome]] = {}
    # When, for each of 20 customers, all 64 create at the same moment
    for number in range(CUSTOMERS):
        customerid = f"customer-{number}"
        start = Barrier(THREADS)
        request = ConversationRequest(customer=CustomerDetails(customerid=customerid))

        def create(
            index: int, request: ConversationRequest = request, start: Barrier = start
        ) -> CreateOutcome:
            start.wait()
            return environments[index](TENANT, request, None)

        with ThreadPoolExecutor(THREADS) as pool:
            outcomes[customerid] = list(pool.map(create, range(THREADS)))
    # Then (no error was raised) each customer's answers carry one id, exactly one of them new
    for customerid, answers in outcomes.items():
        assert Counter(answer.is_new for answer in answers) == Counter({True: 1, False: THREADS - 1}), (
            customerid
        )
        assert len({answer.conversation_id for answer in answers}) == 1
    # And storage holds exactly 20 conversations and 20 locks
    storage = read_storage(dynamodb_endpoint, local_env)
    assert (len(storage.states), len(storage.locks)) == (CUSTOMERS, CUSTOMERS)
    assert broken_invariants(storage) == []


@pytest.mark.parametrize(
    "brought", [{"email": "Shared@Example.com"}, {"phonenumber": "+1 (555) 0100"}], ids=["email", "phone"]
)
def test_concurrent_creates_bringing_the_same_new_email_or_phone_end_with_one_contact(
    dynamodb_endpoint: str, local_env: dict[str, str], brought: dict[str, str]
) -> None:
    # Given 16 environments, When 16 different customers arrive at once with the same new email (or phone):
    # all but one lose the race for the contact's key, and each must learn that contact from its refusal
    environments = [create_conversation() for _ in range(16)]
    start = Barrier(16)

    def create(index: int) -> CreateOutcome:
        customer = CustomerDetails(customerid=f"c{index}", **brought)
        start.wait()
        return environments[index](TENANT, ConversationRequest(customer=customer), None)

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(create, range(16)))
    # Then 16 conversations exist, all linked to one contact
    assert all(outcome.is_new for outcome in outcomes)
    storage = read_storage(dynamodb_endpoint, local_env)
    assert len(storage.contacts) == 1
    assert {c["contactId"]["S"] for c in storage.details.values()} == set(storage.contacts)
