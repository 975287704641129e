"""Cost of 1M conversations (1M creates + 1M closes) at on-demand list prices, us-east-1.

Prices: the public pricing pages named below, first tier, us-east-1; transcribed 2026-11-27 by hand (the
bench never fetches them). Re-check them before quoting a figure outside this repository.
- Amazon API Gateway pricing (aws.amazon.com/api-gateway/pricing): HTTP APIs, $1.00 per million requests
  (first 300 million per month; each request metered in 512 KB increments).
- AWS Lambda pricing (aws.amazon.com/lambda/pricing): Arm, $0.0000133334 per GB-second (first 7.5 billion
  GB-s per month), $0.20 per million requests. Duration is billed per 1 ms, rounded up; since 2025-08-01 the
  INIT phase of on-demand ZIP functions on managed runtimes is billed as duration too.
- Amazon DynamoDB pricing, on-demand (aws.amazon.com/dynamodb/pricing/on-demand): Standard table class,
  $0.625 per million write request units, $0.125 per million read request units (after the 2024-11-01
  on-demand price reduction).
- Amazon CloudWatch pricing (aws.amazon.com/cloudwatch/pricing): logs ingestion (standard), $0.50 per GB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

HTTP_API_PER_MILLION_REQUESTS = 1.00
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334
LAMBDA_PER_MILLION_REQUESTS = 0.20
DYNAMODB_PER_MILLION_WRU = 0.625
DYNAMODB_PER_MILLION_RRU = 0.125
CLOUDWATCH_LOGS_PER_GB_INGESTED = 0.50

# Not measurable locally: how many invocations start a new execution environment. An assumption, shown as
# one in the report; the init duration it multiplies is measured (cold init, as-shipped layout).
ASSUMED_COLD_START_SHARE = 0.01
# Lambda gives a function a CPU share proportional to memory: one full vCPU at 1,769 MB (Lambda docs).
MB_PER_VCPU = 1769

CONVERSATIONS = 1_000_000


@dataclass(frozen=True)
class Operation:
    """One API operation as measured: warm duration, CPU time, request units, bytes logged."""

    name: str
    warm_ms: float
    cpu_ms: float
    init_ms: float
    write_units: float
    read_units: float
    log_bytes: float


@dataclass(frozen=True)
class Line:
    item: str
    dollars: float
    basis: str
    in_goal: bool = True


def cost_lines(operations: list[Operation], memory_mb: int) -> list[Line]:
    """Per 1M conversations: each operation runs once per conversation."""
    gb = memory_mb / 1024
    n = CONVERSATIONS
    requests = n * len(operations)
    names = " + ".join(op.name for op in operations)
    billed_ms = {op.name: math.ceil(op.warm_ms) for op in operations}
    gb_seconds = sum(n * billed_ms[op.name] / 1000 * gb for op in operations)
    init_gb_seconds = sum(n * ASSUMED_COLD_START_SHARE * op.init_ms / 1000 * gb for op in operations)
    wru = sum(op.write_units for op in operations)
    rru = sum(op.read_units for op in operations)
    log_gb = sum(n * op.log_bytes for op in operations) / 1e9
    scaled_ms = {op.name: op.warm_ms - op.cpu_ms + op.cpu_ms * MB_PER_VCPU / memory_mb for op in operations}
    scaled_gb_seconds = sum(n * math.ceil(scaled_ms[op.name]) / 1000 * gb for op in operations)
    durations = ", ".join(f"{op.name} {billed_ms[op.name]} ms" for op in operations)
    return [
        Line(
            "API Gateway HTTP API requests",
            requests / 1e6 * HTTP_API_PER_MILLION_REQUESTS,
            f"{requests / 1e6:.0f}M requests ({names}) × ${HTTP_API_PER_MILLION_REQUESTS:.2f}/M",
        ),
        Line(
            "Lambda requests",
            requests / 1e6 * LAMBDA_PER_MILLION_REQUESTS,
            f"{requests / 1e6:.0f}M × ${LAMBDA_PER_MILLION_REQUESTS:.2f}/M",
        ),
        Line(
            "Lambda duration (arm64, warm)",
            gb_seconds * LAMBDA_ARM_PER_GB_SECOND,
            f"{gb_seconds:,.0f} GB-s: {memory_mb} MB × billed {durations} (measured medians, rounded up)",
        ),
        Line(
            "Lambda INIT duration",
            init_gb_seconds * LAMBDA_ARM_PER_GB_SECOND,
            f"{init_gb_seconds:,.0f} GB-s: measured init (wall, as shipped) × ASSUMED "
            f"{ASSUMED_COLD_START_SHARE:.0%} cold starts",
        ),
        Line(
            "DynamoDB on-demand writes",
            n * wru / 1e6 * DYNAMODB_PER_MILLION_WRU,
            f"{wru:g} WRU per conversation (billed by item size, section 3) × ${DYNAMODB_PER_MILLION_WRU}/M",
        ),
        Line(
            "DynamoDB on-demand reads",
            n * rru / 1e6 * DYNAMODB_PER_MILLION_RRU,
            f"{rru:g} RRU per conversation (billed by item size, section 3) × ${DYNAMODB_PER_MILLION_RRU}/M",
        ),
        Line(
            "(not in goal) CloudWatch Logs ingestion of the functions' own output",
            log_gb * CLOUDWATCH_LOGS_PER_GB_INGESTED,
            f"{log_gb:.2f} GB measured (EMF metrics + log lines; Lambda's START/END/REPORT lines and "
            "API access logs come on top)",
            in_goal=False,
        ),
        Line(
            "(not in goal) Lambda duration if this host's CPU time scaled to the 256 MB CPU share",
            scaled_gb_seconds * LAMBDA_ARM_PER_GB_SECOND,
            f"{scaled_gb_seconds:,.0f} GB-s: wait + CPU × {MB_PER_VCPU}/{memory_mb} "
            "(a model; it would replace the warm duration line)",
            in_goal=False,
        ),
    ]


def total(lines: list[Line]) -> float:
    return sum(line.dollars for line in lines if line.in_goal)
