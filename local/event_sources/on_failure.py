"""An event source mapping's OnFailure destination, locally: a log line and a JSON file per given-up batch.

Deployed, Lambda sends the destination (e.g. an SQS queue) a record that describes the batch, not the records
themselves; the file holds that record, plus, under "local", the records and the last error, so they can be
inspected after DynamoDB Local (in memory) is gone. Files: <directory>/<Destination>/<time>-<id>.json, where
<directory> is .local-run/on-failure by default (the dev server's `on_failure_dir`).
"""

import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from local.events import LOCAL_ACCOUNT_ID, LOCAL_REGION

Record = dict[str, Any]


class OnFailureDestination:
    def __init__(self, function_id: str, name: str | None, kind: str | None, directory: Path) -> None:
        self.function_id = function_id
        self.name = name  # the template's destination (logical id); None: given-up records are only logged
        self.kind = kind
        self.directory = directory / (name or f"{function_id}-no-destination")

    def describe(self) -> str:
        if self.name is None:
            return "no OnFailure destination (given-up records are logged and dropped)"
        return f"on failure: {self.kind} {self.name} -> {self.directory}/"

    def give_up(
        self, records: list[Record], *, shard_id: str, stream_arn: str, retries: int, error: str | None
    ) -> Path | None:
        now = time.time()
        summary = (
            f"on-failure: {self.function_id} gave up on {len(records)} record(s) of shard {shard_id} "
            f"(sequence numbers {_sequence(records[0])}..{_sequence(records[-1])}) after {retries} "
            f"retries: {error or 'records reported as failed'}"
        )
        if self.name is None:
            print(summary, file=sys.stderr, flush=True)
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now))
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.json"
        document = _invocation_record(
            self.function_id, records, shard_id, stream_arn, retries=retries, now=now
        )
        document["local"] = {"destination": f"{self.kind} {self.name}", "error": error, "records": records}
        path.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
        print(f"{summary}; written to {path}", file=sys.stderr, flush=True)
        return path


def _invocation_record(
    function_id: str, records: list[Record], shard_id: str, stream_arn: str, *, retries: int, now: float
) -> dict[str, Any]:
    """What Lambda sends an on-failure destination for a stream batch."""
    arrivals = [r["dynamodb"].get("ApproximateCreationDateTime") for r in records]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{function_id}",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": retries + 1,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z",
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": _sequence(records[0]),
            "endSequenceNumber": _sequence(records[-1]),
            "approximateArrivalOfFirstRecord": _iso(arrivals[0]),
            "approximateArrivalOfLastRecord": _iso(arrivals[-1]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def _sequence(record: Record) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _iso(epoch_seconds: Any) -> str | None:
    if not isinstance(epoch_seconds, int | float):
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))
