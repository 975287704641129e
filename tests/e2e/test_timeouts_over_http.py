"""The real timeout mechanism under `make dev`: the template's one-minute sweeper schedule, with every state's
timeout set to one minute by PARAM_ variables, closes conversations in storage within two minutes of their
deadlines, and the business's webhook receives each timeout as its event (CONTRACT.md, "Timeout rules",
"Webhook delivery"). Its own dev server subprocess and DynamoDB Local; ~2-3 minutes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.dynamodb_local import DynamoDBLocal, dynamodb_client, free_port, stop_process
from local.token import mint_token
from local.webhook_receiver import Delivery, WebhookReceiver
from messaging.domain.tenant import Tenant
from messaging.store.keys import STATE, conversation_key
from tests.e2e.conftest import _wait_until_serving
from tests.harness import REPO

ONE_MINUTE = {f"PARAM_{name}TimeoutMinutes": "1" for name in ("Open", "Active", "Waiting", "WrapUp")}
MAX_LAG_MS = 120_000  # CONTRACT.md: storage reflects a timeout within 2 minutes of its deadline
CONSUMER = "/api/v1.0/consumer"
REPRESENTATIVE = "/api/v1.0/representative"
# What brings a new conversation into each state, and the close reason its timeout must leave.
STATES: dict[str, tuple[list[str], str]] = {
    "open": ([], "timeout"),
    "active": (["accept"], "timeout"),
    "waiting": (["accept", "wait"], "timeout"),
    "wrapup": (["accept", "end"], "representative"),  # wrap-up's timeout closes with who ended it
}
# The events the business's webhook receives for each, in order: the timeout out of open, active or waiting
# is ConversationTimedOut, the wrap-up timeout ConversationClosed.
WEBHOOK_EVENTS = {
    "open": ["ConversationTimedOut"],
    "active": ["ConversationAccepted", "ConversationTimedOut"],
    "waiting": ["ConversationAccepted", "ConversationWaiting", "ConversationTimedOut"],
    "wrapup": ["ConversationAccepted", "ConversationEnded", "ConversationClosed"],
}


def post(base_url: str, path: str, body: dict[str, Any], token: str, method: str = "POST") -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def bring_into(base_url: str, tenant: str, state: str) -> str:
    consumer = mint_token(tenant)
    representative = mint_token(tenant, scope="messaging/representative")
    customer = {"customercontext": {"customerid": f"{state}-{uuid.uuid4()}"}}
    conversation_id = str(
        post(base_url, f"{CONSUMER}/conversations/create", customer, consumer)["conversationId"]
    )
    status = "open"
    for event in STATES[state][0]:
        activity = {"type": "event", "name": event, "from": {"id": "rep-7", "name": "Ana"}}
        status = post(base_url, f"{REPRESENTATIVE}/conversation/{conversation_id}", activity, representative)[
            "status"
        ]
    assert status == state
    return conversation_id


@pytest.fixture
def dev_server_with_one_minute_timeouts(tmp_path: Path) -> Any:
    with DynamoDBLocal() as database:
        port = free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PARAM_") and k != "PORT"}
        environment |= {**ONE_MINUTE, "DYNAMODB_ENDPOINT": database.endpoint, "PYTHONPATH": str(REPO)}
        log = (tmp_path / "dev-server.log").open("wb")
        # The sweeper runs at the template's real rate(1 minute): no --schedule-seconds here.
        process = subprocess.Popen(
            [sys.executable, "-m", "local.dev_server", "--port", str(port)],
            cwd=REPO,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_serving(process, base_url)
            yield base_url, database.endpoint, tmp_path / "dev-server.log"
        finally:
            stop_process(process, timeout=60)
            log.close()


@pytest.fixture
def business(
    dev_server_with_one_minute_timeouts: tuple[str, str, Path],
) -> Iterator[tuple[str, WebhookReceiver]]:
    """A tenant whose channel is a receiver on 127.0.0.1 (PUT /channel, then the receiver with its secret)."""
    base_url = dev_server_with_one_minute_timeouts[0]
    tenant, port = f"timeouts-{uuid.uuid4().hex[:8]}", free_port()
    webhook = {"webhookUrl": f"http://127.0.0.1:{port}"}
    channel = post(base_url, f"{CONSUMER}/channel", webhook, mint_token(tenant), method="PUT")
    with WebhookReceiver(channel["signingSecret"], port=port) as receiver:
        yield tenant, receiver


@pytest.mark.slow
def test_every_timeout_reaches_storage_and_the_webhook_within_two_minutes_of_its_deadline(
    dev_server_with_one_minute_timeouts: tuple[str, str, Path],
    business: tuple[str, WebhookReceiver],
    capsys: pytest.CaptureFixture[str],
) -> None:
    base_url, endpoint, log = dev_server_with_one_minute_timeouts
    # Given a business whose webhook is a local receiver
    tenant, receiver = business
    # And one conversation in each of open, active, waiting and wrapup, each timing out after a minute
    conversations = {state: bring_into(base_url, tenant, state) for state in STATES}
    # When the dev server's sweeper runs on its one-minute schedule, and storage is watched
    dynamodb = dynamodb_client(endpoint)
    closed: dict[str, tuple[float, dict[str, Any]]] = {}
    deadline = time.monotonic() + 60 + MAX_LAG_MS / 1000 + 60
    while len(closed) < len(conversations) and time.monotonic() < deadline:
        for state, conversation_id in conversations.items():
            if state in closed:
                continue
            key = {"pk": {"S": conversation_key(Tenant(tenant), conversation_id)}, "sk": {"S": STATE}}
            item = dynamodb.get_item(TableName="ConversationsTable", Key=key, ConsistentRead=True)["Item"]
            if item["status"]["S"] == "closed":
                closed[state] = (time.time() * 1000, item)
        time.sleep(1)  # poll interval: it bounds the measurement's resolution, not the outcome
    tail = log.read_text(errors="replace")[-3000:]
    assert set(closed) == set(STATES), f"still not closed: {set(STATES) - set(closed)}\n{tail}"
    # Then each is stored closed with its reason, at most two minutes after its deadline (expiresAt)
    lags = {state: (seen - int(item["expiresAt"]["N"])) / 1000 for state, (seen, item) in closed.items()}
    with capsys.disabled():
        print(
            "\ntimeout lags (observed closed in storage - expiresAt), s: "
            + ", ".join(f"{state} {lag:.1f}" for state, lag in lags.items())
        )
    for state, (_, item) in closed.items():
        assert item["closeReason"]["S"] == STATES[state][1], state
        assert lags[state] * 1000 <= MAX_LAG_MS, (state, lags[state])

    # And the business receives each timeout as its event, after the conversation's earlier ones
    def events_of(received: list[Delivery], conversation_id: str) -> list[Delivery]:
        return list({d.webhook_id: d for d in received if d.conversation_id == conversation_id}.values())

    received = receiver.wait_for(
        lambda received: all(
            len(events_of(received, conversations[state])) >= len(names)
            for state, names in WEBHOOK_EVENTS.items()
        ),
        MAX_LAG_MS / 1000,
    )
    webhook_lags = {}
    for state, names in WEBHOOK_EVENTS.items():
        events = events_of(received, conversations[state])
        assert [d.activity["name"] for d in events] == names, state
        assert events[-1].activity["value"] == {"status": "closed"}
        webhook_lags[state] = int(events[-1].timestamp) - int(closed[state][1]["expiresAt"]["N"]) / 1000
        assert webhook_lags[state] * 1000 <= MAX_LAG_MS, (state, webhook_lags[state])
    with capsys.disabled():
        print(
            "timeout webhook lags (signed POST - expiresAt), s: "
            + ", ".join(f"{state} {lag:.1f}" for state, lag in webhook_lags.items())
        )
