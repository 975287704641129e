"""The pure parts of the bench's cold-start measurement: which functions and samples, and the floor's replay
of the product's DynamoDB calls (on a fake client: no timing here, ever)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bench.cost import (
    ASSUMED_COLD_START_SHARE,
    ASSUMED_SNAPSTART_HOURS,
    ASSUMED_SNAPSTART_VERSIONS,
    SNAPSTART_CACHE_PER_GB_SECOND,
    SNAPSTART_RESTORE_PER_GB,
    snapstart_line,
)
from bench.first_request import CHILD, REPLAY, Instructions, instructions_of, with_seeded_ids
from bench.functions import SampleError, functions_of, main_sample, main_samples
from bench.replay import Call, from_json_value, rename_tables, replay, to_json_value
from local.template import load_template
from tests.harness import REPO

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Handler: app.lambda_handler, Runtime: python3.13}
Resources:
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/api_one/
      Events: {Read: {Type: HttpApi, Properties: {Method: GET, Path: /x}}}
  ConsumerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/consumer
      Handler: main.handle
      Events: {Stream: {Type: DynamoDB, Properties: {Stream: arn, StartingPosition: LATEST}}}
  Table:
    Type: AWS::DynamoDB::Table
"""


def test_functions_come_from_the_template_with_their_folder_module_and_kind(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    api, consumer = functions_of(load_template(path))
    assert (api.folder, api.logical_id, api.module, api.handler_name, api.api) == (
        "api_one",
        "ApiFunction",
        "app",
        "lambda_handler",
        True,
    )
    assert (consumer.folder, consumer.module, consumer.handler_name, consumer.api) == (
        "consumer",
        "main",
        "handle",
        False,
    )


def test_the_main_sample_is_the_first_case_in_sort_order() -> None:
    names = ["get.b.json", "get.a.json", "get_more.0.json", "get.json", "other.a.json", "get.c.txt"]
    assert main_sample("get", names, {}) == "get.a.json"


def test_a_main_case_overrides_the_sort_order_and_must_exist() -> None:
    names = ["create.invalid.json", "create.new.json"]
    assert main_sample("create", names, {"create": "new"}) == "create.new.json"
    with pytest.raises(SampleError, match=r"create\.gone\.json"):
        main_sample("create", names, {"create": "gone"})


def test_a_function_without_samples_is_an_error() -> None:
    with pytest.raises(SampleError, match=r"events/close\.<case>\.json"):
        main_sample("close", ["create.new.json"], {})


def test_every_function_of_the_repository_has_a_main_sample() -> None:
    functions = functions_of(load_template(REPO / "template.yaml"))
    samples = main_samples(functions, REPO / "events")
    assert set(samples) == {function.folder for function in functions}
    assert all(path.is_file() for path in samples.values())
    assert samples["create_conversation"].name == "create_conversation.with-context-and-startmessage.json"


def test_a_sample_naming_a_conversation_gets_the_seeded_id_everywhere() -> None:
    event = {
        "rawPath": "/conversation/old-id",
        "pathParameters": {"conversationId": "old-id"},
        "body": '{"conversation": {"id": "old-id"}}',
    }
    seeded = with_seeded_ids(event, lambda: "new-id")
    assert seeded == {
        "rawPath": "/conversation/new-id",
        "pathParameters": {"conversationId": "new-id"},
        "body": '{"conversation": {"id": "new-id"}}',
    }
    untouched = {"body": "{}"}
    assert with_seeded_ids(untouched, lambda: pytest.fail("no seed without a conversation in the path")) is (
        untouched
    )


def test_table_names_are_renamed_in_values_and_keys_only_when_equal() -> None:
    params = {
        "RequestItems": {"a-Conversations": {"Keys": [{"pk": {"S": "a-Conversations#1"}}]}},
        "TransactItems": [{"Put": {"TableName": "a-Contacts", "Item": {"n": {"N": "1"}}}}],
    }
    assert rename_tables(params, {"a-Conversations": "b-Conversations", "a-Contacts": "b-Contacts"}) == {
        "RequestItems": {"b-Conversations": {"Keys": [{"pk": {"S": "a-Conversations#1"}}]}},
        "TransactItems": [{"Put": {"TableName": "b-Contacts", "Item": {"n": {"N": "1"}}}}],
    }


def test_recorded_params_survive_json_with_their_bytes() -> None:
    call = Call("request", "dynamodb", "PutItem", {"Item": {"b": {"B": b"\x00\xff"}, "ok": {"BOOL": True}}})
    assert Call.from_json(call.to_json()) == call
    assert from_json_value(to_json_value({"l": (1, 2)})) == {"l": [1, 2]}
    with pytest.raises(TypeError):
        to_json_value({"x": object()})


class FakeClient:
    """Records calls by method name; fails the ones named in `failing` with a ClientError."""

    def __init__(self, failing: dict[str, str]) -> None:
        self.made: list[tuple[str, dict[str, Any]]] = []
        self._failing = failing

    def __getattr__(self, method: str) -> Any:
        def call(**params: Any) -> dict[str, Any]:
            self.made.append((method, params))
            if method in self._failing:
                error = {"Error": {"Code": self._failing[method], "Message": "no"}}
                raise ClientError(error, method)  # type: ignore[arg-type]
            return {}

        return call


def test_replay_makes_every_call_in_order_and_carries_on_after_a_failed_one() -> None:
    calls = [
        Call("init", "dynamodb", "DescribeTable", {"TableName": "t"}),
        Call(
            "request", "dynamodb", "TransactWriteItems", {"TransactItems": []}, "TransactionCanceledException"
        ),
        Call("request", "dynamodb", "GetItem", {"TableName": "t", "Key": {"pk": {"S": "1"}}}),
    ]
    client = FakeClient({"transact_write_items": "TransactionCanceledException"})
    assert replay(client, calls) == [None, "TransactionCanceledException", None]
    assert client.made == [
        ("describe_table", {"TableName": "t"}),
        ("transact_write_items", {"TransactItems": []}),
        ("get_item", {"TableName": "t", "Key": {"pk": {"S": "1"}}}),
    ]


STUBBED_HANDLER = """
import botocore.session
from botocore.stub import Stubber

# A client from a botocore session, not boto3: the child records whatever client makes the call.
client = botocore.session.get_session().create_client(
    "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
)
stubber = Stubber(client)
stubber.add_response("get_item", {}, {"TableName": "t", "Key": {"pk": {"S": "1"}}})
stubber.add_client_error("put_item", "ConditionalCheckFailedException")
stubber.activate()


def lambda_handler(event, context):
    client.get_item(TableName="t", Key={"pk": {"S": "1"}})
    try:
        client.put_item(TableName="t", Item={"pk": {"S": context.function_name}})
    except client.exceptions.ConditionalCheckFailedException:
        pass
    return {"statusCode": 200 if event["ok"] else 500}
"""


def run_stubbed_child(tmp_path: Path, work: dict[str, Any]) -> dict[str, Any]:
    """bench/first_child.py on the stubbed handler, with `work` (mode, event) and the usual invocation."""
    (tmp_path / "stubbed_app.py").write_text(STUBBED_HANDLER)
    work_path, result = tmp_path / "work.json", tmp_path / "result.json"
    work_path.write_text(
        json.dumps(
            {
                **work,
                "replay_module": str(REPLAY),
                "function_name": "fn",
                "memory_mb": 256,
                "request_id": "r-1",
                "timeout_s": 10.0,
            }
        )
    )
    command = [
        sys.executable,
        str(CHILD),
        str(tmp_path),
        "-",
        "stubbed_app",
        "lambda_handler",
        str(work_path),
    ]
    subprocess.run([*command, str(result)], check=True, capture_output=True, env={"PATH": "/usr/bin:/bin"})
    answer: dict[str, Any] = json.loads(result.read_text())
    return answer


def test_the_child_times_import_and_first_request_and_records_every_call(tmp_path: Path) -> None:
    answer = run_stubbed_child(tmp_path, {"mode": "invoke", "event": {"ok": True}})
    assert answer["status"] == 200
    # Both figures are there, wall and CPU (their values are the bench's business, never a test's).
    assert all(
        isinstance(answer[key], float) for key in ("import_ms", "import_cpu_ms", "first_ms", "first_cpu_ms")
    )
    assert [Call.from_json(call) for call in answer["calls"]] == [
        Call("request", "dynamodb", "GetItem", {"TableName": "t", "Key": {"pk": {"S": "1"}}}),
        Call(
            "request",
            "dynamodb",
            "PutItem",
            {"TableName": "t", "Item": {"pk": {"S": "fn"}}},
            "ConditionalCheckFailedException",
        ),
    ]


def test_the_childs_import_mode_imports_and_makes_no_request(tmp_path: Path) -> None:
    # Given a handler that would call DynamoDB when invoked
    # When the child runs it in import mode (the import-only instruction count)
    answer = run_stubbed_child(tmp_path, {"mode": "import"})
    # Then the handler was never called: no answer, no call
    assert (answer["status"], answer["calls"]) == (None, [])


def test_an_instruction_count_is_read_from_valgrinds_summary() -> None:
    stderr = (
        "==12== Cachegrind, a high-precision tracing profiler\n==12== \n==12== I   refs:      1,144,804,400\n"
    )
    assert instructions_of(stderr) == 1_144_804_400
    with pytest.raises(RuntimeError, match="no instruction count"):
        instructions_of("==12== ERROR SUMMARY: 0 errors")


def test_instruction_ratios_take_the_harness_off_both_sides() -> None:
    # Given the harness alone at 100 M, the floor's import at 300 M and its import + replay at 310 M
    counted = Instructions(
        product_import=340_000_000,
        product_first=360_000_000,
        floor_import=300_000_000,
        floor_first=310_000_000,
        harness=100_000_000,
    )
    # Then each ratio compares what the handler and the floor added to the harness
    assert counted.ratio("import") == pytest.approx(240 / 200)
    assert counted.ratio("first") == pytest.approx(260 / 210)
    assert counted.millions("product", "first") == pytest.approx(260)


def test_snapstart_costs_its_cache_by_the_hour_and_its_restores_by_cold_start() -> None:
    line = snapstart_line({"a": 256, "b": 256, "c": 256}, invocations=2)
    cache = (
        3 * ASSUMED_SNAPSTART_VERSIONS * 0.25 * ASSUMED_SNAPSTART_HOURS * 3600 * SNAPSTART_CACHE_PER_GB_SECOND
    )
    restores = 2_000_000 * ASSUMED_COLD_START_SHARE * 0.25 * SNAPSTART_RESTORE_PER_GB
    assert line.dollars == pytest.approx(cache + restores)
    assert not line.in_goal
