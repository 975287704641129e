"""One active conversation per tenant + customerid, enforced by DynamoDB under real concurrency."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from local.dynamodb_local import dynamodb_client
from tests.harness import CREATE, Answer, api_event, invoke, load_handler

THREADS = 64
CUSTOMERS = 20


def _items_of_kind(endpoint: str, table: str, kind: str) -> list[dict[str, dict[str, str]]]:
    # A test-only scan to count what was written; the product never scans.
    client = dynamodb_client(endpoint)
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="kind = :kind",
        ExpressionAttributeValues={":kind": {"S": kind}},
        ConsistentRead=True,
    )
    return [item for page in pages for item in page["Items"]]  # type: ignore[misc]


def test_64_concurrent_creates_per_customer_make_exactly_one_conversation_each(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given 64 Lambda execution environments of the create function
    handlers = [load_handler("create_conversation") for _ in range(THREADS)]
    answers: dict[str, list[Answer]] = {}
    # When, for each of 20 customers, all 64 create at the same moment
    for number in range(CUSTOMERS):
        customerid = f"customer-{number}"
        start = Barrier(THREADS)

        def create(index: int, customerid: str = customerid, start: Barrier = start) -> Answer:
            event = api_event("POST", CREATE, {"customercontext": {"customerid": customerid}})
            start.wait()
            return invoke(handlers[index], event)

        with ThreadPoolExecutor(THREADS) as pool:
            answers[customerid] = list(pool.map(create, range(THREADS)))
    # Then no answer is an error, each customer's answers carry one id, exactly one of them new
    for customerid, customer_answers in answers.items():
        statuses = Counter(answer.status for answer in customer_answers)
        assert statuses == Counter({201: 1, 200: THREADS - 1}), (customerid, statuses)
        assert len({answer.body["conversationId"] for answer in customer_answers}) == 1
    # And storage holds exactly 20 conversations and 20 locks
    conversations = _items_of_kind(dynamodb_endpoint, local_env["ConversationsTable"], "conversation")
    locks = _items_of_kind(dynamodb_endpoint, local_env["ConversationsTable"], "activeLock")
    assert (len(conversations), len(locks)) == (CUSTOMERS, CUSTOMERS)


def test_concurrent_creates_bringing_the_same_new_email_end_with_one_contact(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given 16 environments, When 16 different customers arrive at once with the same new email
    handlers = [load_handler("create_conversation") for _ in range(16)]
    start = Barrier(16)

    def create(index: int) -> Answer:
        body = {"customercontext": {"customerid": f"c{index}", "email": "Shared@Example.com"}}
        event = api_event("POST", CREATE, body)
        start.wait()
        return invoke(handlers[index], event)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(create, range(16)))
    # Then 16 conversations exist, all linked to one contact
    assert {answer.status for answer in answers} == {201}
    contacts = _items_of_kind(dynamodb_endpoint, local_env["ContactsTable"], "contact")
    conversations = _items_of_kind(dynamodb_endpoint, local_env["ConversationsTable"], "conversation")
    assert len(contacts) == 1
    assert {c["contactId"]["S"] for c in conversations} == {contacts[0]["contactId"]["S"]}
