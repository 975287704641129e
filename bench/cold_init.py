"""The two code layouts a cold start is measured in, and `-X importtime` of one handler against the floor.

The cold starts themselves (import, then the first request, against the floor replaying the same DynamoDB
calls) are bench.first_request's; this module gives them their layouts:

- `cached`: the repository (functions/<name>, layers/shared, the venv) with bytecode caches in place, as on a
  machine that has imported the code before. This is the best case.
- `as shipped`: the layer as `make build` ships it (pip-installed for this host, plus the unchecked-hash
  bytecode of the modules the functions import, see local/layer_bytecode.py) and the function folder copied
  without __pycache__, run with -B: Lambda's /opt and /var/task are read-only, so whatever is not shipped
  compiled is compiled at every cold start. boto3 (the runtime's) keeps its bytecode in both cases.

import_costs runs bench/cold_child.py (the import alone) under `-X importtime`, several times, and groups
the self times of the modules the floor does not load.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import LAYER, REPO
from bench.report import median

CHILD = Path(__file__).with_name("cold_child.py")
FLOOR = "floor"
CACHED, SHIPPED = "cached", "as shipped"  # the layouts' names
_IMPORT_TIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


@dataclass(frozen=True)
class Layout:
    name: str
    layer_dir: Path
    code_dirs: Mapping[str, Path]  # target -> folder holding its module
    compile_every_time: bool


def module_of(target: str) -> str:
    return "floor_app" if target == FLOOR else "app"


def cached_layout(functions: Sequence[str]) -> Layout:
    code_dirs = {FLOOR: CHILD.parent, **{name: REPO / "functions" / name for name in functions}}
    return Layout(CACHED, LAYER, code_dirs, compile_every_time=False)


def shipped_layout(functions: Sequence[str], layer_python: Path, scratch: Path) -> Layout:
    code_dirs = {}
    for target in (FLOOR, *functions):
        folder = scratch / "task" / target
        if target == FLOOR:
            folder.mkdir(parents=True, exist_ok=True)
            for module in ("floor_app.py", "empty_app.py"):
                shutil.copy2(CHILD.parent / module, folder / module)
        else:  # the function's folder as sam build packs it: no bytecode
            shutil.copytree(
                REPO / "functions" / target, folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        code_dirs[target] = folder
    return Layout(SHIPPED, layer_python, code_dirs, compile_every_time=True)


def run_child(
    layout: Layout, target: str, env: Mapping[str, str], *, importtime: bool = False
) -> tuple[dict[str, float], float, str]:
    flags = ["-B"] if layout.compile_every_time else []
    if importtime:
        flags += ["-X", "importtime"]
    command = [sys.executable, *flags, str(CHILD), str(layout.code_dirs[target]), str(layout.layer_dir)]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, module_of(target)], env=dict(env), capture_output=True, text=True, check=False
    )
    wall_ms = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"cold init of {target} ({layout.name}) failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result, wall_ms, done.stderr


def import_self_times(stderr: str) -> dict[str, int]:
    """module -> self time in µs, from `-X importtime` output."""
    times: dict[str, int] = {}
    for line in stderr.splitlines():
        found = _IMPORT_TIME.match(line)
        if found:
            times[found.group(4)] = int(found.group(1))
    return times


_PYDANTIC_FAMILY = ("pydantic", "pydantic_core", "annotated_types", "typing_inspection", "typing_extensions")
PYDANTIC = "pydantic (+ pydantic_core, annotated_types, typing_inspection, typing_extensions)"


def _group(module: str) -> str:
    """Powertools by sub-package (event_handler.openapi, utilities.idempotency...), messaging by module,
    pydantic and its dependencies as one, anything else (the standard library) by top-level name."""
    parts = module.split(".")
    if parts[0] in _PYDANTIC_FAMILY:
        return PYDANTIC
    if parts[0] == "aws_lambda_powertools":
        return ".".join(parts[:3])
    if parts[0] == "messaging":
        return ".".join(parts[:2])
    return parts[0]


@dataclass(frozen=True)
class ImportCosts:
    handler_total_ms: float  # sum of self times, as -X importtime sees them (it slows imports down)
    floor_total_ms: float
    added_ms: float  # self time of modules the floor does not load
    top: list[tuple[str, float, int]]  # (module group, ms, modules), modules the floor does not load


def import_costs(
    layout: Layout, target: str, environments: Mapping[str, Mapping[str, str]], runs: int = 3
) -> ImportCosts:
    handler_runs = [import_self_times(run_child(layout, target, environments[target], importtime=True)[2])]
    floor_runs = [import_self_times(run_child(layout, FLOOR, environments[FLOOR], importtime=True)[2])]
    for _ in range(runs - 1):
        handler_runs.append(
            import_self_times(run_child(layout, target, environments[target], importtime=True)[2])
        )
        floor_runs.append(
            import_self_times(run_child(layout, FLOOR, environments[FLOOR], importtime=True)[2])
        )
    in_floor = set().union(*floor_runs)
    grouped: dict[str, list[float]] = defaultdict(lambda: [0.0] * runs)
    counts: dict[str, set[str]] = defaultdict(set)
    for run, times in enumerate(handler_runs):
        for module, self_us in times.items():
            if module not in in_floor:
                grouped[_group(module)][run] += self_us / 1000
                counts[_group(module)].add(module)
    if "app" in grouped:  # the module body creates a client, as the floor's body does: count only the rest
        body = "app (module body beyond the floor's)"
        grouped[body] = [
            ms - floor.get("floor_app", 0) / 1000
            for ms, floor in zip(grouped.pop("app"), floor_runs, strict=True)
        ]
        counts[body] = counts.pop("app")
    top = sorted(((name, median(ms), len(counts[name])) for name, ms in grouped.items()), key=lambda g: -g[1])
    return ImportCosts(
        handler_total_ms=median(sum(t.values()) / 1000 for t in handler_runs),
        floor_total_ms=median(sum(t.values()) / 1000 for t in floor_runs),
        added_ms=sum(ms for _, ms, _ in top),
        top=top,
    )
