"""A business's webhook that fails a few times, then heals (CONTRACT.md, "Webhook delivery"): every activity
of the conversation arrives, none missing, in order, each under one webhook-id however often it was tried.

The real pipeline (tests/integration/webhooks.py): state changes and messages written by the API's handlers,
their outbox entries carried by the stream to dispatch, by the FIFO queue to delivery, which posts to a local
receiver. Retries wait the real backoff, from a 1 s base (WebhookRetryBaseSeconds) instead of 30 s.
"""

from __future__ import annotations

import socket
from contextlib import closing
from pathlib import Path

import pytest

from local.webhook_receiver import FailureMode, WebhookReceiver
from tests.integration.webhooks import Queues, Tenant, WebhookPipeline, eventually, has_all, received

# Waits out real deadlines and backoffs (seconds each): `make mutation` leaves it out (local/mutation.py).
pytestmark = pytest.mark.realtime

DELIVERY_DEADLINE_S = 10  # messaging.delivery.webhook.DEFAULT_TIMEOUT_S: "2xx within 10 s is success"


@pytest.mark.parametrize(
    ("failure", "failures"),
    [("http 500", 2), ("timeout", 1), ("connection refused", 2)],
)
def test_a_webhook_that_fails_then_heals_gets_every_activity_once_in_order_under_one_webhook_id(
    failure: str,
    failures: int,
    dynamodb_endpoint: str,
    webhook_env: dict[str, str],
    webhook_queues: Queues,
    tmp_path: Path,
) -> None:
    # Given a tenant whose webhook fails its first requests: 500s, a request held past delivery's 10 s
    # deadline, or a port where nothing listens yet (bound, not listening: connections are refused)
    tenant = Tenant("tenant-a")
    closed_port = socket.socket()
    closed_port.bind(("127.0.0.1", 0))
    port = closed_port.getsockname()[1]
    secret = tenant.set_webhook(f"http://127.0.0.1:{port}")
    with WebhookPipeline(dynamodb_endpoint, webhook_env, webhook_queues, tmp_path) as pipeline:
        if failure != "connection refused":
            closed_port.close()
            receiver = WebhookReceiver(secret, port=port).start()
            receiver.fail_first(
                failures, FailureMode.STATUS if failure == "http 500" else FailureMode.TIMEOUT
            )
        # When a conversation goes through its life: state changes, the representative's messages and
        # typing, and a customer's message (not the business's to receive)
        conversation_id = tenant.start("jdoe123")
        expected = tenant.lifecycle(conversation_id)
        if failure == "connection refused":
            # The receiver starts listening once delivery was refused `failures` times.
            eventually(lambda: pipeline.deliveries.failed_invocations() >= failures, "refused deliveries")
            closed_port.close()
            receiver = WebhookReceiver(secret, port=port).start()
        with closing(receiver):
            deliveries = receiver.wait_for(
                has_all(conversation_id, expected), timeout=60 + DELIVERY_DEADLINE_S
            )

    # Then the business received every activity of the conversation, in the conversation's order
    assert received(deliveries, conversation_id) == expected
    assert expected == sorted(expected) and [e.kind for e in expected].count("event") == 5
    # And each once: a failed attempt is not a delivery
    assert len(deliveries) == len(expected)
    # And the failed attempts were all of the first activity (the rest waited behind it), under its webhook-id
    attempts = [a for a in receiver.arrivals if a.outcome != "200"]
    if failure == "connection refused":
        assert attempts == [] and pipeline.deliveries.failed_invocations() == failures
    else:
        assert [a.webhook_id for a in attempts] == [expected[0].webhook_id(conversation_id)] * failures
        assert {a.outcome for a in attempts} == {"500" if failure == "http 500" else "timeout"}
