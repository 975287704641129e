"""Reads DynamoDB Local's stream and hands records to Lambda in the shape the event source mapping uses
(local.event_sources.stream_records: the same conversion, and DynamoDB Local TTL fix, as `make dev`)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from local.dynamodb_local import dynamodb_client, dynamodb_streams_client
from local.event_sources.stream_records import TTL_IDENTITY, lambda_record

__all__ = ["TTL_IDENTITY", "is_lock_removal", "stream_records"]


def stream_records(
    endpoint: str, table: str, wanted: Callable[[dict[str, Any]], bool], timeout_s: float | None = None
) -> list[dict[str, Any]]:
    """Polls the table's stream from its start until a record satisfies `wanted`; returns all records read.
    Gives up after `timeout_s`, by default $STREAM_RECORD_TIMEOUT_S or 120 s (`make mutation` sets 30: a
    mutant that keeps the record from ever coming then fails in 30 s, not in mutmut's timeout)."""
    if timeout_s is None:
        timeout_s = float(os.environ.get("STREAM_RECORD_TIMEOUT_S") or 120)
    client = dynamodb_client(endpoint)
    streams = dynamodb_streams_client(endpoint)
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator: str | None = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = streams.get_records(ShardIterator=iterator)
                records += [lambda_record(dict(record), arn) for record in page["Records"]]
                iterator = page.get("NextShardIterator") if page["Records"] else None
        if any(wanted(record) for record in records):
            return records
        time.sleep(1)  # poll interval while DynamoDB Local's TTL sweeper has not run yet; not a sync point
    raise AssertionError(f"no wanted stream record within {timeout_s} s")


def is_lock_removal(record: dict[str, Any]) -> bool:
    old = record["dynamodb"].get("OldImage") or {}
    return bool(record["eventName"] == "REMOVE" and old.get("kind", {}).get("S") == "activeLock")
