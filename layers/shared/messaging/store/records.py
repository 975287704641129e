"""Reading and ending conversations in DynamoDB: get, close by the customer, close on timeout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from messaging.conversation_ids import lock_fingerprint
from messaging.domain import CloseReason, Conversation, Tenant
from messaging.store import items, keys
from messaging.store.dynamodb import call_dynamodb

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class CloseRefused(Exception):
    """The conversation was not open and unexpired: `current` is what is stored (None: no such item)."""

    def __init__(self, current: Conversation | None, *, conflict: bool = False) -> None:
        super().__init__("close refused")
        self.current = current
        self.conflict = conflict


class DynamoDBConversationRecords:
    def __init__(self, client: DynamoDBClient, conversations_table: str, retention_s: int) -> None:
        self._client = client
        self._table = conversations_table
        self._retention_s = retention_s

    def get(self, tenant: Tenant, conversation_id: str) -> Conversation | None:
        answer = call_dynamodb(
            self._client.get_item,
            TableName=self._table,
            Key={"pk": {"S": keys.conversation_key(tenant, conversation_id)}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return items.conversation_from_item(item) if item else None

    def close(
        self, tenant: Tenant, conversation_id: str, now_ms: int, reason: CloseReason, channel_id: str | None
    ) -> None:
        """One transaction: close the conversation if it is open and unexpired, and delete its active lock
        (named by the id itself, see conversation_ids). Refusals carry the stored item (ALL_OLD)."""
        values: dict[str, Any] = {
            ":open": {"S": "open"},
            ":closed": {"S": "closed"},
            ":now": {"N": str(now_ms)},
            ":reason": {"S": reason.value},
        }
        assignments = ["#status = :closed", "closedAt = :now", "closeReason = :reason"]
        if channel_id is not None:
            values[":channel"] = {"S": channel_id}
            assignments.append("channelId = :channel")
        purge_at = items.purge_time(now_ms, self._retention_s)
        if purge_at is not None:
            values[":purge"] = {"N": str(purge_at)}
            assignments.append("#ttl = :purge")
        names = {"#status": "status", **({"#ttl": "ttl"} if purge_at is not None else {})}
        actions: list[Any] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"pk": {"S": keys.conversation_key(tenant, conversation_id)}},
                    "ConditionExpression": "#status = :open AND expiresAt > :now",
                    "UpdateExpression": "SET " + ", ".join(assignments),
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        ]
        fingerprint = lock_fingerprint(conversation_id)
        if fingerprint is not None:
            # An open, unexpired conversation always owns its lock (both change in one transaction only).
            actions.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": keys.active_lock_key(tenant, fingerprint)}},
                        "ConditionExpression": "conversationId = :id",
                        "ExpressionAttributeValues": {":id": {"S": conversation_id}},
                    }
                }
            )
        try:
            call_dynamodb(self._client.transact_write_items, TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons: list[Any] = list(error.response.get("CancellationReasons", []))
            first = reasons[0] if reasons else {}
            current = items.conversation_from_item(first["Item"]) if first.get("Item") else None
            conflict = any(r.get("Code") not in (None, "None", "ConditionalCheckFailed") for r in reasons)
            raise CloseRefused(current, conflict=conflict) from error

    def close_timed_out(self, tenant: Tenant, conversation_id: str, now_ms: int) -> bool:
        """After TTL removed the lock: mark the conversation closed (timeout) at its expiry, unless something
        (a customer close, a create that replaced it) ended it first. True when this call closed it."""
        try:
            call_dynamodb(
                self._client.update_item, **items.timeout_close(self._table, tenant, conversation_id, now_ms)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True
