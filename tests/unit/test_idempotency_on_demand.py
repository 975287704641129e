"""The create function loads Powertools' idempotency (and boto3 with it) only when a request carries a
conversationrequestid, and before the SnapStart snapshot (messaging.usecases.idempotent_on_demand).

Each case runs in a fresh interpreter: what is imported is the subject. The create's DynamoDB calls go to
moto (the template's tables), single-threaded.
"""

from __future__ import annotations

from typing import Any

from tests.harness import REPO, run_fresh_interpreter

LAYER = REPO / "layers" / "shared"
FUNCTION = REPO / "functions" / "create_conversation"
SAMPLE = REPO / "events" / "create_conversation.with-context-and-startmessage.json"

# argv: "import" (import only, nothing called), "invoke-with-id", "invoke-without-id", "before-snapshot".
# moto (and so boto3) is loaded only by the invoking modes: boto3 is checked after the import alone.
CREATE = (
    r"""
import json, sys
sys.path[0:0] = [FUNCTION, LAYER, REPO]
mode = sys.argv[1]
IDEMPOTENCY = "aws_lambda_powertools.utilities.idempotency"
from tests.harness import environment, load_handler, table_environment
if mode == "import":
    from local.template import resources_of_type
    from tests.harness import TEMPLATE
    names = {name: name for name in resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")}
    with environment(table_environment(names)):
        load_handler("create_conversation")
    print(json.dumps({"idempotency": IDEMPOTENCY in sys.modules, "boto3": "boto3" in sys.modules}))
    raise SystemExit(0)
import snapshot_restore_py
from tests.unit.conftest import moto_environment
from local.events import lambda_context
with moto_environment():
    app = load_handler("create_conversation")
    status = None
    if mode == "before-snapshot":
        for func, args, kwargs in snapshot_restore_py.get_before_snapshot():
            func(*args, **kwargs)
    else:
        event = json.loads(open(SAMPLE).read())
        body = json.loads(event["body"])
        if mode == "invoke-without-id":
            body.pop("conversationrequestid")
        event["body"] = json.dumps(body)
        status = app.lambda_handler(event, lambda_context("create_conversation"))["statusCode"]
print(json.dumps({"idempotency": IDEMPOTENCY in sys.modules, "status": status}))
""".replace("FUNCTION", repr(str(FUNCTION)))
    .replace("LAYER", repr(str(LAYER)))
    .replace("REPO", repr(str(REPO)))
    .replace("SAMPLE", repr(str(SAMPLE)))
)


def run(mode: str) -> dict[str, Any]:
    return run_fresh_interpreter(CREATE, mode)


def test_importing_the_create_function_loads_neither_idempotency_nor_boto3() -> None:
    assert run("import") == {"idempotency": False, "boto3": False}


def test_a_create_without_a_conversationrequestid_never_loads_idempotency() -> None:
    assert run("invoke-without-id") == {"idempotency": False, "status": 201}


def test_a_create_with_a_conversationrequestid_loads_it_and_is_answered() -> None:
    assert run("invoke-with-id") == {"idempotency": True, "status": 201}


def test_with_snapstart_the_before_snapshot_hook_loads_it_into_the_snapshot() -> None:
    assert run("before-snapshot") == {"idempotency": True, "status": None}
