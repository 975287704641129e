"""Creates the template's DynamoDB tables on DynamoDB Local, from the template's own definitions.

The tables are never described twice: keys, indexes, stream and TTL come from template.yaml, so the
local tables cannot drift from the deployed ones.
"""

from typing import TYPE_CHECKING, Any

from local.template import Template, resources_of_type

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# CreateTable takes only these keys of an index; CloudFormation allows more (ContributorInsights...).
_GLOBAL_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
_LOCAL_INDEX_KEYS = ("IndexName", "KeySchema", "Projection")


def create_table_request(table_name: str, properties: dict[str, Any]) -> dict[str, Any]:
    """CreateTable arguments for a table's CloudFormation properties.

    Skipped on purpose, because DynamoDB Local ignores or rejects them and they change nothing a local run
    can observe: SSESpecification, PointInTimeRecoverySpecification, DeletionProtectionEnabled, Tags
    (and the template's TableName: local names are prefix + logical id, so parallel test runs never collide).
    """
    billing_mode = properties.get("BillingMode", "PROVISIONED")  # CloudFormation's default
    request: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": billing_mode,
    }
    if billing_mode == "PROVISIONED":
        request["ProvisionedThroughput"] = properties["ProvisionedThroughput"]
    global_indexes = properties.get("GlobalSecondaryIndexes")
    if global_indexes:
        request["GlobalSecondaryIndexes"] = [
            {key: index[key] for key in _GLOBAL_INDEX_KEYS if key in index} for index in global_indexes
        ]
    local_indexes = properties.get("LocalSecondaryIndexes")
    if local_indexes:
        request["LocalSecondaryIndexes"] = [
            {key: index[key] for key in _LOCAL_INDEX_KEYS if key in index} for index in local_indexes
        ]
    stream = properties.get("StreamSpecification")
    if stream:
        # CloudFormation enables the stream by naming a view type; the API wants both.
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    return request


def create_tables(client: "DynamoDBClient", template: Template, prefix: str = "") -> dict[str, str]:
    """Create every AWS::DynamoDB::Table of the template (existing ones are left alone).

    Returns logical id -> table name.
    """
    table_names = {}
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        table_name = prefix + logical_id
        properties: dict[str, Any] = resource.get("Properties") or {}
        if not _table_exists(client, table_name):
            _create_table(client, table_name, properties)
        table_names[logical_id] = table_name
    return table_names


def _table_exists(client: "DynamoDBClient", table_name: str) -> bool:
    try:
        client.describe_table(TableName=table_name)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def _create_table(client: "DynamoDBClient", table_name: str, properties: dict[str, Any]) -> None:
    try:
        client.create_table(**create_table_request(table_name, properties))
    except client.exceptions.ResourceInUseException:
        return  # created meanwhile by another process (two dev servers on one DynamoDB Local): leave it
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    ttl = properties.get("TimeToLiveSpecification")
    # Disabling TTL on a table that never had it is an error, and a new table has none: only enable.
    if ttl and ttl.get("Enabled") in (True, "true", "True"):
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
