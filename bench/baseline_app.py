"""The warm-request floor: create and close written by hand on boto3, no framework, no validation.

It makes the product's DynamoDB calls with the product's shapes: create is one TransactWriteItems (the
conversation item + the active lock, both `attribute_not_exists(pk)`, ALL_OLD on failure); close is one
TransactWriteItems (conditional Update of the conversation + conditional Delete of its lock). Items carry the
same attributes, and conversation ids name their lock the same way (UUIDv8 with a customerid fingerprint), so
both sides write the same bytes to DynamoDB. Only for the benchmark: it trusts its input.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from messaging.conversation_ids import customer_fingerprint, lock_fingerprint, new_conversation_id

TABLE = os.environ["CONVERSATIONS_TABLE"]
TIMEOUT_MS = int(os.environ.get("CONVERSATION_TIMEOUT_MINUTES", "1440")) * 60_000
RETENTION_S = int(os.environ.get("RETENTION_DAYS", "90")) * 86_400
client = boto3.client(
    "dynamodb",
    config=Config(
        retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=4, tcp_keepalive=True
    ),
)
_JSON = {"Content-Type": "application/json"}


def _prefix(tenant: str) -> str:
    return "TENANT#" + tenant.replace("%", "%25").replace("#", "%23")


# The id scheme is data layout, not framework: the baseline uses the product's (stdlib-only) module for it.
_fingerprint = customer_fingerprint
_new_id_for = new_conversation_id
_fingerprint_of = lock_fingerprint


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": _JSON, "body": json.dumps(body), "isBase64Encoded": False}


def _create(tenant: str, body: dict[str, Any]) -> dict[str, Any]:
    customer = body.get("customercontext") or {}
    customerid = customer["customerid"]
    now = time.time_ns() // 1_000_000
    expires = now + TIMEOUT_MS
    conversation_id = _new_id_for(customerid)
    start = body.get("startmessage")
    item: dict[str, Any] = {
        "pk": {"S": f"{_prefix(tenant)}#CONVERSATION#{conversation_id}"},
        "kind": {"S": "conversation"},
        "conversationId": {"S": conversation_id},
        "tenant": {"S": tenant},
        "status": {"S": "open"},
        "createdAt": {"N": str(now)},
        "expiresAt": {"N": str(expires)},
        "contactMatch": {"S": "none"},
        "customer": {"M": {name: {"S": value} for name, value in customer.items()}},
        "customerid": {"S": customerid},
        "context": {"S": json.dumps(body.get("conversationcontext") or {}, separators=(",", ":"))},
        "skipDeflectionBot": {"BOOL": bool(body.get("skipdeflectionbot"))},
        "ttl": {"N": str(-(-expires // 1000) + RETENTION_S)},
    }
    if start:
        item["messageId"] = {"S": str(now)}
        item["startMessage"] = {"M": {name: {"S": value} for name, value in start.items()}}
    lock = {
        "pk": {"S": f"{_prefix(tenant)}#LOCK#{_fingerprint(customerid)}"},
        "kind": {"S": "activeLock"},
        "tenant": {"S": tenant},
        "customerid": {"S": customerid},
        "conversationId": {"S": conversation_id},
        "expiresAt": {"N": str(expires)},
        "ttl": {"N": str(-(-expires // 1000))},
    }
    new: dict[str, Any] = {
        "ConditionExpression": "attribute_not_exists(pk)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    actions: list[Any] = [
        {"Put": {"TableName": TABLE, "Item": item, **new}},
        {"Put": {"TableName": TABLE, "Item": lock, **new}},
    ]
    try:
        client.transact_write_items(TransactItems=actions)
    except ClientError as error:
        reasons: list[Any] = list(error.response.get("CancellationReasons") or [{}, {}])
        existing = reasons[1].get("Item")
        if existing is None:
            raise
        return _answer(200, {"conversationId": existing["conversationId"]["S"], "isNew": False})
    answer = {"conversationId": conversation_id, "isNew": True}
    if start:
        answer["messageId"] = str(now)
    return _answer(201, answer)


def _close(tenant: str, conversation_id: str, body: dict[str, Any]) -> dict[str, Any]:
    now = time.time_ns() // 1_000_000
    values: dict[str, Any] = {
        ":open": {"S": "open"},
        ":closed": {"S": "closed"},
        ":now": {"N": str(now)},
        ":reason": {"S": "customer"},
        ":channel": {"S": body.get("channelId") or ""},
        ":purge": {"N": str(-(-now // 1000) + RETENTION_S)},
    }
    try:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": f"{_prefix(tenant)}#CONVERSATION#{conversation_id}"}},
                        "ConditionExpression": "#status = :open AND expiresAt > :now",
                        "UpdateExpression": "SET #status = :closed, closedAt = :now, closeReason = :reason, "
                        "channelId = :channel, #ttl = :purge",
                        "ExpressionAttributeNames": {"#status": "status", "#ttl": "ttl"},
                        "ExpressionAttributeValues": values,
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "Delete": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": f"{_prefix(tenant)}#LOCK#{_fingerprint_of(conversation_id)}"}},
                        "ConditionExpression": "conversationId = :id",
                        "ExpressionAttributeValues": {":id": {"S": conversation_id}},
                    }
                },
            ]
        )
    except ClientError:
        return _answer(404, {"error": {"code": "conversation_not_found"}})
    closed_at = datetime.fromtimestamp(now / 1000, UTC).isoformat(timespec="milliseconds")
    return _answer(
        200,
        {
            "conversationId": conversation_id,
            "status": "closed",
            "closedAt": closed_at.replace("+00:00", "Z"),
            "closeReason": "customer",
            "messageId": str(now),
        },
    )


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    tenant = event["requestContext"]["authorizer"]["jwt"]["claims"]["client_id"]
    body = json.loads(event.get("body") or "{}")
    if event["routeKey"].endswith("/create"):
        return _create(tenant, body)
    return _close(tenant, event["pathParameters"]["conversationId"], body)
