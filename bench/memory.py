"""Peak RSS of a warmed handler process: a fresh process per function imports the handler as Lambda does,
answers N requests against DynamoDB Local, and reports its high-water mark. Every API function of the template
is measured, each with its request from bench.workload.FRESH_REQUESTS (a new customer, or a new open
conversation created before by the product); the floor is the boto3 baseline handler in the same conditions,
answering the benchmarked operations in turn."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import LAYER, REPO
from bench.report import median
from bench.workload import (
    API_FUNCTIONS,
    FRESH_REQUESTS,
    Fresh,
    create_event,
    end_of_conversation_event,
    get_event,
    lambda_environment,
    list_event,
    queue_event,
    representative_event,
)
from local.events import lambda_context
from tests.harness import load_handler

CHILD = Path(__file__).with_name("rss_child.py")
FLOOR = "floor (boto3 baseline)"
READ_POOL = 10  # conversations the reads cycle through


@dataclass
class Rss:
    init_mb: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)


def measure_rss(
    table_names: dict[str, str], endpoint: str, requests: int, repetitions: int
) -> dict[str, Rss]:
    create = load_handler("create_conversation").lambda_handler
    run_id = time.time_ns()
    serial = itertools.count()

    def customer() -> str:
        return f"rss-{run_id}-{next(serial)}"

    def open_conversation() -> str:
        answer = create(create_event(customer()), lambda_context("seed"))
        if answer["statusCode"] != 201:
            raise RuntimeError(f"seeding a conversation failed: {answer}")
        conversation_id: str = json.loads(answer["body"])["conversationId"]
        return conversation_id

    readable = [open_conversation() for _ in range(READ_POOL)]
    reads = itertools.cycle(readable)
    fresh = Fresh(customer, open_conversation, lambda: next(reads))

    def floor_events() -> list[dict[str, Any]]:
        """The floor's share of each benchmarked operation, in turn."""
        events: list[dict[str, Any]] = []
        while len(events) < requests:
            conversation_id = open_conversation()
            events += [
                create_event(customer()),
                get_event(next(reads)),
                list_event(),
                queue_event(),
                representative_event(conversation_id, "accept"),
                end_of_conversation_event(open_conversation()),
            ]
        return events[:requests]

    def requests_of(function: str) -> Callable[[], list[dict[str, Any]]]:
        return lambda: [FRESH_REQUESTS[function](fresh) for _ in range(requests)]

    workloads = {function: (function, "app", requests_of(function)) for function in API_FUNCTIONS}
    workloads[FLOOR] = ("floor", "baseline_app", floor_events)
    results = {name: Rss() for name in workloads}
    with tempfile.TemporaryDirectory(prefix="bench-rss-") as scratch:
        for repetition in range(repetitions):
            for name, (function, module, events) in workloads.items():
                code_dir = CHILD.parent if function == "floor" else REPO / "functions" / function
                env = {**lambda_environment(function, table_names), "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
                events_path = Path(scratch) / f"events-{repetition}.json"
                result_path = Path(scratch) / f"result-{repetition}.json"
                events_path.write_text(json.dumps(events()), encoding="utf-8")
                _run(code_dir, module, env, events_path, result_path)
                result = json.loads(result_path.read_text(encoding="utf-8"))
                results[name].init_mb.append(result["init_kb"] / 1024)
                results[name].peak_mb.append(result["peak_kb"] / 1024)
                results[name].statuses = result["statuses"]
    return results


def _run(code_dir: Path, module: str, env: Mapping[str, str], events: Path, result: Path) -> None:
    command = [
        sys.executable,
        str(CHILD),
        str(code_dir),
        str(LAYER),
        module,
        str(REPO),
        str(events),
        str(result),
    ]
    done = subprocess.run(command, env=dict(env), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"RSS child {code_dir.name} failed:\n{done.stderr[-3000:]}")


def peak(rss: Rss) -> float:
    return median(rss.peak_mb)
