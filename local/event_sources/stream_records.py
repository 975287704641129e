"""DynamoDB stream records (as GetRecords returns them) in the shape Lambda's event source mapping delivers.

Shared by the dev server's stream poller and tests/integration/streams.py.
"""

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from local.events import LOCAL_REGION

# Who deletes an item when its TTL passes, as real DynamoDB's stream records say.
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
_KNOWN_EVENTS = ("INSERT", "MODIFY", "REMOVE")


def lambda_record(record: Mapping[str, Any], stream_arn: str, region: str = LOCAL_REGION) -> dict[str, Any]:
    """One record of a Lambda DynamoDB event: JSON-safe (binary attributes base64, times epoch seconds)."""
    dynamodb = _json_safe(dict(record["dynamodb"]))
    converted: dict[str, Any] = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,  # DynamoDB Local says "ddblocal"
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        converted["userIdentity"] = dict(record["userIdentity"])
    if record["eventName"] not in _KNOWN_EVENTS and "NewImage" not in dynamodb:
        # DynamoDB Local bug: a TTL deletion arrives as UNKNOWN_TO_SDK_VERSION without userIdentity, where
        # real DynamoDB sends REMOVE with the TTL service identity. Restore what real DynamoDB sends.
        converted["eventName"] = "REMOVE"
        converted["userIdentity"] = dict(TTL_IDENTITY)
    return converted


def _json_safe(value: Any) -> Any:
    """boto3 decodes binaries to bytes and times to datetimes; Lambda's event has base64 and numbers."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, Mapping):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    return value
