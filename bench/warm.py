"""Warm requests, in-process on DynamoDB Local: the product's create and close handlers against the
hand-written boto3 floor (bench.baseline_app) making the same DynamoDB calls.

Each pair of requests (product, floor) runs back to back, alternating which goes first, so both see the
same DynamoDB Local state and machine load; the ratio is the median over all pairs of product / floor (the
per-round medians show the spread). Handlers run one at a time (Powertools keeps the current event on its
class). Timed: the lambda_handler call alone (the event is built before).
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from bench.report import median
from bench.workload import close_event, create_event, memory_mb
from local.events import lambda_context
from tests.harness import load_handler

BASELINE_PATH = __file__.replace("warm.py", "baseline_app.py")


class CountingSink(io.TextIOBase):
    """Stands in for stdout during the run: Powertools' log lines and EMF metrics land here, counted."""

    def __init__(self) -> None:
        self.bytes_written = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes_written += len(text.encode("utf-8", "surrogatepass"))
        return len(text)


def stdout_sink() -> CountingSink:
    sink = sys.stdout
    if not isinstance(sink, CountingSink):
        raise RuntimeError("bench.run installs a CountingSink as sys.stdout before loading handlers")
    return sink


def load_baseline() -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_baseline_{time.monotonic_ns()}", BASELINE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Timed:
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    stdout_bytes: list[int] = field(default_factory=list)


@dataclass
class WarmResult:
    # operation ("create", "close") -> implementation ("product", "floor") -> samples, all rounds
    samples: dict[str, dict[str, Timed]]
    # operation -> round -> product / floor of each pair of requests
    pair_ratios: dict[str, list[list[float]]]

    def ratio(self, operation: str) -> float:
        return median(ratio for round_ in self.pair_ratios[operation] for ratio in round_)

    def round_ratios(self, operation: str) -> list[float]:
        return [median(round_) for round_ in self.pair_ratios[operation]]

    def median_ms(self, operation: str, implementation: str) -> float:
        return median(self.samples[operation][implementation].wall_ms)

    def median_cpu_ms(self, operation: str, implementation: str) -> float:
        return median(self.samples[operation][implementation].cpu_ms)

    def stdout_bytes(self, operation: str) -> float:
        return median(self.samples[operation]["product"].stdout_bytes)


def _timed(handler: Callable[..., Any], event: dict[str, Any], samples: Timed | None, name: str) -> Any:
    context = lambda_context(name, memory_mb=memory_mb("create_conversation"))
    sink = stdout_sink()
    written = sink.bytes_written
    cpu = time.thread_time()
    start = time.perf_counter()
    answer = handler(event, context)
    wall = time.perf_counter() - start
    cpu = time.thread_time() - cpu
    if samples is not None:
        samples.wall_ms.append(wall * 1000)
        samples.cpu_ms.append(cpu * 1000)
        samples.stdout_bytes.append(sink.bytes_written - written)
    return answer


def _conversation_id(answer: dict[str, Any], expected: int) -> str:
    if answer["statusCode"] != expected:
        raise RuntimeError(f"expected {expected}, got {answer['statusCode']}: {answer.get('body')}")
    conversation_id: str = json.loads(answer["body"])["conversationId"]
    return conversation_id


def measure_warm(rounds: int, per_round: int, warmup: int) -> WarmResult:
    product_create = load_handler("create_conversation")
    product_close = load_handler("close_conversation")
    baseline = load_baseline()
    handlers = {
        "product": (product_create.lambda_handler, product_close.lambda_handler),
        "floor": (baseline.lambda_handler, baseline.lambda_handler),
    }
    samples = {op: {impl: Timed() for impl in handlers} for op in ("create", "close")}
    pair_ratios: dict[str, list[list[float]]] = {"create": [], "close": []}
    run_id = time.time_ns()

    def one(impl: str, customerid: str, record: bool) -> None:
        create, close = handlers[impl]
        answer = _timed(create, create_event(customerid), samples["create"][impl] if record else None, impl)
        conversation_id = _conversation_id(answer, 201)
        answer = _timed(close, close_event(conversation_id), samples["close"][impl] if record else None, impl)
        if answer["statusCode"] != 200:
            raise RuntimeError(f"{impl} close answered {answer['statusCode']}: {answer.get('body')}")

    for i in range(warmup):
        for impl in handlers:
            one(impl, f"warmup-{run_id}-{impl}-{i}", record=False)
    for round_number in range(rounds):
        for ratios in pair_ratios.values():
            ratios.append([])
        for i in range(per_round):
            order = ("product", "floor") if i % 2 == 0 else ("floor", "product")
            for impl in order:
                one(impl, f"bench-{run_id}-{round_number}-{i}-{impl}", record=True)
            for op, ratios in pair_ratios.items():
                ratios[-1].append(samples[op]["product"].wall_ms[-1] / samples[op]["floor"].wall_ms[-1])
    return WarmResult(samples, pair_ratios)
