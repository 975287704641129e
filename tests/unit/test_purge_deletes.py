"""The purge's deletes on moto (what TTL leaves of a closed conversation: its details and transcript): every
item goes, each deleted once, in batches of at most 25 (BatchWriteItem's most), page after page of a
transcript larger than one Query page (1 MB); the count it returns (the purge consumer logs it) is what it
deleted; deletes DynamoDB leaves unprocessed are sent again, and after 8 rounds the purge gives up as busy
(the stream redelivers the record). Only TTL removing a conversation's state purges it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from local.event_sources.stream_records import TTL_IDENTITY
from messaging.config import settings
from messaging.domain.activity import Attachment, Role, Sender, StoredMessage
from messaging.domain.errors import StoreBusy
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.activities import message_item
from messaging.store.client import dynamodb_client
from messaging.wiring import purge_conversation
from tests.harness import invoke_raw, load_handler

TENANT = Tenant("tenant-a")
FIRST_ID = 1_800_000_000_000
WIDE = "€"  # 3 bytes in UTF-8
BATCH = 25  # BatchWriteItem's most
ROUNDS = 8  # the purge's rounds of unprocessed deletes before it gives up


def _seed(conversation_id: str, messages: int, text: str) -> set[tuple[str, str]]:
    """What TTL leaves of a closed conversation: its details and `messages` messages of `text`. Its keys."""
    table, client = settings().conversations_table, dynamodb_client()
    pk = keys.conversation_key(TENANT, conversation_id)
    client.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": keys.DETAILS}})
    for offset in range(messages):
        sender = Sender(Role.CUSTOMER, None, None)
        stored = StoredMessage(FIRST_ID + offset, sender, text, (Attachment("image/png", "https://h/a.png"),))
        client.put_item(TableName=table, Item=message_item(TENANT, conversation_id, stored))
    return {(pk, keys.DETAILS)} | {(pk, keys.message_sort_key(FIRST_ID + i)) for i in range(messages)}


def _left(conversation_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = dynamodb_client().query(
        TableName=settings().conversations_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.conversation_key(TENANT, conversation_id)}},
        ProjectionExpression="pk, sk",
        Select="SPECIFIC_ATTRIBUTES",
    )["Items"]
    return found


class DeleteBatches:
    """The keys of each BatchWriteItem the client makes (a botocore `before-parameter-build` hook: one per API
    call, whatever the retries)."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, str]]] = []

    def record(self, params: dict[str, Any], **_: Any) -> None:
        for requests in params["RequestItems"].values():
            keys_ = [request["DeleteRequest"]["Key"] for request in requests]
            self.batches.append([(key["pk"]["S"], key["sk"]["S"]) for key in keys_])


@pytest.fixture
def batches(moto_tables: dict[str, str]) -> Iterator[DeleteBatches]:
    recorder = DeleteBatches()
    dynamodb_client().meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", recorder.record)
    yield recorder
    dynamodb_client().meta.events.unregister(
        "before-parameter-build.dynamodb.BatchWriteItem", recorder.record
    )


@pytest.mark.parametrize(
    ("messages", "text"),
    [(3, "Hello"), (2 * BATCH + 10, "Hello"), (70, WIDE * 6000)],
    ids=["a short transcript", "more than two batches", "more than one Query page (1 MB)"],
)
def test_the_purge_deletes_every_item_once_in_batches_and_counts_them(
    batches: DeleteBatches, messages: int, text: str
) -> None:
    # Given what TTL left of a closed conversation: its details and its transcript
    conversation_id = str(uuid.uuid4())
    seeded = _seed(conversation_id, messages, text)
    # When the purge runs
    deleted = purge_conversation()(TENANT, conversation_id)
    # Then it deleted every item, and says how many
    assert deleted == len(seeded)
    assert _left(conversation_id) == []
    # And each once, in batches of at most 25 (no item's delete paid for twice)
    sent = [key for batch in batches.batches for key in batch]
    assert sorted(sent) == sorted(seeded)
    assert all(0 < len(batch) <= BATCH for batch in batches.batches)
    # And a redelivered record deletes (and counts) nothing
    assert purge_conversation()(TENANT, conversation_id) == 0


class Unprocessed:
    """DynamoDB under pressure: answers the first `rounds` BatchWriteItem calls with every delete left
    unprocessed (nothing done), as a throttled BatchWriteItem answers, then lets the calls through. A
    botocore `before-call` hook: an answer it returns is the call's, and nothing is sent."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self.rounds == 0:
            return None
        self.rounds -= 1
        sent = json.loads(params["body"])
        http = AWSResponse(params["url"], 200, HTTPHeaders(), None)
        return http, {"UnprocessedItems": sent["RequestItems"], "ResponseMetadata": {"HTTPStatusCode": 200}}


@pytest.fixture
def pressure(moto_tables: dict[str, str]) -> Iterator[list[Unprocessed]]:
    """Installs the `Unprocessed` the test appends on the purge's client."""
    installed: list[Unprocessed] = []

    def before_call(**kwargs: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        return installed[0](**kwargs) if installed else None

    # botocore-stubs type every handler as returning None; a before-call handler may return the answer.
    handler = cast("Callable[..., None]", before_call)
    dynamodb_client().meta.events.register("before-call.dynamodb.BatchWriteItem", handler)
    yield installed
    dynamodb_client().meta.events.unregister("before-call.dynamodb.BatchWriteItem", handler)


def test_deletes_left_unprocessed_are_sent_again_until_done(pressure: list[Unprocessed]) -> None:
    # Given a closed conversation's leftovers, and DynamoDB leaving a batch's deletes unprocessed 7 times
    conversation_id = str(uuid.uuid4())
    seeded = _seed(conversation_id, 3, "Hello")
    pressure.append(Unprocessed(ROUNDS - 1))
    # When the purge runs
    deleted = purge_conversation()(TENANT, conversation_id)
    # Then it sent them again until DynamoDB took them: everything is gone
    assert pressure[0].rounds == 0
    assert (deleted, _left(conversation_id)) == (len(seeded), [])


def test_deletes_left_unprocessed_8_times_leave_the_purge_busy(pressure: list[Unprocessed]) -> None:
    # Given a closed conversation's leftovers, and DynamoDB leaving its deletes unprocessed 8 times in a row
    conversation_id = str(uuid.uuid4())
    seeded = _seed(conversation_id, 3, "Hello")
    pressure.append(Unprocessed(ROUNDS))
    # When the purge runs, it gives up as busy, saying why (the stream delivers the record again)
    with pytest.raises(StoreBusy) as busy:
        purge_conversation()(TENANT, conversation_id)
    assert str(busy.value) == "BatchWriteItem left deletes unprocessed"
    # And nothing was deleted: the redelivery finds it all
    assert len(_left(conversation_id)) == len(seeded)
    assert purge_conversation()(TENANT, conversation_id) == len(seeded)


def _removal(conversation_id: str, sk: str, identity: dict[str, str] | None) -> dict[str, Any]:
    """The stream's record of an item of the conversation removed, by TTL or by someone (`identity`)."""
    key = {"pk": {"S": keys.conversation_key(TENANT, conversation_id)}, "sk": {"S": sk}}
    record: dict[str, Any] = {
        "eventID": "1",
        "eventName": "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {"Keys": key, "SequenceNumber": "1", "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": f"arn:aws:dynamodb:us-east-1:000000000000:table/{settings().conversations_table}/x",
    }
    return record | ({"userIdentity": identity} if identity is not None else {})


@pytest.mark.parametrize(
    ("sk", "identity"),
    [
        (keys.STATE, None),
        (keys.STATE, {"type": "Service", "principalId": "backup.amazonaws.com"}),
        (keys.DETAILS, dict(TTL_IDENTITY)),
    ],
    ids=["its state deleted by us", "its state deleted by another service", "its details removed by TTL"],
)
def test_only_ttl_removing_a_conversation_s_state_purges_it(
    moto_tables: dict[str, str], sk: str, identity: dict[str, str] | None
) -> None:
    # Given a conversation's details and transcript
    conversation_id = str(uuid.uuid4())
    seeded = _seed(conversation_id, 2, "Hello")
    consumer = load_handler("purge_conversations")
    # When the purge consumer gets the record of another removal than TTL's of its state
    answer = invoke_raw(consumer, {"Records": [_removal(conversation_id, sk, identity)]})
    # Then the conversation is intact
    assert answer == {"batchItemFailures": []}
    assert len(_left(conversation_id)) == len(seeded)
    # And TTL's removal of its state does purge it
    answer = invoke_raw(consumer, {"Records": [_removal(conversation_id, keys.STATE, dict(TTL_IDENTITY))]})
    assert (answer, _left(conversation_id)) == ({"batchItemFailures": []}, [])
