"""Every error example openapi.json documents, made by its recipe and answered by the functions running in
this process, behind `make dev`'s gateway on a loopback port.

The e2e walk (tests/e2e/test_documented_errors_over_http.py) sends the same recipes (tests/error_recipes.py)
to `make dev`'s server in a process of its own: a black box. Here the server (local.dev_server.DevServer,
`workers=0`: every function in this process, tables on DynamoDB Local) runs the code this process imported,
so the walk also checks what `make mutation` mutates: an error's code, status, title and type as documented,
and its detail and field errors as `tests/snapshots/documented_errors.json` records them (a client reads them;
a change to one is a change to the API: `UPDATE_SNAPSHOTS=1` rewrites the file, and its diff is the review).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.dev_server import DevServer
from local.dynamodb_local import dynamodb_client
from tests.documented_errors import answer_mismatches
from tests.e2e.conftest import http_sender
from tests.error_recipes import CASES, RECIPES, Caller, request_in_progress
from tests.harness import REPO, clear_clients

SNAPSHOT = REPO / "tests" / "snapshots" / "documented_errors.json"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def loopback(dynamodb_endpoint: str, sqs_endpoint: str) -> Iterator[DevServer]:
    """`make dev`'s gateway and functions in this process, on tables and queues of their own."""
    saved = os.environ.get("SQS_ENDPOINT")
    os.environ["SQS_ENDPOINT"] = sqs_endpoint  # the session's queue engine, not one more of its own
    prefix = f"l{uuid.uuid4().hex[:10]}-"
    server = DevServer(
        REPO / "template.yaml",
        dynamodb_endpoint=dynamodb_endpoint,
        table_prefix=prefix,
        workers=0,
        event_sources=False,
    )
    # The functions run here and build their use cases when loaded: settings and clients an earlier test
    # cached from its own environment (its tables, maybe deleted since) must not serve this server's.
    clear_clients()
    try:
        with server:
            yield server
    finally:
        clear_clients()
        if saved is None:
            os.environ.pop("SQS_ENDPOINT", None)
        else:
            os.environ["SQS_ENDPOINT"] = saved
        client = dynamodb_client(dynamodb_endpoint)
        for name in server.table_names.values():
            client.delete_table(TableName=name)


def _recorded(document: Any) -> dict[str, Any]:
    """What the snapshot keeps of a problem: its detail and field errors, ids replaced by <id>."""
    kept = {key: document.get(key) for key in ("detail", "errors", "moreErrors") if key in document}
    recorded: dict[str, Any] = json.loads(UUID.sub("<id>", json.dumps(kept)))
    return recorded


def _snapshot() -> dict[str, Any]:
    if not SNAPSHOT.exists():
        return {}
    recorded: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return recorded


_UPDATED: dict[str, Any] = {}


@pytest.fixture(scope="module")
def snapshot() -> Iterator[dict[str, Any]]:
    recorded = _snapshot()
    yield recorded
    if os.environ.get("UPDATE_SNAPSHOTS") and _UPDATED:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        documented = {case.id for case in CASES}
        merged = {key: value for key, value in recorded.items() if key in documented} | _UPDATED
        SNAPSHOT.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n", encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_documented_error_is_answered_as_documented_by_the_functions_in_process(
    case: Any, loopback: DevServer, dynamodb_endpoint: str, snapshot: dict[str, Any]
) -> None:
    # Given the operation's recipe for this error, sent to the functions running in this process
    recipe = RECIPES[case.code]
    caller = Caller(
        loopback.base_url,
        http_sender(loopback.base_url),
        case,
        idempotency_table=loopback.table_names["IdempotencyTable"],
    )
    # When it is sent
    answer = recipe(caller, dynamodb_endpoint) if recipe is request_in_progress else recipe(caller)
    # Then the answer is the documented problem
    document = answer.document()
    assert answer_mismatches(case, answer.status, answer.headers, document) == [], answer.body
    # And its detail and field errors are the ones recorded
    recorded = _recorded(document)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        _UPDATED[case.id] = recorded
        return
    assert case.id in snapshot, f"{case.id}: not recorded yet: UPDATE_SNAPSHOTS=1 records it"
    assert recorded == snapshot[case.id]


def test_the_snapshot_records_only_documented_errors(snapshot: dict[str, Any]) -> None:
    # Given the recorded answers; Then each belongs to an error the document still declares
    assert set(snapshot) <= {case.id for case in CASES}, "stale entries: UPDATE_SNAPSHOTS=1 rewrites them"
    assert snapshot, "nothing recorded: UPDATE_SNAPSHOTS=1 records the answers"
