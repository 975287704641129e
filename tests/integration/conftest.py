"""Integration tests: DynamoDB Local (AWS's engine), where conditions and transactions behave for real."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness import environment, table_environment


@pytest.fixture
def local_env(dynamodb_endpoint: str, local_tables: dict[str, str]) -> Iterator[dict[str, str]]:
    """Product environment pointing at fresh tables on DynamoDB Local."""
    with environment({**table_environment(local_tables), "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint}):
        yield local_tables
