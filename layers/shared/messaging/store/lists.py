"""The index queries behind the lists and the timeout sweeper: one Query per page, never a Scan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from messaging.domain.state_machine import Status
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.calls import Item, attribute_key, call_dynamodb, error_code, plain_key
from messaging.store.protocol import DueConversation, ListedConversation, Page

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LIVE_INDEX = "live"
STATUS_INDEX = "byStatus"
REPRESENTATIVE_INDEX = "byRepresentative"
DUE_INDEX = "due"


class DynamoDBConversationLists:
    def __init__(self, client: DynamoDBClient, conversations_table: str) -> None:
        self._client = client
        self._table = conversations_table

    def tenant_prefix(self, tenant: Tenant) -> str:
        return keys.tenant_prefix(tenant) + "#"

    def live(
        self, tenant: Tenant, since_ms: int | None, limit: int, start: dict[str, str] | None
    ) -> Page[ListedConversation]:
        condition, values = "liveKey = :key", {":key": {"S": keys.live_key(tenant)}}
        if since_ms is not None:
            condition += " AND createdSort >= :since"
            values[":since"] = {"S": f"{since_ms:013d}"}
        return self._page(LIVE_INDEX, condition, values, limit, start, newest_first=True)

    def in_status(
        self, tenant: Tenant, status: Status, limit: int, start: dict[str, str] | None
    ) -> Page[ListedConversation]:
        values = {":key": {"S": keys.status_key(tenant, status.value)}}
        return self._page(STATUS_INDEX, "statusKey = :key", values, limit, start)

    def of_representative(
        self, tenant: Tenant, representative_id: str, status: Status, limit: int, start: dict[str, str] | None
    ) -> Page[ListedConversation]:
        values = {
            ":key": {"S": keys.representative_key(tenant, representative_id)},
            ":status": {"S": f"{status.value}#"},
        }
        condition = "repKey = :key AND begins_with(repSort, :status)"
        return self._page(REPRESENTATIVE_INDEX, condition, values, limit, start)

    def _page(  # noqa: PLR0917 - one Query's parts
        self,
        index: str,
        condition: str,
        values: dict[str, Any],
        limit: int,
        start: dict[str, str] | None,
        newest_first: bool = False,
    ) -> Page[ListedConversation]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if start is not None:
            request["ExclusiveStartKey"] = attribute_key(start)
        answer = call_dynamodb(self._client.query, **request)
        next_key = plain_key(answer.get("LastEvaluatedKey"))
        return Page([_listed(item) for item in answer.get("Items", [])], next_key)


def _listed(item: Item) -> ListedConversation:
    representative = item.get("representative")
    expires = item.get("expiresAt")
    return ListedConversation(
        conversation_id=item["conversationId"]["S"],
        status=Status(item["status"]["S"]),
        created_at_ms=int(item["createdAt"]["N"]),
        entered_at_ms=int(item["enteredAt"]["N"]),
        expires_at_ms=int(expires["N"]) if expires else None,
        representative_id=representative["M"]["id"]["S"] if representative else None,
    )


class DynamoDBDueConversations:
    """The timeout sweeper's view: conversations whose `dueAt` has passed, per shard of the due index."""

    def __init__(self, client: DynamoDBClient, conversations_table: str) -> None:
        self._client = client
        self._table = conversations_table

    def due(self, shard: int, now_ms: int, start: dict[str, Any] | None) -> Page[DueConversation]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "dueShard = :shard AND dueAt <= :now",
            "ExpressionAttributeValues": {":shard": {"S": f"DUE#{shard}"}, ":now": {"N": str(now_ms)}},
        }
        if start is not None:
            request["ExclusiveStartKey"] = start
        answer = call_dynamodb(self._client.query, **request)
        due = [
            DueConversation(
                tenant=Tenant(item["tenant"]["S"]),
                conversation_id=item["conversationId"]["S"],
                status=Status(item["status"]["S"]),
                due_at_ms=int(item["dueAt"]["N"]),
            )
            for item in answer.get("Items", [])
        ]
        return Page(due, answer.get("LastEvaluatedKey"))

    def refile(
        self, tenant: Tenant, conversation_id: str, status: Status, due_at_ms: int, expires_at_ms: int
    ) -> bool:
        """Moves a conversation whose messages pushed its deadline on to that deadline in the due index.
        False when it changed meanwhile (its transition filed it anew).

        The outbox goes too: the stream carries this write's new image to dispatch, and the entry left by the
        last activity (a representative's message, hours ago) would be delivered again. That activity's own
        write already carried it to the stream."""
        try:
            call_dynamodb(
                self._client.update_item,
                TableName=self._table,
                Key={"pk": {"S": keys.conversation_key(tenant, conversation_id)}, "sk": {"S": keys.STATE}},
                ConditionExpression="#status = :status AND dueAt = :due",
                UpdateExpression="SET dueAt = :deadline REMOVE outbox",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":status": {"S": status.value},
                    ":due": {"N": str(due_at_ms)},
                    ":deadline": {"N": str(expires_at_ms)},
                },
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True
