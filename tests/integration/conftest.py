"""Integration tests: DynamoDB Local (AWS's engine), where conditions and transactions behave for real; the
webhook tests add the local queue engine (moto's SQS in a child process, as `make dev` runs it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from botocore.config import Config

from local.queues import create_queues
from local.sqs_local import SqsLocal, sqs_client
from messaging.store import client as store_client
from tests.harness import TEMPLATE, clear_clients, environment, table_environment
from tests.integration.webhooks import Queues


@pytest.fixture
def local_env(dynamodb_endpoint: str, local_tables: dict[str, str]) -> Iterator[dict[str, str]]:
    """Product environment pointing at fresh tables on DynamoDB Local."""
    with environment({**table_environment(local_tables), "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint}):
        yield local_tables


@pytest.fixture
def many_environments(monkeypatch: pytest.MonkeyPatch, local_env: dict[str, str]) -> Iterator[None]:
    """Many execution environments in one process share its one DynamoDB client, where each Lambda
    environment has its own: a connection each (not a pool of 10) and a read timeout that allows for DynamoDB
    Local running the transactions one after another on two cores (64 queued behind each other outlast 4 s
    under a loaded CI machine, and their timeouts then drain the shared retry quota: seen once in CI)."""
    monkeypatch.setattr(
        store_client,
        "CLIENT_CONFIG",
        store_client.CLIENT_CONFIG.merge(Config(max_pool_connections=64, read_timeout=60)),
    )
    clear_clients()  # after local_env (a parameter for that order): the test's client is built anew
    yield
    clear_clients()  # no later test gets this client; monkeypatch restores the config after this


@pytest.fixture(scope="session")
def sqs_endpoint() -> Iterator[str]:
    """One local queue engine for the session, started and stopped by PID."""
    with SqsLocal() as engine:
        yield engine.endpoint


@pytest.fixture
def max_receives() -> str:
    """WebhookMaxReceives for the test's queue (the template's default); a test may parametrize it."""
    return str(TEMPLATE["Parameters"]["WebhookMaxReceives"]["Default"])


@pytest.fixture
def webhook_queues(sqs_endpoint: str, max_receives: str) -> Iterator[Queues]:
    """The template's queues for one test (its redrive policy with `max_receives`), under a unique prefix."""
    client = sqs_client(sqs_endpoint)
    urls = create_queues(
        client,
        TEMPLATE,
        prefix=f"q{uuid.uuid4().hex[:10]}-",
        parameter_overrides={"WebhookMaxReceives": max_receives},
    )
    yield Queues(sqs_endpoint, urls["WebhookQueue"], urls["WebhookDeadLetterQueue"])
    for url in urls.values():
        client.delete_queue(QueueUrl=url)


@pytest.fixture
def webhook_env(
    dynamodb_endpoint: str, local_tables: dict[str, str], webhook_queues: Queues
) -> Iterator[dict[str, str]]:
    """The functions' environment as `make dev` sets it: fresh tables and queues, webhooks to 127.0.0.1
    allowed, and a 1 s retry base (WebhookRetryBaseSeconds) so that backoffs last seconds, not minutes."""
    queue_urls = {
        "WebhookQueue": webhook_queues.url,
        "WebhookDeadLetterQueue": webhook_queues.dead_letter_url,
    }
    variables = table_environment(
        local_tables,
        queue_urls,
        WEBHOOK_RETRY_BASE_SECONDS="1",
        LOCAL_WEBHOOKS_ALLOWED="true",
        AWS_ENDPOINT_URL_DYNAMODB=dynamodb_endpoint,
        AWS_ENDPOINT_URL_SQS=webhook_queues.endpoint,
    )
    with environment(variables):
        yield local_tables
