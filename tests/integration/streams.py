"""Reads DynamoDB Local's stream and hands records to Lambda in the shape the event source mapping uses."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import boto3

from local.dynamodb_local import dynamodb_client

TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def stream_records(
    endpoint: str, table: str, wanted: Callable[[dict[str, Any]], bool], timeout_s: float | None = None
) -> list[dict[str, Any]]:
    """Polls the table's stream from its start until a record satisfies `wanted`; returns all records read.
    Gives up after `timeout_s`, by default $STREAM_RECORD_TIMEOUT_S or 120 s (`make mutation` sets 30: a
    mutant that keeps the record from ever coming then fails in 30 s, not in mutmut's timeout)."""
    if timeout_s is None:
        timeout_s = float(os.environ.get("STREAM_RECORD_TIMEOUT_S") or 120)
    client = dynamodb_client(endpoint)
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint)
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = streams.get_records(ShardIterator=iterator)
                records += [_lambda_record(record, arn) for record in page["Records"]]
                iterator = page.get("NextShardIterator") if page["Records"] else None
        if any(wanted(record) for record in records):
            return records
        time.sleep(1)  # poll interval while DynamoDB Local's TTL sweeper has not run yet; not a sync point
    raise AssertionError(f"no wanted stream record within {timeout_s} s")


def _lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if created is not None and not isinstance(created, int | float):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    converted = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
        "eventSourceARN": arn,
    }
    if "userIdentity" in record:
        converted["userIdentity"] = record["userIdentity"]
    if record["eventName"] not in ("INSERT", "MODIFY", "REMOVE") and "NewImage" not in dynamodb:
        # DynamoDB Local bug: a TTL deletion arrives as UNKNOWN_TO_SDK_VERSION without userIdentity, where
        # real DynamoDB sends REMOVE with the TTL service identity. Restore what real DynamoDB sends.
        converted["eventName"] = "REMOVE"
        converted["userIdentity"] = TTL_IDENTITY
    return converted


def is_lock_removal(record: dict[str, Any]) -> bool:
    old = record["dynamodb"].get("OldImage") or {}
    return bool(record["eventName"] == "REMOVE" and old.get("kind", {}).get("S") == "activeLock")
