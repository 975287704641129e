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
- AWS Lambda pricing (aws.amazon.com/lambda/pricing), "Lambda SnapStart" (Python and .NET), transcribed
  2026-12-02: cache $0.0000015046 per GB-second, for each published version with SnapStart on, while the
  version is active (at least 3 hours), by the function's memory; restore $0.0001397998 per GB restored, each
  time an execution environment is resumed from the snapshot. Reported, in no goal.
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
SNAPSTART_CACHE_PER_GB_SECOND = 0.0000015046
SNAPSTART_RESTORE_PER_GB = 0.0001397998

# Not measurable locally: how many invocations start a new execution environment. An assumption, shown as
# one in the report; the init duration it multiplies is measured (cold init, as-shipped layout).
ASSUMED_COLD_START_SHARE = 0.01
# Lambda gives a function a CPU share proportional to memory: one full vCPU at 1,769 MB (Lambda docs).
MB_PER_VCPU = 1769
# SnapStart's cache is billed by the hour, not by the request: assumptions to put it per 1M conversations.
ASSUMED_SNAPSTART_VERSIONS = 2  # published versions per function kept active: the live one + a rollback
ASSUMED_SNAPSTART_HOURS = 730  # active the whole month
ASSUMED_CONVERSATIONS_PER_MONTH = 1_000_000

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
    first_request_ms: float  # the first request of a new execution environment (cold), wall


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
    # A cold start bills the INIT phase, and its first request runs longer than a warm one.
    cold_extra_ms = {op.name: op.init_ms + max(0.0, op.first_request_ms - op.warm_ms) for op in operations}
    init_gb_seconds = sum(
        n * ASSUMED_COLD_START_SHARE * cold_extra_ms[op.name] / 1000 * gb for op in operations
    )
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
            "Lambda cold starts: INIT + the first request's extra duration",
            init_gb_seconds * LAMBDA_ARM_PER_GB_SECOND,
            f"{init_gb_seconds:,.0f} GB-s: measured import + (first request - warm request), wall, as "
            f"shipped ({', '.join(f'{name} {extra:.0f} ms' for name, extra in cold_extra_ms.items())}) × "
            f"ASSUMED {ASSUMED_COLD_START_SHARE:.0%} cold starts",
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


def snapstart_line(memory_mb: dict[str, int], invocations: int) -> Line:
    """Turning SnapStart on for `memory_mb`'s functions (name -> MB), per 1M conversations of `invocations`
    requests each: the snapshot cache of each kept version for the assumed hours, spread over the assumed
    monthly conversations, and one restore per cold start."""
    cache_gb_seconds = sum(
        ASSUMED_SNAPSTART_VERSIONS * mb / 1024 * ASSUMED_SNAPSTART_HOURS * 3600 for mb in memory_mb.values()
    )
    cache = cache_gb_seconds * SNAPSTART_CACHE_PER_GB_SECOND * CONVERSATIONS / ASSUMED_CONVERSATIONS_PER_MONTH
    restores = CONVERSATIONS * invocations * ASSUMED_COLD_START_SHARE
    restored_gb = restores * max(memory_mb.values()) / 1024
    restore = restored_gb * SNAPSTART_RESTORE_PER_GB
    sizes = ", ".join(sorted({f"{mb} MB" for mb in memory_mb.values()}))
    return Line(
        "(not in goal) Lambda SnapStart on the API functions: snapshot cache + restores",
        cache + restore,
        f"cache ${cache:,.2f}: {len(memory_mb)} functions × ASSUMED {ASSUMED_SNAPSTART_VERSIONS} versions × "
        f"{sizes} × ASSUMED {ASSUMED_SNAPSTART_HOURS} h × ${SNAPSTART_CACHE_PER_GB_SECOND:.10f}/GB-s, at "
        f"ASSUMED {ASSUMED_CONVERSATIONS_PER_MONTH / 1e6:g}M conversations a month; restores "
        f"${restore:,.2f}: {restores:,.0f} (ASSUMED {ASSUMED_COLD_START_SHARE:.0%} of {invocations}M "
        f"requests) × {sizes} × ${SNAPSTART_RESTORE_PER_GB:.10f}/GB. What it would save (part of the "
        "cold-start line) is not deducted",
        in_goal=False,
    )


def total(lines: list[Line]) -> float:
    return sum(line.dollars for line in lines if line.in_goal)
