"""Session-wide test setup: dummy AWS settings, and DynamoDB Local for the tests that need the real engine."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

# Before any product import: botocore signs every request, and Powertools needs a metrics namespace.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "messaging-api")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "MessagingApiTests")

from local.dynamodb_local import DynamoDBLocal, dynamodb_client
from local.tables import create_tables
from tests.harness import TEMPLATE


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """One DynamoDB Local for the whole session (AWS's own engine: real conditions and transactions).
    `DYNAMODB_ENDPOINT=http://127.0.0.1:<port>` uses one already running instead (`make mutation` starts one
    for its whole campaign, not one per mutant); each test makes its own uniquely prefixed tables."""
    external = os.environ.get("DYNAMODB_ENDPOINT")
    if external:
        yield external
        return
    with DynamoDBLocal() as local:
        yield local.endpoint


@pytest.fixture
def local_tables(dynamodb_endpoint: str) -> Iterator[dict[str, str]]:
    """Fresh tables for one test, created from template.yaml's definitions under a unique prefix."""
    client = dynamodb_client(dynamodb_endpoint)
    names = create_tables(client, TEMPLATE, prefix=f"t{uuid.uuid4().hex[:10]}-")
    yield names
    # Dropped afterwards: DynamoDB Local's TTL sweeper slows down with every table it has to visit.
    for name in names.values():
        client.delete_table(TableName=name)
