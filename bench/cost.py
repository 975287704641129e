"""Cost of 1M conversations at on-demand list prices, us-east-1, per service.

A conversation's life is a list of invocations (`Invocation`): each with how often it runs per
conversation, its function's memory, its measured warm duration and cold-start extra, its DynamoDB request
units (the table's, the indexes', the reads), and its bytes logged. The lifecycle the bench prices:
create + accept + end + close (by the representative), the purge of the closed conversation RetentionDays
later, and the timeout sweeper's share (it runs every minute whatever the traffic: a fixed monthly cost,
spread over ASSUMED_CONVERSATIONS_PER_MONTH). The reads of the lists and views are not per conversation (a
client polls them as it likes) and are not in it.

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
- Amazon EventBridge pricing (aws.amazon.com/eventbridge/pricing), EventBridge Scheduler: $1.00 per million
  invocations (no free tier counted here).
- AWS X-Ray pricing (aws.amazon.com/xray/pricing): traces recorded, $5.00 per million. Reported, in no goal.
- Amazon SQS pricing (aws.amazon.com/sqs/pricing): FIFO queues, $0.50 per million requests (first tier, after
  the 1 million free requests a month, not counted here); every 64 KB chunk of a payload is billed as one
  request; batch actions (SendMessageBatch, DeleteMessageBatch, a ReceiveMessage of up to 10) are one request.
  Written down 2026-12-02 from the figure the benchmark's brief quotes; the pricing page itself was not
  reachable from here, two secondary summaries of it (cloudburn.io, March 2026; factualminds.com, June 2026)
  give the same $0.50 and the 64 KB rule, and that FIFO's rate applies to send, receive, delete and
  change-visibility alike. Lambda's poller's requests (ReceiveMessage, empty or not, and its deletes) are
  billed to the queue's owner like any other.
- AWS Lambda pricing (aws.amazon.com/lambda/pricing), "Lambda SnapStart" (Python and .NET), transcribed
  2026-12-02: cache $0.0000015046 per GB-second, for each published version with SnapStart on, while the
  version is active (at least 3 hours), by the function's memory; restore $0.0001397998 per GB restored, each
  time an execution environment is resumed from the snapshot. Reported, in no goal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

HTTP_API_PER_MILLION_REQUESTS = 1.00
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334
LAMBDA_PER_MILLION_REQUESTS = 0.20
DYNAMODB_PER_MILLION_WRU = 0.625
DYNAMODB_PER_MILLION_RRU = 0.125
CLOUDWATCH_LOGS_PER_GB_INGESTED = 0.50
SCHEDULER_PER_MILLION_INVOCATIONS = 1.00
XRAY_PER_MILLION_TRACES = 5.00
SNAPSTART_CACHE_PER_GB_SECOND = 0.0000015046
SNAPSTART_RESTORE_PER_GB = 0.0001397998
SQS_FIFO_PER_MILLION_REQUESTS = 0.50

# Not measurable locally: how many invocations start a new execution environment. An assumption, shown as
# one in the report; the init duration it multiplies is measured (cold init, as-shipped layout).
ASSUMED_COLD_START_SHARE = 0.01
# Lambda gives a function a CPU share proportional to memory: one full vCPU at 1,769 MB (Lambda docs).
MB_PER_VCPU = 1769
# SnapStart's cache is billed by the hour, not by the request: assumptions to put it per 1M conversations.
ASSUMED_SNAPSTART_VERSIONS = 2  # published versions per function kept active: the live one + a rollback
ASSUMED_SNAPSTART_HOURS = 730  # active the whole month
# The volume the fixed monthly costs (the sweeper's schedule, SnapStart's cache) are spread over.
ASSUMED_CONVERSATIONS_PER_MONTH = 1_000_000
MINUTES_PER_MONTH = 730 * 60  # the sweeper's schedule: rate(1 minute)
# Lambda's own lines per invocation (START, END, REPORT with its X-Ray ids): not output of ours, so assumed.
ASSUMED_PLATFORM_LOG_BYTES = 340
# The purge consumer's batches (BatchSize 100, 5 s window): one record per invocation, the most it can cost.
ASSUMED_PURGES_PER_INVOCATION = 1
# Webhook delivery. The stream → dispatch mapping batches up to 100 records in a 1 s window, and the queue →
# delivery mapping up to 10 messages; how full they are depends on the traffic. Assumed: one record per
# dispatch invocation and one message per delivery batch (so one SendMessageBatch per record, one
# ReceiveMessage and one DeleteMessageBatch per delivery), the most they can cost.
ASSUMED_RECORDS_PER_DISPATCH = 1
ASSUMED_MESSAGES_PER_DELIVERY = 1
# Lambda's SQS poller's own requests per delivery batch: the ReceiveMessage that got it, the
# DeleteMessageBatch after the function succeeded (a failure instead changes its visibility: the function's).
ASSUMED_POLLER_REQUESTS_PER_BATCH = 2
# While the queue is empty Lambda keeps long-polling it (ReceiveMessage, 20 s wait): assumed 5 pollers, so
# 15 empty receives a minute, a fixed monthly cost like the sweeper's schedule.
ASSUMED_IDLE_RECEIVES_PER_MINUTE = 15
# The business's webhook answering our POST, beyond what the bench measures against a receiver on loopback:
# the network round trip (TLS reused or not) and the receiver's own time. The delivery function waits for it.
ASSUMED_WEBHOOK_ANSWER_MS = 100
# X-Ray sampling of Lambda's active tracing: the first request each second, then 5 % of the rest.
XRAY_RESERVOIR_PER_SECOND, XRAY_FIXED_RATE = 1.0, 0.05

CONVERSATIONS = 1_000_000


@dataclass(frozen=True)
class Invocation:
    """One invocation of a conversation's life, as measured, and how often it happens per conversation."""

    name: str
    function: str  # template folder
    memory_mb: int
    per_conversation: float  # invocations per conversation
    warm_ms: float  # measured, warm (wall)
    cpu_ms: float
    init_ms: float  # measured cold import (wall)
    first_request_ms: float  # the first request of a new execution environment (cold), wall
    write_units: float  # the table's items, per invocation (billed figures, bench.capacity)
    index_write_units: float  # the global secondary indexes', per invocation (bench.gsi)
    read_units: float
    log_bytes: float  # the function's own output per invocation (log lines, EMF metrics)
    api: bool = True  # reached through API Gateway (one request each)
    scheduled: bool = False  # started by EventBridge Scheduler
    access_log_bytes: float = 0.0  # API Gateway's access log line for its request
    wait_ms: float = 0.0  # ASSUMED extra duration (delivery: the webhook's answer), billed like the rest
    sqs_requests: float = 0.0  # SQS requests per invocation (64 KB chunks), the function's and its poller's


@dataclass(frozen=True)
class Line:
    item: str
    dollars: float
    basis: str
    in_goal: bool = True


def access_log_line(log_format: str, values: Mapping[str, str]) -> str:
    """An API access log line: the stage's format with each $context variable replaced by `values`' (an
    empty string for one it does not name)."""
    return re.sub(r"\$context\.([A-Za-z0-9_.]+)", lambda match: values.get(match.group(1), ""), log_format)


def xray_traces_per_month(requests_per_month: float) -> float:
    """Traces X-Ray records of evenly spread traffic under its default sampling rule."""
    seconds = MINUTES_PER_MONTH * 60
    rate = requests_per_month / seconds
    sampled = min(rate, XRAY_RESERVOIR_PER_SECOND) + XRAY_FIXED_RATE * max(
        0.0, rate - XRAY_RESERVOIR_PER_SECOND
    )
    return sampled * seconds


def cost_lines(invocations: Sequence[Invocation]) -> list[Line]:
    """Per 1M conversations, by service."""
    n = CONVERSATIONS
    runs = {op.name: n * op.per_conversation for op in invocations}
    requests = sum(runs.values())
    api_requests = sum(runs[op.name] for op in invocations if op.api)
    scheduled = sum(runs[op.name] for op in invocations if op.scheduled)
    api_names = " + ".join(op.name for op in invocations if op.api)

    def gb(op: Invocation) -> float:
        return op.memory_mb / 1024

    billed_ms = {op.name: math.ceil(op.warm_ms + op.wait_ms) for op in invocations}
    gb_seconds = sum(runs[op.name] * billed_ms[op.name] / 1000 * gb(op) for op in invocations)
    # A cold start bills the INIT phase, and its first request runs longer than a warm one.
    cold_extra_ms = {op.name: op.init_ms + max(0.0, op.first_request_ms - op.warm_ms) for op in invocations}
    init_gb_seconds = sum(
        runs[op.name] * ASSUMED_COLD_START_SHARE * cold_extra_ms[op.name] / 1000 * gb(op)
        for op in invocations
    )
    wru = sum(op.per_conversation * op.write_units for op in invocations)
    index_wru = sum(op.per_conversation * op.index_write_units for op in invocations)
    rru = sum(op.per_conversation * op.read_units for op in invocations)
    own_log = sum(runs[op.name] * op.log_bytes for op in invocations)
    platform_log = requests * ASSUMED_PLATFORM_LOG_BYTES
    access_log = sum(runs[op.name] * op.access_log_bytes for op in invocations if op.api)
    log_gb = (own_log + platform_log + access_log) / 1e9
    scaled_ms = {
        op.name: op.warm_ms + op.wait_ms - op.cpu_ms + op.cpu_ms * MB_PER_VCPU / op.memory_mb
        for op in invocations
    }
    sqs = sum(op.per_conversation * op.sqs_requests for op in invocations)
    idle_receives = MINUTES_PER_MONTH * ASSUMED_IDLE_RECEIVES_PER_MINUTE * n / ASSUMED_CONVERSATIONS_PER_MONTH
    waits = "; ".join(
        f"{op.name}: measured {op.warm_ms:,.1f} ms + ASSUMED {op.wait_ms:g} ms for the webhook's answer"
        for op in invocations
        if op.wait_ms
    )
    batching = (
        f"; dispatch: ASSUMED {ASSUMED_RECORDS_PER_DISPATCH} stream record per invocation, delivery: "
        f"ASSUMED {ASSUMED_MESSAGES_PER_DELIVERY} message per batch"
        if sqs
        else ""
    )
    scaled_gb_seconds = sum(
        runs[op.name] * math.ceil(scaled_ms[op.name]) / 1000 * gb(op) for op in invocations
    )
    traces = xray_traces_per_month(requests * ASSUMED_CONVERSATIONS_PER_MONTH / n)
    traces_per_n = traces * n / ASSUMED_CONVERSATIONS_PER_MONTH
    memories = ", ".join(sorted({f"{op.memory_mb} MB" for op in invocations}))

    def each(values: Mapping[str, float], unit: str, digits: int = 0) -> str:
        return ", ".join(
            f"{op.name} {values[op.name]:,.{digits}f}{unit}"
            + (f" × {op.per_conversation:.3g}" if op.per_conversation != 1 else "")
            for op in invocations
            if values[op.name]
        )

    return [
        Line(
            "API Gateway HTTP API requests",
            api_requests / 1e6 * HTTP_API_PER_MILLION_REQUESTS,
            f"{api_requests / 1e6:g}M requests ({api_names}) × ${HTTP_API_PER_MILLION_REQUESTS:.2f}/M",
        ),
        Line(
            "EventBridge Scheduler (the timeout sweeper, every minute)",
            scheduled / 1e6 * SCHEDULER_PER_MILLION_INVOCATIONS,
            f"{MINUTES_PER_MONTH:,} invocations a month, whatever the traffic, over ASSUMED "
            f"{ASSUMED_CONVERSATIONS_PER_MONTH / 1e6:g}M conversations a month × "
            f"${SCHEDULER_PER_MILLION_INVOCATIONS:.2f}/M",
        ),
        Line(
            "Lambda requests",
            requests / 1e6 * LAMBDA_PER_MILLION_REQUESTS,
            f"{requests / 1e6:,.3g}M × ${LAMBDA_PER_MILLION_REQUESTS:.2f}/M "
            f"(purges: ASSUMED {ASSUMED_PURGES_PER_INVOCATION} record per invocation{batching})",
        ),
        Line(
            "Lambda duration (arm64, warm)",
            gb_seconds * LAMBDA_ARM_PER_GB_SECOND,
            f"{gb_seconds:,.0f} GB-s: {memories} × billed {each(billed_ms, ' ms')} "
            f"(measured medians, rounded up{'; ' + waits if waits else ''})",
        ),
        Line(
            "Lambda cold starts: INIT + the first request's extra duration",
            init_gb_seconds * LAMBDA_ARM_PER_GB_SECOND,
            f"{init_gb_seconds:,.0f} GB-s: measured import + (first request - warm request), wall "
            f"({each(cold_extra_ms, ' ms')}) × ASSUMED {ASSUMED_COLD_START_SHARE:.0%} cold starts",
        ),
        Line(
            "DynamoDB on-demand writes: the table's items",
            n * wru / 1e6 * DYNAMODB_PER_MILLION_WRU,
            f"{wru:g} WRU per conversation ({each({op.name: op.write_units for op in invocations}, '', 1)}; "
            f"section 3) × ${DYNAMODB_PER_MILLION_WRU}/M",
        ),
        Line(
            "DynamoDB on-demand writes: global secondary indexes",
            n * index_wru / 1e6 * DYNAMODB_PER_MILLION_WRU,
            f"{index_wru:g} WRU per conversation "
            f"({each({op.name: op.index_write_units for op in invocations}, '', 0)}: one per index entry "
            f"put, updated or deleted, two when an index key changes; section 3) × "
            f"${DYNAMODB_PER_MILLION_WRU}/M",
        ),
        Line(
            "DynamoDB on-demand reads",
            n * rru / 1e6 * DYNAMODB_PER_MILLION_RRU,
            f"{rru:.3g} RRU per conversation ({each({op.name: op.read_units for op in invocations}, '', 1)})"
            f" × ${DYNAMODB_PER_MILLION_RRU}/M",
        ),
        *(
            [
                Line(
                    "SQS FIFO requests (the webhook queue)",
                    (n * sqs + idle_receives) / 1e6 * SQS_FIFO_PER_MILLION_REQUESTS,
                    f"{sqs:g} requests per conversation "
                    f"({each({op.name: op.sqs_requests for op in invocations}, '', 0)}: dispatch's "
                    "SendMessageBatch as measured, in 64 KB chunks; per delivery batch ASSUMED "
                    f"{ASSUMED_POLLER_REQUESTS_PER_BATCH} by Lambda's poller, its ReceiveMessage and "
                    f"DeleteMessageBatch) + the poller's empty long polls, ASSUMED "
                    f"{ASSUMED_IDLE_RECEIVES_PER_MINUTE} a minute ({idle_receives / n:.2g} per conversation "
                    f"at ASSUMED {ASSUMED_CONVERSATIONS_PER_MONTH / 1e6:g}M conversations a month) × "
                    f"${SQS_FIFO_PER_MILLION_REQUESTS:.2f}/M",
                )
            ]
            if sqs
            else []
        ),
        Line(
            "CloudWatch Logs ingestion",
            log_gb * CLOUDWATCH_LOGS_PER_GB_INGESTED,
            f"{log_gb:.2f} GB: the functions' own output {own_log / 1e9:.2f} GB (measured: "
            f"{each({op.name: op.log_bytes for op in invocations}, ' B')}), Lambda's START/END/REPORT "
            f"{platform_log / 1e9:.2f} GB (ASSUMED {ASSUMED_PLATFORM_LOG_BYTES} B per invocation), API "
            f"access logs {access_log / 1e9:.2f} GB (the template's format with sample values, "
            f"{each({op.name: op.access_log_bytes for op in invocations}, ' B')})",
        ),
        Line(
            "(not in goal) Lambda duration if this host's CPU time scaled to the function's CPU share",
            scaled_gb_seconds * LAMBDA_ARM_PER_GB_SECOND,
            f"{scaled_gb_seconds:,.0f} GB-s: wait + CPU × {MB_PER_VCPU}/memory "
            "(a model; it would replace the warm duration line)",
            in_goal=False,
        ),
        Line(
            "(not in goal) X-Ray traces (Tracing: Active, default sampling)",
            traces_per_n / 1e6 * XRAY_PER_MILLION_TRACES,
            f"{traces_per_n / 1e6:.2f}M traces: HTTP APIs do not trace, so each Lambda invocation starts "
            f"one ({requests / n:.3g} per conversation); Lambda samples {XRAY_RESERVOIR_PER_SECOND:g} a "
            f"second + {XRAY_FIXED_RATE:.0%} of the rest (ASSUMED: across the functions together, traffic "
            f"spread evenly at ASSUMED {ASSUMED_CONVERSATIONS_PER_MONTH / 1e6:g}M conversations a month; at "
            f"most every invocation: ${requests / 1e6 * XRAY_PER_MILLION_TRACES:.2f}) × "
            f"${XRAY_PER_MILLION_TRACES:.2f}/M",
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
