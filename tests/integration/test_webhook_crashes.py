"""Killing a process between a state change and its delivery loses nothing (README, "Tested guarantees").

The outbox entry is written in the state change's own DynamoDB transaction; the stream, dispatch, the FIFO
queue and delivery carry it on, each step at least once. Here the real processes die, with SIGKILL, on the
real pipeline (tests/integration/webhooks.py: DynamoDB Local's stream, the local queue engine, each function
in execution environments of its own, a local receiver):
- dispatch (tests/integration/dying_functions/dispatch.py: the function's own handler, whose environment
  kills itself at a botocore event of the product's SQS client) dies before it sends a stream batch, or after
  it sent the first ten of it: the stream poller retries the batch (Lambda's at-least-once), and the business
  gets every activity;
- a delivery environment is killed (SIGKILL from the test) while its POST is at the business, after the queue
  handed it the message and before it could delete it: the message comes back when its visibility timeout ends
  (shortened to 5 s on the test's queue) and is delivered again, under the same webhook-id.
The business may see an activity twice (it deduplicates on webhook-id); never one missing, never out of its
conversation's order, never a repeat under another webhook-id. After a partial send, the retry sends the
first ten again: SQS drops them as repeats (same deduplication id, the webhook-id, within five minutes), but
the local queue engine (moto) only while the first copies are still queued, so here they may arrive twice
(measured: 0 or 10 repeats, depending on whether delivery had already taken the first ten when the retry
came).
"""

from __future__ import annotations

import os
import signal
import socket
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from local.webhook_receiver import Delivery, WebhookReceiver
from tests.harness import environment
from tests.integration.webhooks import (
    Code,
    Expected,
    Queues,
    Tenant,
    WebhookPipeline,
    eventually,
    has_all,
    received,
)

# Waits out real deadlines and backoffs (seconds each): `make mutation` leaves it out (local/mutation.py).
pytestmark = pytest.mark.realtime

DYING = Path(__file__).resolve().parent / "dying_functions"
VISIBILITY_S = 5


def webhook(tenant: Tenant, log: Callable[[str], None] | None = None) -> WebhookReceiver:
    """The tenant's webhook: a receiver on a free port, registered with PUT /channel."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    secret = tenant.set_webhook(f"http://127.0.0.1:{port}")
    return WebhookReceiver(secret, port=port, log=log).start()


def has_every(conversations: dict[str, list[Expected]]) -> Callable[[list[Delivery]], bool]:
    checks = [has_all(conversation_id, expected) for conversation_id, expected in conversations.items()]
    return lambda deliveries: all(check(deliveries) for check in checks)


def assert_nothing_lost(deliveries: list[Delivery], conversations: dict[str, list[Expected]]) -> list[str]:
    """Every activity, in each conversation's order; a repeat only under the same webhook-id. The repeats."""
    wanted = {e.webhook_id(c) for c, expected in conversations.items() for e in expected}
    for conversation_id, expected in conversations.items():
        assert received(deliveries, conversation_id) == expected
    assert {d.webhook_id for d in deliveries} == wanted
    # received() also checks each delivery's webhook-id is its activity's: a repeat carries the same one
    return sorted(w for w, n in Counter(d.webhook_id for d in deliveries).items() if n > 1)


@pytest.mark.parametrize(
    "dies_at",
    ["before-call.sqs.SendMessageBatch", "after-call.sqs.SendMessageBatch"],
    ids=["before it sends", "after it sent part of the batch"],
)
def test_dispatch_killed_during_a_stream_batch_loses_no_activity(
    dies_at: str,
    dynamodb_endpoint: str,
    webhook_env: dict[str, str],
    webhook_queues: Queues,
    tmp_path: Path,
) -> None:
    # Given three conversations' state changes and messages already written (24 outbox entries: the stream
    # hands dispatch one batch of them, which it sends ten at a time) and a healthy webhook
    tenant = Tenant("tenant-a")
    receiver = webhook(tenant)
    conversations: dict[str, list[Expected]] = {}
    for customer in ("c1", "c2", "c3"):
        conversation_id = tenant.start(customer)
        conversations[conversation_id] = tenant.lifecycle(conversation_id)
    mark = tmp_path / "dispatch-died"
    # When dispatch's execution environment is killed (SIGKILL) at that SQS call of its first batch
    dying = Code(DYING, "dispatch.lambda_handler")
    with (
        closing(receiver),
        environment({"DYING_EVENT": dies_at, "DYING_MARK": str(mark)}),
        WebhookPipeline(dynamodb_endpoint, webhook_env, webhook_queues, tmp_path, dispatch=dying) as pipeline,
    ):
        deliveries = receiver.wait_for(has_every(conversations), timeout=60)
        died = eventually(pipeline.dispatches.failed_invocations, "dispatch's death recorded")

    # Then it died once, the stream retried the batch, and the business got every activity, in order
    assert mark.exists() and died == 1
    repeats = assert_nothing_lost(deliveries, conversations)
    print(
        f"\ndispatch killed {dies_at.partition('.')[0]} SendMessageBatch: "
        f"{sum(len(e) for e in conversations.values())} activities, {len(deliveries)} deliveries, "
        f"{len(repeats)} repeated (same webhook-id), {len(pipeline.dispatches.results)} dispatch invocations"
    )


@pytest.mark.parametrize("max_receives", ["16"])
def test_delivery_killed_after_receiving_and_before_deleting_delivers_again_under_the_same_webhook_id(
    dynamodb_endpoint: str,
    webhook_env: dict[str, str],
    webhook_queues: Queues,
    max_receives: str,
    tmp_path: Path,
) -> None:
    # Given a queue whose messages come back 5 s after a receive that was not settled, and a webhook that, on
    # its first delivery, has the delivery's execution environment killed (SIGKILL) before answering it
    client = webhook_queues.client
    client.set_queue_attributes(
        QueueUrl=webhook_queues.url, Attributes={"VisibilityTimeout": str(VISIBILITY_S)}
    )
    killed: list[int] = []
    pipelines: list[WebhookPipeline] = []

    def kill_delivery_on_first_arrival(line: str) -> None:
        if killed or "->" in line:  # a failed attempt's line; only an accepted delivery kills
            return
        for pid in pipelines[0].deliver.pids():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    tenant = Tenant("tenant-a")
    receiver = webhook(tenant, log=kill_delivery_on_first_arrival)
    with (
        closing(receiver),
        WebhookPipeline(dynamodb_endpoint, webhook_env, webhook_queues, tmp_path) as pipeline,
    ):
        pipelines.append(pipeline)
        # When a conversation goes through its life
        conversation_id = tenant.start("jdoe123")
        expected = tenant.lifecycle(conversation_id)
        deliveries = receiver.wait_for(has_all(conversation_id, expected), timeout=60)
        eventually(pipeline.deliveries.failed_invocations, "the killed delivery recorded")

    # Then the killed delivery's activity came again once its visibility ended, under the same webhook-id,
    # and every activity arrived, in order
    assert killed
    repeats = assert_nothing_lost(deliveries, {conversation_id: expected})
    assert repeats == [deliveries[0].webhook_id]
    first = [d.webhook_id for d in deliveries].index(repeats[0], 1)
    print(
        f"\ndelivery killed (pid {killed}) during its first POST: {len(expected)} activities, "
        f"{len(deliveries)} deliveries, repeated {repeats} (delivery #{first + 1})"
    )
