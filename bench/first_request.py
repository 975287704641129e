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
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
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
EMPTY_MODULE, EMPTY_HANDLER = "empty_app", "handler"  # beside floor_app: the harness alone
# Samples naming a conversation in their path run against one created by this function's main sample.
SEED_FUNCTION = "create_conversation"
PATH_ID = "conversationId"
# Instructions executed by the whole process (cachegrind without its cache simulation: 20 times slower than
# native, and the same count to within 0.1 % from run to run, where CPU time moves by a third here).
VALGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
_I_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


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


@dataclass(frozen=True)
class Instructions:
    """Instructions executed by each process of one counted pair (and the import-only runs), with the
    harness's own (bench/empty_app.py through the same child, no request) taken off both sides."""

    product_import: int
    product_first: int  # import + first request
    floor_import: int
    floor_first: int
    harness: int

    def ratio(self, figure: str) -> float:
        if figure == "import":
            return (self.product_import - self.harness) / (self.floor_import - self.harness)
        return (self.product_first - self.harness) / (self.floor_first - self.harness)

    def millions(self, side: str, figure: str) -> float:
        count = getattr(self, f"{side}_{figure}")
        return float(count - self.harness) / 1e6


@dataclass
class ColdStart:
    """A function's cold starts in one layout: its pairs with the floor, and its counted pair."""

    function: str
    sample: str  # file name in events/
    product: Side = field(default_factory=Side)
    floor: Side = field(default_factory=Side)
    faithful_replays: int = 0  # pairs where the floor saw the product's operations and errors
    counted: Instructions | None = None

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


def instructions_of(valgrind_stderr: str) -> int:
    found = _I_REFS.search(valgrind_stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{valgrind_stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


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
        self, layout: Layout, functions: Sequence[Function], repetitions: int, *, count: bool = False
    ) -> dict[str, ColdStart]:
        """A warm-up pair per function (file cache, bytecode caches of the cached layout), then
        `repetitions` rounds: every function once per round, rotated, each pair back to back; `count`: then
        one pair per function under valgrind, and the import-only runs (ColdStart.counted)."""
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
        if count:
            self._count(layout, functions, results)
        return results

    def _count(self, layout: Layout, functions: Sequence[Function], results: dict[str, ColdStart]) -> None:
        """The counted runs. Counts do not depend on what else runs, so the import-only ones (no tables)
        run on a second thread while the pairs (tables cleared per pair) run one after the other."""
        with ThreadPoolExecutor(1) as pool:
            harness = pool.submit(self.imported, layout, FLOOR, EMPTY_MODULE, EMPTY_HANDLER)
            floor = pool.submit(self.imported, layout, FLOOR, FLOOR_MODULE, FLOOR_CLIENT)
            alone = {
                f.folder: pool.submit(self.imported, layout, f.folder, f.module, f.handler_name)
                for f in functions
            }
            pairs = {f.folder: self.pair(layout, f, counted=True) for f in functions}
            for folder, (product, floor_run) in pairs.items():
                results[folder].counted = Instructions(
                    product_import=alone[folder].result()["instructions"],
                    product_first=product["instructions"],
                    floor_import=floor.result()["instructions"],
                    floor_first=floor_run["instructions"],
                    harness=harness.result()["instructions"],
                )

    def pair(
        self, layout: Layout, function: Function, *, counted: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One product run and its floor's, back to back; `counted`: both under valgrind (their results
        get "instructions")."""
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
            counted=counted,
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
            counted=counted,
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

    def imported(self, layout: Layout, target: str, module: str, handler: str) -> dict[str, Any]:
        """The import alone (no request), counted: the import-only instruction figure."""
        return self._run(
            layout, target, module, handler, self._product_tables, {"mode": "import"}, counted=True
        )

    def _run(  # noqa: PLR0917 - one child: where, what, and with which tables
        self,
        layout: Layout,
        target: str,
        module: str,
        handler: str,
        tables: Mapping[str, str],
        work: dict[str, Any],
        *,
        counted: bool = False,
    ) -> dict[str, Any]:
        run = f"{self._serial}-{target}-{uuid.uuid4().hex[:8]}"  # imported() runs on another thread
        work_path = self._scratch / f"work-{run}.json"
        result_path = self._scratch / f"result-{run}.json"
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
            *(VALGRIND if counted else []),
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
        if counted:
            result["instructions"] = instructions_of(done.stderr)
        work_path.unlink()
        result_path.unlink()
        return result


def measure_cold_starts(
    client: DynamoDBClient,
    endpoint: str,
    samples: Mapping[str, Path],
    runs: Sequence[tuple[Layout, Sequence[Function], int]],
    *,
    count: bool = False,
) -> dict[str, dict[str, ColdStart]]:
    """layout name -> function folder -> its pairs (and `count`: its counted pair)."""
    if count and shutil.which(VALGRIND[0]) is None:
        raise RuntimeError("the cold-start instruction counts need valgrind: apt-get install valgrind")
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as scratch:
        cold = ColdStarts(client, endpoint, samples, Path(scratch))
        try:
            return {
                layout.name: cold.measure(layout, functions, repetitions, count=count)
                for layout, functions, repetitions in runs
            }
        finally:
            cold.close()
