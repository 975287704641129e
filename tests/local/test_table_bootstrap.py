"""local.tables: the template's tables on DynamoDB Local, from the template's own definitions."""

from pathlib import Path
from typing import TYPE_CHECKING

from local.dynamodb_local import REPO_ROOT
from local.tables import create_tables
from local.template import load_template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

INDEXED_TABLE = """
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PROVISIONED
      ProvisionedThroughput: {ReadCapacityUnits: 2, WriteCapacityUnits: 3}
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: email, AttributeType: S}
        - {AttributeName: created, AttributeType: N}
      KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
      GlobalSecondaryIndexes:
        - IndexName: by-email
          KeySchema: [{AttributeName: email, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
          ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}
          ContributorInsightsSpecification: {Enabled: true}
      LocalSecondaryIndexes:
        - IndexName: by-created
          KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: created, KeyType: RANGE}]
          Projection: {ProjectionType: ALL}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      Tags: [{Key: team, Value: messaging}]
  NotATable:
    Type: AWS::Logs::LogGroup
"""


def test_project_tables_get_the_templates_keys_stream_and_ttl(
    dynamodb: "DynamoDBClient", table_prefix: str
) -> None:
    # Given the project's template, When its tables are created on DynamoDB Local
    names = create_tables(dynamodb, load_template(REPO_ROOT / "template.yaml"), table_prefix)
    # Then there is one per AWS::DynamoDB::Table, named prefix + logical id
    logical_ids = ("ConversationsTable", "ContactsTable", "ChannelsTable", "IdempotencyTable")
    assert names == {logical_id: f"{table_prefix}{logical_id}" for logical_id in logical_ids}
    # And the conversations table has the template's keys, indexes, stream (NEW_IMAGE) and TTL attribute
    conversations = dynamodb.describe_table(TableName=names["ConversationsTable"])["Table"]
    assert conversations["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {index["IndexName"] for index in conversations["GlobalSecondaryIndexes"]}
    assert indexes == {"byStatus", "byRepresentative", "live", "due"}
    assert conversations["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert conversations["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb.describe_time_to_live(TableName=names["ConversationsTable"])["TimeToLiveDescription"]
    assert (ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")) == ("ENABLED", "ttl")
    # And the idempotency table keys on id and expires on `expiration`; contacts have no stream and no TTL
    idempotency = dynamodb.describe_table(TableName=names["IdempotencyTable"])["Table"]
    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    ttl = dynamodb.describe_time_to_live(TableName=names["IdempotencyTable"])["TimeToLiveDescription"]
    assert ttl.get("AttributeName") == "expiration"
    contacts = dynamodb.describe_table(TableName=names["ContactsTable"])["Table"]
    assert "StreamSpecification" not in contacts
    ttl = dynamodb.describe_time_to_live(TableName=names["ContactsTable"])["TimeToLiveDescription"]
    assert ttl.get("TimeToLiveStatus") == "DISABLED"


def test_indexes_and_provisioned_throughput_come_from_the_template(
    dynamodb: "DynamoDBClient", table_prefix: str, tmp_path: Path
) -> None:
    # Given a table with a GSI, an LSI, provisioned capacity and CloudFormation-only properties
    (tmp_path / "template.yaml").write_text(INDEXED_TABLE)
    # When it is created
    names = create_tables(dynamodb, load_template(tmp_path / "template.yaml"), table_prefix)
    # Then only the table exists, with the template's indexes and capacity
    assert names == {"Orders": f"{table_prefix}Orders"}
    table = dynamodb.describe_table(TableName=names["Orders"])["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert (gsi["IndexName"], gsi["KeySchema"]) == (
        "by-email",
        [{"AttributeName": "email", "KeyType": "HASH"}],
    )
    assert gsi["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    (lsi,) = table["LocalSecondaryIndexes"]
    assert lsi["IndexName"] == "by-created"
    assert lsi["KeySchema"][1] == {"AttributeName": "created", "KeyType": "RANGE"}
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_creating_again_leaves_existing_tables_and_their_items_alone(
    dynamodb: "DynamoDBClient", table_prefix: str
) -> None:
    # Given the project's tables with an item in one
    template = load_template(REPO_ROOT / "template.yaml")
    names = create_tables(dynamodb, template, table_prefix)
    dynamodb.put_item(TableName=names["ContactsTable"], Item={"pk": {"S": "contact#1"}})
    # When the tables are created again
    again = create_tables(dynamodb, template, table_prefix)
    # Then the same names come back and the item is still there
    assert again == names
    item = dynamodb.get_item(TableName=names["ContactsTable"], Key={"pk": {"S": "contact#1"}})
    assert "Item" in item
