"""DynamoDB Local, and a throw-away API (tiny handlers and a template in tmp_path), for tests/local."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from local.dev_server import DevServer
from local.dynamodb_local import DynamoDBLocal, dynamodb_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Two functions whose modules are both app.py, a layer, a table, a parameter with and one without default;
# routes on the implicit API (no scopes) and on an explicit one whose authorizer and routes require scopes.
THROWAWAY_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  TimeoutMinutes: {Type: Number, Default: 1440}
  Issuer: {Type: String}
  ConsumerScope: {Type: String, Default: messaging/conversations}
  RepresentativeScope: {Type: String, Default: messaging/representative}
  RequiredScope: {Type: String, Default: ""}
Conditions:
  HasRequiredScope: !Not [!Equals [!Ref RequiredScope, ""]]
Globals:
  Function:
    Runtime: python3.13
    Handler: app.lambda_handler
    Layers: [!Ref Layer]
    Environment:
      Variables:
        TABLE: !Ref Table
        TIMEOUT_MINUTES: !Ref TimeoutMinutes
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: OAuth2
        Authorizers:
          OAuth2:
            IdentitySource: $request.header.Authorization
            AuthorizationScopes: [!If [HasRequiredScope, !Ref RequiredScope, !Ref AWS::NoValue]]
            JwtConfiguration: {issuer: !Ref Issuer, audience: [local]}
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/shared/}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/echo/
      Environment:
        Variables:
          WHERE: !Sub "${AWS::Region}/${Table}"
      Events:
        Create: {Type: HttpApi, Properties: {Method: POST, Path: /api/v1.0/consumer/conversation/create}}
        Activity:
          Type: HttpApi
          Properties: {Method: POST, Path: "/api/v1.0/consumer/conversation/{conversationId}"}
        Read:
          Type: HttpApi
          Properties: {Method: GET, Path: "/api/v1.0/consumer/conversation/{conversationId}"}
        Together: {Type: HttpApi, Properties: {Method: GET, Path: /api/v1.0/consumer/together}}
        DefaultScopes:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Method: GET, Path: /api/v1.0/consumer/scoped}
        Representative:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Method: GET
            Path: /api/v1.0/representative/conversations
            Auth: {AuthorizationScopes: [!Ref RepresentativeScope]}
        Either:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Method: GET
            Path: /api/v1.0/either
            Auth: {AuthorizationScopes: [!Ref ConsumerScope, !Ref RepresentativeScope]}
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/other/
      Events:
        Other: {Type: HttpApi, Properties: {Method: POST, Path: /api/v1.0/consumer/conversations/create}}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
"""

ECHO_HANDLER = """
import json
import os
import socket
import uuid

import local_tests_layer_marker  # from the layer, as Lambda finds it under /opt/python

SEEN_VARIABLES = ("TABLE", "TIMEOUT_MINUTES", "WHERE", "AWS_ENDPOINT_URL_DYNAMODB")
SEEN_VARIABLES += ("POWERTOOLS_METRICS_NAMESPACE",)
IMPORTED_AS = str(uuid.uuid4())  # one value per import of this module, i.e. per execution environment


def meet(address):
    # The test's rendezvous (tests/local/rendezvous.py): say who we are, wait until the test lets us go.
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=120) as meeting:
        meeting.sendall(f"{os.getpid()}\\n".encode())
        meeting.recv(1)


def lambda_handler(event, context):
    if event.get("pathParameters", {}).get("conversationId") == "explode":
        raise RuntimeError("the handler failed")
    if event.get("pathParameters", {}).get("conversationId") == "bad-header":
        return {"statusCode": 200, "headers": {"x-split": "a\\r\\nx-injected: 1"}, "body": ""}
    if event.get("pathParameters", {}).get("conversationId") == "exit":
        os._exit(3)  # the runtime process ends in the middle of an invocation
    if "x-rendezvous" in event["headers"]:
        meet(event["headers"]["x-rendezvous"])
    answer = {
        "pid": os.getpid(),
        "imported_as": IMPORTED_AS,
        "function": "Echo",
        "layer": local_tests_layer_marker.MARKER,
        "event": event,
        "env": {name: os.environ.get(name) for name in SEEN_VARIABLES},
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "cookies": ["seen=1"],
            "body": json.dumps(answer)}
"""

OTHER_HANDLER = """
def lambda_handler(event, context):
    return {"function": "Other"}  # a bare JSON value: API Gateway makes it a 200 JSON answer
"""


def write_throwaway_app(root: Path) -> Path:
    """The throw-away API's files under `root`; returns the template's path."""
    for folder, source in (("functions/echo", ECHO_HANDLER), ("functions/other", OTHER_HANDLER)):
        (root / folder).mkdir(parents=True)
        (root / folder / "app.py").write_text(source)
    (root / "layers/shared").mkdir(parents=True)
    (root / "layers/shared/local_tests_layer_marker.py").write_text('MARKER = "from the layer"\n')
    template = root / "template.yaml"
    template.write_text(THROWAWAY_TEMPLATE)
    return template


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    """One DynamoDB Local for the session; each test uses its own table prefix."""
    with DynamoDBLocal() as local:
        yield local


@pytest.fixture
def dynamodb(dynamodb_local: DynamoDBLocal) -> "DynamoDBClient":
    return dynamodb_client(dynamodb_local.endpoint)


@pytest.fixture
def table_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}-"


@pytest.fixture
def throwaway_template(tmp_path: Path) -> Path:
    return write_throwaway_app(tmp_path)


@pytest.fixture
def local_api(
    dynamodb_local: DynamoDBLocal, throwaway_template: Path, table_prefix: str
) -> Iterator[DevServer]:
    """The dev server on a free port, serving the throw-away API, with one parameter overridden."""
    server = DevServer(
        throwaway_template,
        dynamodb_endpoint=dynamodb_local.endpoint,
        parameter_overrides={"TimeoutMinutes": "2"},
        table_prefix=table_prefix,
    )
    with server:
        yield server
