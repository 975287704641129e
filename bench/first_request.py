"""Cold start as a user waits for it: a fresh interpreter imports the handler, then answers its first request
(the function's main sample from events/, bench.functions) against DynamoDB Local. The floor, in a fresh
interpreter too, imports boto3, creates one DynamoDB client and makes the same DynamoDB calls.

Two sets of tables from template.yaml (local.tables), A for the product and B for the floor, both emptied
before each pair (one product run and its floor's run, back to back):
1. A sample that names a conversation in its path (pathParameters.conversationId) gets one: the create
   function's main sample is invoked in this process on A, and every occurrence of the sample's id in the
   event is replaced by the new id (the "setup" of a sample; other samples run as they are).
2. Every item of A is copied into B: the floor starts from the same data.
3. The product's process (bench/first_child.py, mode invoke) runs the event on A, recording every botocore
   call it makes (operation, params as passed, error code).
4. The floor's process (mode replay) makes the product's DynamoDB calls again, in order, on B: the same
   params with A's table names replaced by B's. A call that failed for the product (a conditional check,
   a cancelled transaction) fails the same way for the floor; its error is caught. The floor records its
   own calls too, and the pair counts as replayed faithfully when both saw the same operations with the
   same error codes.

Calls the product makes while its module is imported are replayed in the floor's first request (its
import is only `import boto3` + the client): the import-only ratio would then favour the floor, the
init + first request ratio stays fair. No API function makes any today (the report shows the count).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.cold_init import FLOOR, Layout
from bench.functions import Function
from bench.replay import Call, rename_tables
from bench.report import median
from bench.workload import TEMPLATE, lambda_environment, memory_mb
from local.events import lambda_context
from local.tables import create_tables
from local.template import resources_of_type
from tests.harness import environment, load_handler

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CHILD = Path(__file__).with_name("first_child.py")
REPLAY = Path(__file__).with_name("replay.py")
FLOOR_MODULE, FLOOR_CLIENT = "floor_app", "client"
# Samples naming a conversation in their path run against one created by this function's main sample.
SEED_FUNCTION = "create_conversation"
PATH_ID = "conversationId"


@dataclass
class Side:
    """One side (product or floor) of a function's pairs: per-run figures, in ms."""

    import_ms: list[float] = field(default_factory=list)  # wall, inside the child
    import_cpu_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)  # import + first request
    first_cpu_ms: list[float] = field(default_factory=list)
    modules_after_import: int = 0
    modules_by_first_request: int = 0
    status: int | None = None  # of the last run
    calls: list[Call] = field(default_factory=list)  # of the last run

    def add(self, result: Mapping[str, Any]) -> None:
        self.import_ms.append(float(result["import_ms"]))
        self.import_cpu_ms.append(float(result["import_cpu_ms"]))
        self.first_ms.append(float(result["first_ms"]))
        self.first_cpu_ms.append(float(result["first_cpu_ms"]))
        self.modules_after_import = int(result["modules_after_import"])
        self.modules_by_first_request = int(result["modules_by_first_request"])
        self.status = result["status"]
        self.calls = [Call.from_json(call) for call in result["calls"]]

    def figure(self, name: str, *, wall: bool = False) -> list[float]:
        """name: "import" (the import-only figure) or "first" (init + first request)."""
        if name == "import":
            return self.import_ms if wall else self.import_cpu_ms
        return self.first_ms if wall else self.first_cpu_ms


@dataclass
class ColdStart:
    """A function's cold starts in one layout: its pairs with the floor."""

    function: str
    sample: str  # file name in events/
    product: Side = field(default_factory=Side)
    floor: Side = field(default_factory=Side)
    faithful_replays: int = 0  # pairs where the floor saw the product's operations and errors

    @property
    def pairs(self) -> int:
        return len(self.product.import_ms)

    def ratio(self, figure: str, *, wall: bool = False) -> float:
        """Median over pairs of product / floor (CPU time unless wall)."""
        mine, floor = self.product.figure(figure, wall=wall), self.floor.figure(figure, wall=wall)
        return median(a / b for a, b in zip(mine, floor, strict=True))

    def median_ms(self, side: str, figure: str, *, wall: bool = False) -> float:
        return median((self.product if side == "product" else self.floor).figure(figure, wall=wall))

    def first_request_ms(self, side: str, *, wall: bool = False) -> float:
        """Median of the first request alone: (import + first request) - import, run by run."""
        timed = self.product if side == "product" else self.floor
        pairs = zip(timed.figure("first", wall=wall), timed.figure("import", wall=wall), strict=True)
        return median(first - imported for first, imported in pairs)


def outcomes(calls: Sequence[Call]) -> list[tuple[str, str | None]]:
    return [(call.operation, call.error) for call in calls]


def with_seeded_ids(event: dict[str, Any], seed: Callable[[], str]) -> dict[str, Any]:
    """The sample's setup: a sample naming a conversation in its path gets a real one (seed() creates it
    and returns its id), written everywhere the sample had its id (path, raw path, body)."""
    sample_id = (event.get("pathParameters") or {}).get(PATH_ID)
    if not sample_id:
        return event
    new_id = seed()
    rewritten: dict[str, Any] = json.loads(json.dumps(event).replace(sample_id, new_id))
    return rewritten


def copy_items(client: DynamoDBClient, source: Mapping[str, str], target: Mapping[str, str]) -> int:
    """Every item of each source table into the target table of the same logical id."""
    copied = 0
    for logical_id, table in source.items():
        for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            for item in page.get("Items", []):
                client.put_item(TableName=target[logical_id], Item=item)
                copied += 1
    return copied


def key_names(template: dict[str, Any]) -> dict[str, list[str]]:
    """logical id -> the key attributes of each table of the template."""
    return {
        logical_id: [part["AttributeName"] for part in resource["Properties"]["KeySchema"]]
        for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items()
    }


def clear_tables(client: DynamoDBClient, tables: Mapping[str, str], keys: Mapping[str, list[str]]) -> None:
    """Deletes every item: the tables are as new again (the bench's items are few)."""
    for logical_id, table in tables.items():
        for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            for item in page.get("Items", []):
                client.delete_item(TableName=table, Key={key: item[key] for key in keys[logical_id]})


def drop_tables(client: DynamoDBClient, tables: Mapping[str, str]) -> None:
    # DynamoDB Local's TTL sweeper slows down with every table it has to visit.
    for table in tables.values():
        client.delete_table(TableName=table)


class ColdStarts:
    """Runs pairs on two sets of tables (A for the product, B for the floor), emptied before each pair."""

    def __init__(
        self, client: DynamoDBClient, endpoint: str, samples: Mapping[str, Path], scratch: Path
    ) -> None:
        self._client = client
        self._endpoint = endpoint
        self._samples = samples
        self._scratch = scratch
        self._serial = 0
        run = f"c{uuid.uuid4().hex[:8]}"
        self._product_tables = create_tables(client, TEMPLATE, prefix=f"{run}-a-")
        self._floor_tables = create_tables(client, TEMPLATE, prefix=f"{run}-b-")
        self._keys = key_names(TEMPLATE)
        self._seed_handler: Callable[..., Any] | None = None

    def close(self) -> None:
        drop_tables(self._client, self._product_tables)
        drop_tables(self._client, self._floor_tables)

    def measure(
        self, layout: Layout, functions: Sequence[Function], repetitions: int
    ) -> dict[str, ColdStart]:
        """A warm-up pair per function (file cache, bytecode caches of the cached layout), then
        `repetitions` rounds: every function once per round, rotated, each pair back to back."""
        results = {f.folder: ColdStart(f.folder, self._samples[f.folder].name) for f in functions}
        for function in functions:
            self.pair(layout, function)
        for repetition in range(repetitions):
            shift = repetition % len(functions)
            for function in [*functions[shift:], *functions[:shift]]:
                product, floor = self.pair(layout, function)
                cold = results[function.folder]
                cold.product.add(product)
                cold.floor.add(floor)
                if outcomes(cold.product.calls) == outcomes(cold.floor.calls):
                    cold.faithful_replays += 1
        return results

    def pair(self, layout: Layout, function: Function) -> tuple[dict[str, Any], dict[str, Any]]:
        self._serial += 1
        clear_tables(self._client, self._product_tables, self._keys)
        clear_tables(self._client, self._floor_tables, self._keys)
        sample: dict[str, Any] = json.loads(self._samples[function.folder].read_text(encoding="utf-8"))
        event = with_seeded_ids(sample, self._seed)
        copy_items(self._client, self._product_tables, self._floor_tables)
        product = self._run(
            layout,
            function.folder,
            function.module,
            function.handler_name,
            self._product_tables,
            {"mode": "invoke", "event": event},
        )
        names = {self._product_tables[logical_id]: name for logical_id, name in self._floor_tables.items()}
        recorded = [Call.from_json(call) for call in product["calls"]]
        others = sorted({call.service for call in recorded} - {"dynamodb"})
        if others:
            raise RuntimeError(f"{function.folder} calls {others}: the floor replays DynamoDB calls only")
        to_replay = [
            Call(call.phase, call.service, call.operation, rename_tables(call.params, names), call.error)
            for call in recorded
        ]
        floor = self._run(
            layout,
            FLOOR,
            FLOOR_MODULE,
            FLOOR_CLIENT,
            self._floor_tables,
            {"mode": "replay", "calls": [call.to_json() for call in to_replay]},
        )
        return product, floor

    def _seed(self) -> str:
        """A conversation on the product's tables, by the create function's main sample."""
        sample = json.loads(self._samples[SEED_FUNCTION].read_text(encoding="utf-8"))
        env = {
            **lambda_environment(SEED_FUNCTION, dict(self._product_tables)),
            "AWS_ENDPOINT_URL_DYNAMODB": self._endpoint,
        }
        with environment(env):
            if self._seed_handler is None:  # its module binds the tables and the endpoint at import
                self._seed_handler = load_handler(SEED_FUNCTION).lambda_handler
            answer = self._seed_handler(sample, lambda_context(SEED_FUNCTION))
        if answer["statusCode"] not in (200, 201):
            raise RuntimeError(f"seeding with {SEED_FUNCTION}'s sample failed: {answer}")
        conversation_id: str = json.loads(answer["body"])[PATH_ID]
        return conversation_id

    def _run(  # noqa: PLR0917 - one child: where, what, and with which tables
        self,
        layout: Layout,
        target: str,
        module: str,
        handler: str,
        tables: Mapping[str, str],
        work: dict[str, Any],
    ) -> dict[str, Any]:
        work_path = self._scratch / f"work-{self._serial}-{target}.json"
        result_path = self._scratch / f"result-{self._serial}-{target}.json"
        function_name = "floor" if target == FLOOR else target
        work_path.write_text(
            json.dumps(
                {
                    **work,
                    "replay_module": str(REPLAY),
                    "function_name": function_name,
                    "memory_mb": memory_mb(SEED_FUNCTION if target == FLOOR else target),
                    "request_id": str(uuid.uuid4()),
                    "timeout_s": 10.0,
                }
            ),
            encoding="utf-8",
        )
        env = {**lambda_environment(target, dict(tables)), "AWS_ENDPOINT_URL_DYNAMODB": self._endpoint}
        flags = ["-B"] if layout.compile_every_time else []
        command = [
            sys.executable,
            *flags,
            str(CHILD),
            str(layout.code_dirs[target]),
            str(layout.layer_dir),
            module,
            handler,
            str(work_path),
            str(result_path),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"cold start of {target} ({layout.name}) failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
        work_path.unlink()
        result_path.unlink()
        return result


def measure_cold_starts(
    client: DynamoDBClient,
    endpoint: str,
    samples: Mapping[str, Path],
    runs: Sequence[tuple[Layout, Sequence[Function], int]],
) -> dict[str, dict[str, ColdStart]]:
    """layout name -> function folder -> its pairs."""
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as scratch:
        cold = ColdStarts(client, endpoint, samples, Path(scratch))
        try:
            return {
                layout.name: cold.measure(layout, functions, repetitions)
                for layout, functions, repetitions in runs
            }
        finally:
            cold.close()
