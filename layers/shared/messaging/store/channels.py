"""Channel settings in DynamoDB: one item per tenant in the channels table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from messaging.domain.channel import Channel
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.calls import Item, call_dynamodb, error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _channel(item: Item) -> Channel:
    return Channel(
        webhook_url=item["webhookUrl"]["S"],
        secret=item["secret"]["S"],
        previous_secret=item["previousSecret"]["S"] if "previousSecret" in item else None,
        previous_until_ms=int(item["previousUntil"]["N"]) if "previousUntil" in item else None,
    )


class DynamoDBChannels:
    def __init__(self, client: DynamoDBClient, channels_table: str) -> None:
        self._client = client
        self._table = channels_table

    def _key(self, tenant: Tenant) -> dict[str, Any]:
        return {"pk": {"S": keys.tenant_prefix(tenant)}}

    def get(self, tenant: Tenant) -> Channel | None:
        answer = call_dynamodb(
            self._client.get_item, TableName=self._table, Key=self._key(tenant), ConsistentRead=True
        )
        item = answer.get("Item")
        return _channel(item) if item else None

    def set_webhook(self, tenant: Tenant, webhook_url: str, secret_if_new: str, now_ms: int) -> Channel:
        """The webhook URL set; the signing secret kept when there is one (a receiver keeps verifying)."""
        answer = call_dynamodb(
            self._client.update_item,
            TableName=self._table,
            Key=self._key(tenant),
            UpdateExpression="SET webhookUrl = :url, updatedAt = :now, "
            "secret = if_not_exists(secret, :secret)",
            ExpressionAttributeValues={
                ":url": {"S": webhook_url},
                ":now": {"N": str(now_ms)},
                ":secret": {"S": secret_if_new},
            },
            ReturnValues="ALL_NEW",
        )
        return _channel(answer["Attributes"])

    def rotate_secret(self, tenant: Tenant, secret: str, now_ms: int, grace_ms: int) -> Channel | None:
        """A new signing secret; the previous one still signs for `grace_ms`. None: no channel yet."""
        try:
            answer = call_dynamodb(
                self._client.update_item,
                TableName=self._table,
                Key=self._key(tenant),
                ConditionExpression="attribute_exists(pk)",
                UpdateExpression="SET previousSecret = secret, previousUntil = :until, secret = :secret, "
                "updatedAt = :now",
                ExpressionAttributeValues={
                    ":secret": {"S": secret},
                    ":until": {"N": str(now_ms + grace_ms)},
                    ":now": {"N": str(now_ms)},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        return _channel(answer["Attributes"])
