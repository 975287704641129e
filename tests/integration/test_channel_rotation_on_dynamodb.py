"""A channel's secret rotation as DynamoDB Local stores it (store/channels.py): the new secret signs, the
previous one until the grace period's end, and the item says when the channel last changed (updatedAt, for
an operator reading the table); a tenant without a channel gets none made by a rotation."""

from __future__ import annotations

from local.dynamodb_local import dynamodb_client
from messaging.domain.channel import Channel
from messaging.domain.tenant import Tenant
from messaging.store.channels import DynamoDBChannels

TENANT = Tenant("tenant-a")
URL = "https://hooks.example.com/messaging"
FIRST, SECOND = "whsec_" + "A" * 44, "whsec_" + "B" * 44
SET_AT_MS, ROTATED_AT_MS, GRACE_MS = 1_796_000_000_000, 1_796_000_060_000, 86_400_000


def test_a_rotation_keeps_the_previous_secret_for_the_grace_period_and_stamps_the_channel(
    dynamodb_endpoint: str, local_tables: dict[str, str]
) -> None:
    # Given a tenant's channel, set at SET_AT_MS
    client = dynamodb_client(dynamodb_endpoint)
    table = local_tables["ChannelsTable"]
    channels = DynamoDBChannels(client, table)
    assert channels.set_webhook(TENANT, URL, FIRST, SET_AT_MS) == Channel(URL, FIRST)
    # When its secret is rotated at ROTATED_AT_MS
    rotated = channels.rotate_secret(TENANT, SECOND, ROTATED_AT_MS, GRACE_MS)
    # Then the new secret signs, the previous one too until the grace period ends, as stored
    expected = Channel(URL, SECOND, previous_secret=FIRST, previous_until_ms=ROTATED_AT_MS + GRACE_MS)
    assert rotated == expected
    assert channels.get(TENANT) == expected
    # And the item says when the channel last changed: at the rotation
    (item,) = client.scan(TableName=table)["Items"]
    assert item["updatedAt"] == {"N": str(ROTATED_AT_MS)}


def test_rotating_without_a_channel_makes_none(dynamodb_endpoint: str, local_tables: dict[str, str]) -> None:
    # Given a tenant that never set its webhook
    client = dynamodb_client(dynamodb_endpoint)
    channels = DynamoDBChannels(client, local_tables["ChannelsTable"])
    # When a rotation is asked, then there is no channel to rotate, and none was created
    assert channels.rotate_secret(TENANT, SECOND, ROTATED_AT_MS, GRACE_MS) is None
    assert channels.get(TENANT) is None
    assert client.scan(TableName=local_tables["ChannelsTable"])["Items"] == []
