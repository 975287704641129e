"""Creates and closes racing on the same customers: the invariants hold whatever the interleaving."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local.dynamodb_local import dynamodb_client
from tests.harness import BASE, CREATE, Answer, api_event, invoke, load_handler

THREADS = 32
OPERATIONS_PER_THREAD = 10
CUSTOMERS = [f"racer-{n}" for n in range(4)]


def _scan(endpoint: str, table: str) -> list[dict[str, Any]]:
    # Test-only: read everything back to check invariants.
    pages = dynamodb_client(endpoint).get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


def test_racing_creates_and_closes_keep_one_open_conversation_per_customer(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given 32 environments, each with a create and a close function
    environments = [
        (load_handler("create_conversation"), load_handler("close_conversation")) for _ in range(THREADS)
    ]
    known: dict[str, str] = {}

    def run(index: int) -> list[Answer]:
        create, close = environments[index]
        chooser = random.Random(index)
        answers = []
        for _ in range(OPERATIONS_PER_THREAD):
            customerid = chooser.choice(CUSTOMERS)
            if customerid in known and chooser.random() < 0.5:
                conversation_id = known[customerid]
                path = f"{BASE}/conversation/{conversation_id}"
                event = api_event(
                    "POST",
                    path,
                    {"type": "endOfConversation"},
                    route=f"{BASE}/conversation/{{conversationId}}",
                    path_parameters={"conversationId": conversation_id},
                )
                answers.append(invoke(close, event))
            else:
                answer = invoke(
                    create, api_event("POST", CREATE, {"customercontext": {"customerid": customerid}})
                )
                if answer.status in (200, 201):
                    known[customerid] = answer.body["conversationId"]
                answers.append(answer)
        return answers

    # When they create and close at random for a few hundred operations
    with ThreadPoolExecutor(THREADS) as pool:
        answers = [answer for batch in pool.map(run, range(THREADS)) for answer in batch]
    # Then nothing failed
    failures = [(answer.status, answer.body) for answer in answers if answer.status not in (200, 201)]
    assert failures == []
    # And each customer has at most one open conversation, and every lock points to an open one of its own
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
    assert len(answers) == THREADS * OPERATIONS_PER_THREAD
