"""Unit tests: moto's in-memory DynamoDB, single-threaded only (moto is not safe under concurrency)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.queues import create_queues
from local.tables import create_tables
from tests.harness import (
    CREATE,
    TEMPLATE,
    Answer,
    api_event,
    environment,
    invoke,
    load_handler,
    table_environment,
)

type CreateCall = Callable[..., Answer]


@contextmanager
def moto_environment() -> Iterator[dict[str, str]]:
    """moto's DynamoDB with the template's tables, and the product's environment pointing at them."""
    with mock_aws():
        names = create_tables(boto3.client("dynamodb"), TEMPLATE)
        queues = create_queues(boto3.client("sqs"), TEMPLATE)
        with environment(table_environment(names, queues)):
            yield {**names, **queues}


@pytest.fixture
def moto_tables() -> Iterator[dict[str, str]]:
    with moto_environment() as names:
        yield names


@pytest.fixture
def create(moto_tables: dict[str, str]) -> CreateCall:
    """POST /conversations/create on a fresh create function: create(body, tenant=..., **event_options);
    `edit` changes the built event before the call, as API Gateway may pass it (no content-type, base64)."""
    handler = load_handler("create_conversation")

    def call(
        body: Any = None,
        *,
        path: str = CREATE,
        edit: Callable[[dict[str, Any]], None] | None = None,
        **options: Any,
    ) -> Answer:
        event = api_event("POST", path, body, **options)
        if edit is not None:
            edit(event)
        return invoke(handler, event)

    return call
