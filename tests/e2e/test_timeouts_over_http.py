"""The real timeout mechanism under `make dev`: the template's one-minute sweeper schedule, with every state's
timeout set to one minute by PARAM_ variables, closes conversations in storage within two minutes of their
deadlines (CONTRACT.md, "Timeout rules"). Its own dev server subprocess and DynamoDB Local; ~2-3 minutes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from local.dynamodb_local import DynamoDBLocal, dynamodb_client, free_port
from local.token import mint_token
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


def post(base_url: str, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=json.dumps(body).encode(),
        method="POST",
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
            process.terminate()
            process.wait(timeout=60)
            log.close()


@pytest.mark.slow
def test_every_timeout_reaches_storage_within_two_minutes_of_its_deadline(
    dev_server_with_one_minute_timeouts: tuple[str, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base_url, endpoint, log = dev_server_with_one_minute_timeouts
    # Given one conversation in each of open, active, waiting and wrapup, each timing out after a minute
    tenant = f"timeouts-{uuid.uuid4().hex[:8]}"
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
