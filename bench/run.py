"""`make bench` (python -m bench.run): measures everything in one run, prints the markdown report and writes
it to bench/RESULTS.md. Every figure is a ratio or a count measured in this run (medians of repetitions),
except the prices and the cold-start share named in bench.cost.

    python -m bench.run [--quick] [--output PATH]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from bench import REPO, gsi, readme
from bench import calls as calls_module
from bench.calls import (
    ACCEPT,
    CLOSE,
    CREATE_CONTACT,
    CREATE_EXISTING,
    CREATE_MAIN,
    DELIVER_EVENT,
    DELIVER_MESSAGE,
    DELIVERIES,
    DISPATCH,
    END,
    END_OF_CONVERSATION,
    GET,
    LIST,
    MESSAGE,
    PURGE,
    PURGE_MESSAGES,
    REPRESENTATIVE_LIST,
    REPRESENTATIVE_MESSAGE,
    SWEEP,
    TRANSCRIPT,
    TRANSCRIPT_NEXT,
    Counted,
    count_operations,
    scans,
)
from bench.cold_init import CACHED, FLOOR, SHIPPED, ImportCosts, cached_layout, import_costs, shipped_layout
from bench.cost import (
    ASSUMED_COLD_START_SHARE,
    ASSUMED_CONVERSATIONS_PER_MONTH,
    ASSUMED_MESSAGES_PER_DELIVERY,
    ASSUMED_POLLER_REQUESTS_PER_BATCH,
    ASSUMED_PURGES_PER_INVOCATION,
    ASSUMED_RECORDS_PER_DISPATCH,
    ASSUMED_WEBHOOK_ANSWER_MS,
    MINUTES_PER_MONTH,
    Invocation,
    Line,
    access_log_line,
    cost_lines,
    snapstart_line,
    total,
)
from bench.first_request import ColdStart, Instructions, measure_cold_starts
from bench.functions import main_samples
from bench.id_secret import IdSecretCost, measure_id_secret
from bench.id_secret import describe as describe_id_secret
from bench.layer import ARM64, LayerSize, build_layer, measure_layer
from bench.memory import FLOOR as RSS_FLOOR
from bench.memory import Rss, measure_rss, peak
from bench.report import Goal, Section, goals_table, median, ms
from bench.warm import QUEUE_SIZE, WARM_OPERATIONS, CountingSink, WarmResult, measure_warm
from bench.workload import (
    ALL_FUNCTIONS,
    API_FUNCTIONS,
    CUSTOMER_MESSAGES,
    FUNCTIONS,
    OPERATIONS,
    OTHER_FUNCTIONS,
    REPRESENTATIVE_MESSAGES,
    TEMPLATE,
    TRANSCRIPT_PAGE,
    access_log_format,
    access_log_values,
    lambda_environment,
    memory_mb,
)
from local.dynamodb_local import DynamoDBLocal, dynamodb_client, find_jar
from local.layer_bytecode import compile_for_lambda, imported_modules
from local.queues import create_queues
from local.sqs_local import SqsLocal, sqs_client
from local.tables import create_tables
from local.template import parameter_defaults, resources_of_type
from tests.harness import environment

RESULTS = Path(__file__).with_name("RESULTS.md")
COLD_GOAL, WARM_GOAL, LAYER_GOAL_MB, RSS_GOAL_MB, COST_GOAL = 1.30, 1.10, 15.0, 110.0, 12.0
# The full lifecycle (create + accept + end + close, purge, sweeper share). A budget, not a floor: the API
# requests ($4) and the DynamoDB writes this data model needs (the table's items and the four indexes'
# entries, ~$24) are ~$28 of it; the rest is room for Lambda, logs and the small lines. Crossing it means a
# design change cost something: an item over 1 KB (its writes double), an extra round trip or index churn.
LIFECYCLE_COST_GOAL = 35.0
# Issue 10: 1M conversations with 10 messages each (5 customer, 5 representative: bench.workload) and their
# webhook deliveries (each representative message and each state change event, once).
MESSAGES_COST_GOAL = 35.0
# Warm goals: the operations of the issues' goals; the others are measured and reported in section 2.
WARM_GOALS = ("create", "endOfConversation", "accept", "representative list", "message", "transcript")
# The scenario of section 3 whose request units each priced operation bills.
COST_SCENARIOS = {
    "create": CREATE_MAIN,
    "accept": ACCEPT,
    "end": END,
    "close": CLOSE,
    "endOfConversation": END_OF_CONVERSATION,
    "message": MESSAGE,
    "representative message": REPRESENTATIVE_MESSAGE,
}
LIFECYCLE = ("create", "accept", "end", "close")
CUSTOMER_CLOSE = ("create", "endOfConversation")
# Per conversation, in the messages lifecycle: operation -> times (create's start message is one more, in
# its transaction, on top of the ten).
WITH_MESSAGES = {
    "create": 1,
    "accept": 1,
    "message": CUSTOMER_MESSAGES,
    "representative message": REPRESENTATIVE_MESSAGES,
    "end": 1,
    "close": 1,
}
# Functions whose cold start section 1 cannot measure yet: the floor replays DynamoDB calls only, and
# dispatch_webhooks' first request is an SQS SendMessageBatch (bench/first_request.py stops on any other
# service). Their cold-start extra is left out of the cost (a line says so).
NO_COLD_START = frozenset({"dispatch_webhooks"})


@dataclass(frozen=True)
class Settings:
    cold_repetitions: int = 7  # cached layout: pairs per function
    shipped_repetitions: int = 5  # as shipped: pairs per API function
    importtime_runs: int = 3
    count_repetitions: int = 3
    warm_rounds: int = 5
    warm_per_round: int = 30  # iterations: each a conversation's life per side (bench.warm)
    warm_warmup: int = 10
    rss_requests: int = 100
    rss_repetitions: int = 3


QUICK = Settings(3, 3, 1, 2, 3, 8, 2, 30, 1)


class Progress:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[bench {time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Measured:
    layer: LayerSize
    cold: dict[str, dict[str, ColdStart]]  # layout -> function -> its pairs with the floor
    imports: ImportCosts
    worst: str
    counts: dict[str, Counted]
    warm: WarmResult
    rss: dict[str, Rss]
    seconds: float
    load: tuple[float, float]
    id_secret: IdSecretCost


def measure_all(settings: Settings, log: Progress) -> Measured:
    load_at_start = os.getloadavg()[0]
    fake_tables = {name: f"bench-{name}" for name in resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")}
    cold_env = {target: lambda_environment(target, fake_tables) for target in [FLOOR, *ALL_FUNCTIONS]}
    samples = main_samples(FUNCTIONS, REPO / "events")
    api = [function for function in FUNCTIONS if function.api]
    cached = [function for function in FUNCTIONS if function.folder not in NO_COLD_START]
    log("DynamoDB Local: starting")
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch_dir, DynamoDBLocal() as local:
        scratch = Path(scratch_dir)
        log("layer: pip install for arm64 + python3.13 (wheels cached in .local-run/bench-wheels)")
        shipped_modules = imported_modules()
        arm64_layer = build_layer(scratch / "arm64", ARM64)
        compile_for_lambda(arm64_layer, shipped_modules)  # what `make build` ships (local/layer_bytecode.py)
        layer_size = measure_layer(arm64_layer, scratch)
        if platform.machine() in ("aarch64", "arm64"):
            host_layer = arm64_layer
        else:
            log("layer: the same requirements for this host, to run the as-shipped cold starts")
            host_layer = build_layer(scratch / "host")
            compile_for_lambda(host_layer, shipped_modules)
        log(
            f"cold starts (import + first request, and the floor replaying its DynamoDB calls): cached "
            f"{settings.cold_repetitions} × {len(cached)} pairs, as shipped "
            f"{settings.shipped_repetitions} × {len(api)} pairs, each function once more to warm up; then "
            "one counted pair and import per function under valgrind (instructions)"
        )
        cold = measure_cold_starts(
            dynamodb_client(local.endpoint),
            local.endpoint,
            samples,
            [
                (cached_layout(ALL_FUNCTIONS), cached, settings.cold_repetitions),
                (shipped_layout(ALL_FUNCTIONS, host_layer, scratch), api, settings.shipped_repetitions),
            ],
            count=True,
        )
        worst = max(API_FUNCTIONS, key=lambda name: cold[CACHED][name].ratio("import"))
        log(f"cold init: -X importtime of {worst} and the floor")
        imports = import_costs(cached_layout(ALL_FUNCTIONS), worst, cold_env, settings.importtime_runs)
        log("the id secret: reading it and keying the first conversation id, fresh interpreters")
        id_secret = measure_id_secret()

        log("the local queue engine (moto's SQS, for the webhook queue): starting")
        prefix = f"b{uuid.uuid4().hex[:8]}-"
        tables = create_tables(dynamodb_client(local.endpoint), TEMPLATE, prefix=prefix)
        with SqsLocal() as sqs:
            queues = create_queues(sqs_client(sqs.endpoint), TEMPLATE, prefix=prefix)
            env = {
                **lambda_environment("create_conversation", tables, queues),
                "AWS_ENDPOINT_URL_DYNAMODB": local.endpoint,
                "AWS_ENDPOINT_URL_SQS": sqs.endpoint,
                # The webhook receiver of section 3 listens on http://127.0.0.1 (as `make dev` allows).
                "LOCAL_WEBHOOKS_ALLOWED": "true",
            }
            with environment(env):
                log(
                    f"DynamoDB calls and capacity per operation, webhook deliveries: "
                    f"{settings.count_repetitions} repetitions"
                )
                counts = count_operations(settings.count_repetitions)
                log(
                    f"warm requests: {settings.warm_rounds} rounds × {settings.warm_per_round} iterations "
                    f"({', '.join(WARM_OPERATIONS)}) per side"
                )
                warm = measure_warm(settings.warm_rounds, settings.warm_per_round, settings.warm_warmup)
                log(
                    f"peak RSS: {settings.rss_repetitions} × {len(API_FUNCTIONS) + 1} processes × "
                    f"{settings.rss_requests} requests"
                )
                rss = measure_rss(tables, local.endpoint, settings.rss_requests, settings.rss_repetitions)
    seconds = time.monotonic() - log.started
    load = (load_at_start, os.getloadavg()[0])
    return Measured(layer_size, cold, imports, worst, counts, warm, rss, seconds, load, id_secret)


def _api_invocation(m: Measured, name: str, scenario: str) -> Invocation:
    """An API operation as priced: its warm duration and log bytes (section 2), its cold start as shipped
    (section 1), the request units of `scenario` (section 3)."""
    function = OPERATIONS[name].function
    counted, cold = m.counts[scenario], m.cold[SHIPPED][function]
    line = access_log_line(access_log_format(), access_log_values(function))
    return Invocation(
        name,
        function,
        memory_mb(function),
        1.0,
        m.warm.median_ms(name, "product"),
        m.warm.median_cpu_ms(name, "product"),
        cold.median_ms("product", "import", wall=True),
        cold.first_request_ms("product", wall=True),
        counted.median_wru,
        counted.median_index_wru,
        counted.median_rru,
        m.warm.stdout_bytes(name),
        access_log_bytes=len(line.encode("utf-8")) + 1,
    )


def _background_invocation(
    m: Measured,
    name: str,
    scenario: str,
    per_conversation: float,
    *,
    sqs_requests: float = 0.0,
    wait_ms: float = 0.0,
) -> Invocation:
    """The sweeper, the purge or a webhook function: timed runs and request units of section 3, cold
    start in the cached layout (none where section 1 could not measure it); `per_conversation`
    invocations per conversation, a purge's each doing `1 / per_conversation` of one conversation's
    share of the work."""
    counted = m.counts[scenario]
    warm_ms = median(counted.wall_ms)
    cold = m.cold[CACHED].get(counted.function)
    init_ms = cold.median_ms("product", "import", wall=True) if cold else 0.0
    first_ms = cold.first_request_ms("product", wall=True) if cold else warm_ms
    work = 1 / per_conversation if scenario in (PURGE, PURGE_MESSAGES) else 1.0
    return Invocation(
        name,
        counted.function,
        memory_mb(counted.function),
        per_conversation,
        warm_ms,
        median(counted.cpu_ms),
        init_ms,
        first_ms,
        counted.median_wru * work,
        counted.median_index_wru * work,
        counted.median_rru * work,
        median(counted.log_bytes),
        api=False,
        scheduled=scenario == SWEEP,
        wait_ms=wait_ms,
        sqs_requests=sqs_requests,
    )


def _invocations(m: Measured, path: tuple[str, ...], create: str = CREATE_MAIN) -> list[Invocation]:
    """A conversation's life along `path` (API operations), then its purge and the sweeper's share."""
    api = [_api_invocation(m, name, create if name == "create" else COST_SCENARIOS[name]) for name in path]
    return [
        *api,
        _background_invocation(m, "purge", PURGE, 1 / ASSUMED_PURGES_PER_INVOCATION),
        _background_invocation(
            m, "timeout sweep", SWEEP, MINUTES_PER_MONTH / ASSUMED_CONVERSATIONS_PER_MONTH
        ),
    ]


def _message_invocations(m: Measured) -> list[Invocation]:
    """A conversation with its messages (WITH_MESSAGES), each webhook delivery it causes (dispatch, then
    delivery, as many as section 3 counted per conversation), its purge, the sweeper's share."""
    api = [
        replace(_api_invocation(m, name, COST_SCENARIOS[name]), per_conversation=float(times))
        for name, times in WITH_MESSAGES.items()
    ]
    outbox = m.counts[DISPATCH].outbox_records
    conversations = len(outbox)  # one conversation with messages per repetition
    dispatch = _background_invocation(
        m,
        "dispatch",
        DISPATCH,
        median(outbox) / ASSUMED_RECORDS_PER_DISPATCH,
        sqs_requests=m.counts[DISPATCH].median_sqs,
    )
    deliveries = [
        _background_invocation(
            m,
            name,
            scenario,
            len(m.counts[scenario].calls) / conversations / ASSUMED_MESSAGES_PER_DELIVERY,
            sqs_requests=m.counts[scenario].median_sqs + ASSUMED_POLLER_REQUESTS_PER_BATCH,
            wait_ms=ASSUMED_WEBHOOK_ANSWER_MS,
        )
        for name, scenario in (("deliver (event)", DELIVER_EVENT), ("deliver (message)", DELIVER_MESSAGE))
    ]
    return [
        *api,
        dispatch,
        *deliveries,
        _background_invocation(m, "purge", PURGE_MESSAGES, 1 / ASSUMED_PURGES_PER_INVOCATION),
        _background_invocation(
            m, "timeout sweep", SWEEP, MINUTES_PER_MONTH / ASSUMED_CONVERSATIONS_PER_MONTH
        ),
    ]


def _cold_ratio(cold: ColdStart, figure: str) -> float:
    """The goal's figure: the instruction count's ratio (the same to 0.1 % run to run), else CPU time's."""
    return cold.counted.ratio(figure) if cold.counted is not None else cold.ratio(figure)


def _cold_goals(m: Measured) -> list[Goal]:
    """Per API function, init + first request then import only: the worse of the two layouts, counted in
    instructions; the medians of the timed pairs (CPU, wall) beside them."""
    goals = []
    for figure, title in (("first", "1a. Cold start, init + first request"), ("import", "1b. Import only")):
        for function in API_FUNCTIONS:
            measured = {layout: m.cold[layout][function] for layout in m.cold if function in m.cold[layout]}
            ratios = {layout: _cold_ratio(cold, figure) for layout, cold in measured.items()}
            worst = max(ratios, key=lambda layout: ratios[layout])
            detail = "instructions " + ", ".join(f"{layout} {ratios[layout]:.3f}×" for layout in measured)
            detail += "; CPU (median of pairs) " + ", ".join(
                f"{layout} {cold.ratio(figure):.2f}× (wall {cold.ratio(figure, wall=True):.2f}×)"
                for layout, cold in measured.items()
            )
            goals.append(Goal(f"{title} vs boto3 floor: {function}", ratios[worst], COLD_GOAL, "×", detail))
    return goals


def _call_goals(m: Measured) -> list[Goal]:
    """Round trips per operation, and the operation each must be (a list page is one Query)."""
    new_calls = max(m.counts[CREATE_MAIN].median_calls, m.counts[CREATE_CONTACT].median_calls)
    goals = [
        Goal(
            "3. DynamoDB calls: create new",
            new_calls,
            2,
            " calls",
            "with email + phone (BatchGetItem first)",
            0,
        ),
        Goal(
            "3. DynamoDB calls: create existing",
            m.counts[CREATE_EXISTING].median_calls,
            1,
            " calls",
            f"{', '.join(m.counts[CREATE_EXISTING].operations)}: refused by the lock, which names the "
            "active one",
            0,
        ),
    ]
    expected = (
        ("endOfConversation (consumer_activity, open)", END_OF_CONVERSATION, "TransactWriteItems"),
        ("accept (representative_activity)", ACCEPT, "TransactWriteItems"),
        ("representative list (representative_conversations)", REPRESENTATIVE_LIST, "Query"),
        ("consumer list (list_conversations)", LIST, "Query"),
        ("get (get_conversation)", GET, "Query"),
        ("send a message (consumer_activity, type message)", MESSAGE, "TransactWriteItems"),
        ("representative message (representative_activity)", REPRESENTATIVE_MESSAGE, "TransactWriteItems"),
        ("transcript page (get_transcript, first page)", TRANSCRIPT, "Query"),
        ("transcript page (get_transcript, continuation token)", TRANSCRIPT_NEXT, "Query"),
    )
    for title, scenario, operation in expected:
        counted = m.counts[scenario]
        made = ", ".join(counted.operations)
        goals.append(
            Goal(
                f"3. DynamoDB calls: {title}",
                counted.median_calls,
                1,
                " calls",
                f"{made} (expected: one {operation})",
                0,
                refused=counted.operations != [operation],
            )
        )
    goals.append(
        Goal(
            "3. Scans by any benchmarked operation",
            scans(m.counts),
            0,
            " Scans",
            f"{len(m.counts)} scenarios of section 3, every repetition (lists, transcript, sweeper, purge: "
            "Query; context, channel, delivery: GetItem)",
            0,
        )
    )
    return goals


def build_report(m: Measured) -> str:
    snapstart = {name: memory_mb(name) for name in API_FUNCTIONS}
    lifecycle = [
        *cost_lines(_invocations(m, LIFECYCLE)),
        snapstart_line(snapstart, invocations=len(LIFECYCLE)),
    ]
    closed = [
        *cost_lines(_invocations(m, CUSTOMER_CLOSE)),
        snapstart_line(snapstart, invocations=len(CUSTOMER_CLOSE)),
    ]
    contact = [
        *cost_lines(_invocations(m, CUSTOMER_CLOSE, create=CREATE_CONTACT)),
        snapstart_line(snapstart, invocations=len(CUSTOMER_CLOSE)),
    ]
    messages = [
        *cost_lines(_message_invocations(m)),
        snapstart_line(snapstart, invocations=sum(WITH_MESSAGES.values())),
    ]
    api_peaks = {name: peak(m.rss[name]) for name in API_FUNCTIONS if name in m.rss}
    worst_rss = max(api_peaks, key=lambda name: api_peaks[name])
    without_rss = [name for name in API_FUNCTIONS if name not in m.rss]
    goals = [
        *_cold_goals(m),
        *[
            Goal(
                f"2. Warm {op} ({OPERATIONS[op].function}) vs hand-written boto3 handler",
                m.warm.ratio(op),
                WARM_GOAL,
                "×",
                f"{ms(m.warm.median_ms(op, 'product'))} vs {ms(m.warm.median_ms(op, 'floor'))} "
                f"(DynamoDB Local, same {', '.join(m.warm.call_names(op))}"
                f"{'' if m.warm.same_calls(op) else ': NOT the same calls, see section 2'})",
                refused=not m.warm.same_calls(op),
            )
            for op in WARM_GOALS
        ],
        *_call_goals(m),
        Goal(
            "4. Layer size, unzipped (arm64, python3.13)",
            m.layer.unzipped_bytes / 1e6,
            LAYER_GOAL_MB,
            " MB",
            f"zipped {m.layer.zipped_bytes / 1e6:.2f} MB; {m.layer.files} files, boto3 not shipped",
        ),
        Goal(
            "5. Peak RSS of a warmed handler process (worst)",
            api_peaks[worst_rss],
            RSS_GOAL_MB,
            " MB",
            f"{worst_rss}; boto3 floor {peak(m.rss[RSS_FLOOR]):.1f} MB"
            + (f"; no RSS workload for {', '.join(without_rss)}" if without_rss else ""),
            1,
        ),
        Goal(
            "6. Cost per 1M conversations, full lifecycle (create + accept + end + close)",
            total(lifecycle),
            LIFECYCLE_COST_GOAL,
            "$",
            "+ purge + sweeper share; API Gateway, Lambda, DynamoDB (table + index writes), logs, Scheduler",
        ),
        Goal(
            "6. Cost per 1M conversations (create + close: endOfConversation while open)",
            total(closed),
            COST_GOAL,
            "$",
            "customerid, no email/phone, no conversationrequestid; + purge + sweeper share",
        ),
        Goal(
            "6. Cost per 1M conversations (create + close), every create a new contact",
            total(contact),
            COST_GOAL,
            "$",
            "customerid + email + phone: BatchGetItem, and the contact and its email and phone lookups in "
            "the create's transaction; Lambda duration of the main path",
        ),
        Goal(
            f"6. Cost per 1M conversations with {CUSTOMER_MESSAGES + REPRESENTATIVE_MESSAGES} messages each "
            "and their webhook deliveries",
            total(messages),
            MESSAGES_COST_GOAL,
            "$",
            _messages_goal_detail(m, messages),
        ),
    ]
    sections = [
        _cold_section(m),
        _imports_section(m),
        _warm_section(m),
        _calls_section(m),
        _webhooks_section(m),
        _index_section(m),
        _layer_section(m),
        _rss_section(m),
        _cost_section(
            "6. Cost per 1M conversations: the full lifecycle (create + accept + end + close)",
            lifecycle,
            _lifecycle_goal_note(lifecycle),
        ),
        _cost_section(
            "6. Cost per 1M conversations: create + close (endOfConversation while open)",
            closed,
            _close_goal_note(closed),
        ),
        _cost_section("6. Cost per 1M conversations: create + close, every create a new contact", contact),
        _cost_section(
            f"6. Cost per 1M conversations with {CUSTOMER_MESSAGES + REPRESENTATIVE_MESSAGES} messages each "
            "and their webhook deliveries",
            messages,
            *_messages_cost_notes(m, messages),
        ),
    ]
    met = sum(1 for goal in goals if goal.met)
    header = [
        "# Benchmark results",
        "",
        f"{_environment_line(m.seconds, m.load)}",
        "",
        f"**{met} of {len(goals)} goals met.** Medians of repeated measurements in one run; ratios are "
        "against floors measured in the same run (see bench/README.md).",
        "",
        goals_table(goals),
        "",
    ]
    return "\n".join(header) + "\n" + "\n".join(section.markdown() for section in sections)


def _environment_line(seconds: float, load: tuple[float, float]) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "layers", "functions"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Run {when} on {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"commit {commit or '?'}{' + uncommitted product changes' if dirty else ''}, "
        f"DynamoDB Local {find_jar().parent.name.removeprefix('dynamodb_local_')}; took {seconds:.0f} s; "
        f"1-min load average {load[0]:.1f} at start, {load[1]:.1f} at end."
    )


def _counted_cell(counted: Instructions, figure: str) -> str:
    product, floor = counted.millions("product", figure), counted.millions("floor", figure)
    return f"{product:.0f} M / {floor:.0f} M = {counted.ratio(figure):.3f}×"


def _id_secret_note(m: Measured) -> str:
    create = m.cold[CACHED]["create_conversation"].median_ms("product", "first")
    share = m.id_secret.keyed_us / 1000 / create
    about = describe_id_secret(m.id_secret)
    return f"{about} That is {share:.2%} of create's init + first request (CPU, cached)."


def _cold_section(m: Measured) -> Section:
    rows = []
    for function in ALL_FUNCTIONS:
        for layout, by_function in m.cold.items():
            if function not in by_function:
                continue
            cold = by_function[function]
            figures = []
            for figure in ("import", "first"):
                figures += [
                    f"{ms(cold.median_ms('product', figure))} / {ms(cold.median_ms('floor', figure))}",
                    f"{cold.ratio(figure):.2f}× / {cold.ratio(figure, wall=True):.2f}×",
                ]
            counted = cold.counted
            figures += (
                [_counted_cell(counted, "import"), _counted_cell(counted, "first")]
                if counted is not None
                else ["-", "-"]
            )
            calls = cold.product.calls
            rows.append(
                [
                    function if function in API_FUNCTIONS else f"{function} (not an API function)",
                    layout,
                    f"{cold.sample} → {cold.product.status or 'returned'}",
                    *figures,
                    f"{ms(cold.first_request_ms('product'))} / {ms(cold.first_request_ms('floor'))}",
                    ", ".join(f"{c.operation}{f' ({c.error})' if c.error else ''}" for c in calls) or "none",
                    f"{cold.faithful_replays} of {cold.pairs}",
                    f"{cold.product.modules_after_import} + {cold.product.modules_by_first_request}",
                ]
            )
    init_calls = sum(
        1
        for by_function in m.cold.values()
        for cold in by_function.values()
        for call in cold.product.calls
        if call.phase == "init"
    )
    return Section(
        "1. Cold start: a fresh python3.13 process imports the handler, then answers its first request",
        (
            "Function",
            "Layout",
            "Sample → answer",
            "Import only: CPU, product / floor",
            "Ratio CPU / wall",
            "Init + first request: CPU, product / floor",
            "Ratio CPU / wall",
            "Instructions, import only: product / floor",
            "Instructions, init + first request: product / floor",
            "First request alone: CPU, product / floor",
            "DynamoDB calls of the first request",
            "Replayed alike",
            "Modules: import + first request",
        ),
        rows,
        [
            "Product: bench/first_child.py imports the handler module (its clients are created at module "
            "scope), then invokes it with the function's main sample from events/ (bench/functions.py: the "
            "first `events/<folder>.<case>.json` in sort order, or the case named in MAIN_CASES) against "
            "DynamoDB Local. A sample naming a conversation in its path runs against one created just before "
            "by the create function's main sample. Functions come from template.yaml (API functions: an "
            "HttpApi event).",
            "Floor: the same child imports bench/floor_app.py (`import boto3; boto3.client('dynamodb')`), "
            "then replays the DynamoDB calls the product made in that pair (recorded by wrapping botocore's "
            "BaseClient._make_api_call), in order, with the same parameters, on a copy of the same data; "
            "errors the product got (conditional checks) are caught. 'Replayed alike': pairs where the floor "
            "got the same operations with the same errors.",
            "Import only = the import; init + first request = import + the first invocation, timed inside "
            "the process (the interpreter's own start-up is in neither). Ratio = median over pairs (product "
            "and floor back to back, functions rotated) of product / floor, in CPU time (the goal) and "
            "wall time (it includes DynamoDB Local's answer times and swings with machine load). Moving work "
            "from the import into the first request moves it between the two figures, not out of the second.",
            "Instructions (the goal's figure): one more pair per function, and the import alone, each "
            "process run under valgrind (cachegrind, no cache simulation), minus the instructions of the "
            "same child importing bench/empty_app.py (the interpreter's start-up and the harness). Counts "
            "repeat to 0.1 % from run to run, where CPU time here moves by a third between identical "
            "processes (floors of the same work, one function to the next). They leave out what costs time "
            "without instructions (page faults, cache misses), so the CPU ratios stay beside them.",
            "Cached: the repository with its bytecode caches. As shipped: the layer as `make build` ships it "
            "(sam build's layout plus unchecked-hash .pyc of the modules the functions import at init), run "
            "with -B, so a module imported only by the first request is compiled from source there. "
            f"Functions that are not API functions ({', '.join(OTHER_FUNCTIONS) or 'none'}) are measured in "
            "the cached layout only, and are in no goal.",
            f"Calls made during an import (replayed in the floor's first request): {init_calls}.",
            _id_secret_note(m),
            *(
                [
                    f"Not measured: {', '.join(sorted(NO_COLD_START))} (its first request calls SQS; the "
                    "floor replays DynamoDB calls only)."
                ]
                if NO_COLD_START
                else []
            ),
            "Absolute times are this machine's, not Lambda's (a 256 MB function gets ~1/7 of a vCPU).",
        ],
    )


def _imports_section(m: Measured) -> Section:
    imports = m.imports
    rows = [
        [name, ms(cost), f"{cost / imports.added_ms:.0%}", str(modules)]
        for name, cost, modules in imports.top[:15]
    ]
    return Section(
        f"1. Top import costs of {m.worst} beyond the floor (-X importtime, self time, cached)",
        ("Module group", "Self time", "Share of added", "Modules"),
        rows,
        [
            f"-X importtime totals (it slows imports): {m.worst} {ms(imports.handler_total_ms)}, floor "
            f"{ms(imports.floor_total_ms)}; modules the floor does not load: {ms(imports.added_ms)}.",
            "`app (module body beyond the floor's)`: the handler module's own statements (resolver, routes, "
            "wiring, its client) minus the floor module's (its client). Self times of single modules are "
            "noisy on a loaded machine; the groups are medians of the runs.",
        ],
    )


def _warm_section(m: Measured) -> Section:
    warm = m.warm
    rows = []
    for op in WARM_OPERATIONS:
        product, floor = warm.median_ms(op, "product"), warm.median_ms(op, "floor")
        rows.append(
            [
                op + ("" if op in WARM_GOALS else " (no goal)"),
                OPERATIONS[op].function,
                ms(product),
                ms(floor),
                f"{warm.ratio(op):.2f}×",
                ms(product - floor),
                ms(warm.median_cpu_ms(op, "product")),
                ms(warm.median_cpu_ms(op, "floor")),
                ", ".join(f"{ratio:.2f}" for ratio in warm.round_ratios(op)),
                ", ".join(warm.call_names(op)) + (" (same)" if warm.same_calls(op) else " (**DIFFERENT**)"),
            ]
        )
    return Section(
        "2. Warm requests (in-process, DynamoDB Local)",
        (
            "Operation",
            "Function",
            "Product",
            "boto3 floor",
            "Ratio",
            "Overhead",
            "CPU product",
            "CPU floor",
            "Round ratios",
            "DynamoDB calls, product vs floor",
        ),
        rows,
        [
            f"{len(warm.samples['create']['product'].wall_ms)} timed requests per operation and side "
            f"({len(warm.samples['message']['product'].wall_ms)} of each kind of message); the "
            "lambda_handler call alone. One iteration per side: create, get, list, representative list, "
            f"accept, {CUSTOMER_MESSAGES} customer and {REPRESENTATIVE_MESSAGES} representative messages "
            f"(alternating), the transcript's first page ({TRANSCRIPT_PAGE} of the "
            f"{1 + CUSTOMER_MESSAGES + REPRESENTATIVE_MESSAGES} messages, a continuation token), end, close "
            "on one conversation, then endOfConversation on a second one (open). Ratio = median over pairs "
            "(product and floor back to back, alternating which goes first; the k-th message of one side "
            "against the k-th of the other) of their ratio; round ratios = the same per round. CPU = this "
            "thread's CPU time (DynamoDB Local's work is not in it).",
            "Floor: bench/baseline_app.py, hand-written boto3 making the product's DynamoDB calls. 'Same': "
            "one more iteration per side recorded every call's design (operation, table, index, keys, item "
            "attributes and their types, every expression, ReturnValues; bench.warm.call_shape) and the "
            "two sides matched operation by operation.",
            f"The lists read a tenant seeded with {QUEUE_SIZE} open conversations: every list request "
            "answers a full page (the queue 25, the consumer's list 10) and a continuation token, on both "
            "sides.",
        ],
    )


def _calls_section(m: Measured) -> Section:
    rows = []
    for scenario, counted in m.counts.items():
        reported_wru, reported_index, reported_rru = counted.median_reported
        rows.append(
            [
                scenario,
                counted.function,
                f"{counted.median_calls:g}",
                ", ".join(counted.operations)
                or "none"
                + (f" (SQS: {', '.join(counted.sqs_operations)})" if counted.sqs_operations else ""),
                f"{counted.median_wru:g} / {counted.median_rru:g}",
                f"{counted.median_index_wru:g} ({gsi.describe(counted.index_writes)})",
                f"{reported_wru:g} / {reported_index:g} / {reported_rru:g}",
            ]
        )
    bases = sorted({basis for counted in m.counts.values() for basis in counted.basis})
    return Section(
        "3. DynamoDB round trips and request units per operation",
        (
            "Operation",
            "Function",
            "Calls",
            "Calls made",
            "Table WRU / RRU billed",
            "Index WRU billed (writes)",
            "Reported by Local: table WRU / index WRU / RRU",
        ),
        rows,
        [
            "Calls: every HTTP request the handler's client sends (tests.harness.count_dynamodb_calls).",
            "Reported: ConsumedCapacity from DynamoDB Local (ReturnConsumedCapacity=INDEXES added by a "
            "botocore hook). Billed: what on-demand DynamoDB bills; the cost uses these. Where each billed "
            "figure comes from: "
            + "; ".join(bases)
            + ". Local under-reports multi-item transactions, counts "
            "an index key change as one write and doubles index writes inside a transaction "
            "(bench/capacity.py, bench/gsi.py).",
            "Failed calls (a cancelled transaction, a failed conditional put) count nothing here, though "
            "DynamoDB bills a failed conditional write.",
            "Purge: the state item deleted first, as TTL does (free), then the purge consumer invoked with "
            "events/purge_conversations.ttl-state-removal.json naming it. Sweep: the sweeper on tables where "
            "nothing is due.",
            f"Scenarios come from {calls_module.__name__}.",
        ],
    )


def _webhooks_section(m: Measured) -> Section:
    outbox = m.counts[DISPATCH].outbox_records
    conversations = len(outbox)
    rows = []
    for scenario in (DISPATCH, *DELIVERIES):
        counted = m.counts[scenario]
        poller = (
            f"; + {ASSUMED_POLLER_REQUESTS_PER_BATCH} by Lambda's poller (ASSUMED)"
            if scenario != DISPATCH
            else ""
        )
        rows.append(
            [
                scenario,
                counted.function,
                f"{len(counted.calls) / conversations:g}",
                f"{counted.median_calls:g} ({', '.join(counted.operations) or 'none'})",
                f"{counted.median_rru:g}",
                f"{counted.median_sqs:g} ({', '.join(counted.sqs_operations) or 'none'}){poller}",
                ms(median(counted.wall_ms)),
                f"{median(counted.log_bytes):g} B",
            ]
        )
    return Section(
        "3. Webhook delivery: the pipeline per conversation with messages (stream → dispatch → SQS FIFO → "
        "delivery)",
        (
            "Step",
            "Function",
            "Invocations per conversation",
            "DynamoDB calls",
            "RRU",
            "SQS requests (64 KB chunks)",
            "Duration (wall, median)",
            "Log bytes",
        ),
        rows,
        [
            f"Per conversation with messages (create, accept, {CUSTOMER_MESSAGES} customer and "
            f"{REPRESENTATIVE_MESSAGES} representative messages, end, close), the records of DynamoDB "
            "Local's stream that pass the dispatch mapping's filter: "
            f"{', '.join(str(n) for n in outbox)} (one per repetition): each state change's event and each "
            "representative message; the customer's messages remove the outbox, the create writes none. "
            "Dispatch gets them "
            f"{ASSUMED_RECORDS_PER_DISPATCH} per invocation (ASSUMED), as the template's mapping would "
            "(local.event_sources.dynamodb_stream, `make dev`'s), then the bench plays Lambda's SQS poller "
            f"on the local queue engine ({ASSUMED_MESSAGES_PER_DELIVERY} message per batch, ASSUMED: "
            "ReceiveMessage, the invocation, DeleteMessageBatch) and deliver_webhooks POSTs each to a "
            "receiver on 127.0.0.1 that verifies its Standard Webhooks signature; every one was accepted.",
            "DynamoDB calls and SQS requests: on the function's own clients (each HTTP request; SQS's 64 KB "
            "chunks of the request body). Durations: the handler call in this process, with the capacity "
            "hooks (reads only: they add a parameter), including the POST to the loopback receiver and the "
            "receiver's own work (in this process); not including the business's answer time, which the "
            f"cost adds (ASSUMED {ASSUMED_WEBHOOK_ANSWER_MS} ms).",
        ],
    )


def _timeouts_ms() -> dict[str, int]:
    defaults = parameter_defaults(TEMPLATE)
    return {
        status: int(defaults[f"{parameter}TimeoutMinutes"]) * 60_000
        for status, parameter in (
            ("open", "Open"),
            ("active", "Active"),
            ("waiting", "Waiting"),
            ("wrapup", "WrapUp"),
        )
    }


def _index_section(m: Measured) -> Section:
    table = resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")["ConversationsTable"]["Properties"]
    indexes = gsi.indexes_of(table)
    measured = {
        "create": CREATE_MAIN,
        "accept": ACCEPT,
        "end": END,
        "close": CLOSE,
        "endOfConversation": END_OF_CONVERSATION,
    }
    rows = []
    for path in (LIFECYCLE, CUSTOMER_CLOSE):
        steps = gsi.transition_writes(gsi.product_state_steps(path, _timeouts_ms()), indexes)
        for name, writes in steps:
            if path is CUSTOMER_CLOSE and name == "create":
                continue
            by_index = {write.index: write.kind for write in writes}
            rows.append(
                [
                    name,
                    *[by_index.get(index.name, "—") for index in indexes],
                    str(gsi.units(writes)),
                    f"{m.counts[measured[name]].median_index_wru:g}",
                ]
            )
    return Section(
        "3. Index writes per transition of the conversation's state item",
        ("Step", *[index.name for index in indexes], "WRU (model)", "WRU (measured, section 3)"),
        rows,
        [
            "Model: the product's own state item of each status (messaging.store.items.state_item, whose "
            "index_attributes say which index keys a status carries) before and after the step, against the "
            "template's indexes (keys, projection). Measured: the same rules applied to the item's stored "
            "images around each write the handler made. On-demand bills one WRU per index entry written "
            "per KB: put (enters), delete (leaves), update (a projected attribute changed), delete + put "
            "(an index key changed: 2).",
        ],
    )


def _layer_section(m: Measured) -> Section:
    rows = [[name, f"{size / 1e6:.2f} MB"] for name, size in m.layer.by_package[:8]]
    return Section(
        "4. Shared layer, unzipped (pip --platform manylinux2014_aarch64 --python-version 3.13 + messaging)",
        ("Top-level entry", "Size"),
        rows,
        [f"{m.layer.pyc_files} .pyc files (sam build ships none); MB = 10^6 bytes."],
    )


def _rss_section(m: Measured) -> Section:
    rows = [
        [
            name,
            f"{median(rss.init_mb):.1f} MB",
            f"{median(rss.peak_mb):.1f} MB",
            ", ".join(f"{status}×{count}" for status, count in sorted(rss.statuses.items())),
        ]
        for name, rss in m.rss.items()
    ]
    return Section(
        "5. Peak RSS of one handler process (VmHWM; see bench/rss_child.py for why not ru_maxrss)",
        ("Process", "After init", "After the requests", "Answers (last run)"),
        rows,
        [
            "Cached layout, requests against DynamoDB Local; Lambda's runtime client (awslambdaric) is not "
            "in these processes."
        ],
    )


def _dollars(lines: list[Line], *starts: str) -> float:
    return sum(line.dollars for line in lines if line.in_goal and line.item.startswith(starts))


def _deliveries_per_conversation(m: Measured) -> float:
    return float(median(m.counts[DISPATCH].outbox_records))


def _messages_goal_detail(m: Measured, lines: list[Line]) -> str:
    by_service = {
        "API Gateway": _dollars(lines, "API Gateway"),
        "Lambda": _dollars(lines, "Lambda"),
        "DynamoDB": _dollars(lines, "DynamoDB"),
        "SQS": _dollars(lines, "SQS"),
        "logs": _dollars(lines, "CloudWatch"),
        "Scheduler": _dollars(lines, "EventBridge"),
    }
    return (
        f"create (+ start message) + accept + {CUSTOMER_MESSAGES} customer + {REPRESENTATIVE_MESSAGES} "
        f"representative messages + end + close, {_deliveries_per_conversation(m):g} webhook deliveries, "
        "purge, sweeper share: " + ", ".join(f"{name} ${cost:.2f}" for name, cost in by_service.items())
    )


def _messages_cost_notes(m: Measured, lines: list[Line]) -> list[str]:
    message = m.counts[MESSAGE]
    missing = sorted(NO_COLD_START & {m.counts[scenario].function for scenario in (DISPATCH, *DELIVERIES)})
    notes = [
        f"Goal ≤ ${MESSAGES_COST_GOAL:.0f} (issue 10). The conversation: create (its start message in the "
        f"create's transaction), accept, then {CUSTOMER_MESSAGES} customer messages (consumer_activity) and "
        f"{REPRESENTATIVE_MESSAGES} representative messages (representative_activity), alternating, end and "
        "close by the representative, the purge RetentionDays later, the sweeper's share. No typing, no "
        "custom event, no reads (transcript, context, lists are polled as a client likes: section 3 has "
        "their units).",
        f"Webhook deliveries: {_deliveries_per_conversation(m):g} per conversation, counted, not assumed "
        "(section 3, webhook table): the stream records of the conversation that pass the dispatch "
        "mapping's filter (each state change's event and each representative message; the customer's "
        "messages remove the outbox and the create writes none), each delivered once (no retries).",
        f"Each message: {message.median_calls:g} TransactWriteItems, {message.median_wru:g} WRU for the "
        "table (the state's update and the message's put, 2 per KB each in a transaction) and "
        f"{message.median_index_wru:g} WRU of index writes ({gsi.describe(message.index_writes)}: the "
        "state's expiresAt moves on with every message, and the byStatus, byRepresentative and live "
        "indexes project it).",
        f"The webhook functions: measured in section 3 (the pipeline on the local engines); delivery's "
        f"duration adds ASSUMED {ASSUMED_WEBHOOK_ANSWER_MS} ms for the business's webhook to answer (the "
        "measured part includes the POST to a receiver on loopback), at the template's "
        f"{memory_mb('deliver_webhooks')} MB. Batching: ASSUMED {ASSUMED_RECORDS_PER_DISPATCH} record per "
        f"dispatch invocation, {ASSUMED_MESSAGES_PER_DELIVERY} message per delivery batch (the most "
        "invocations and queue requests the traffic can cause).",
    ]
    if missing:
        notes.append(
            f"Not measured, so not in the cold-start line: {', '.join(missing)} (section 1 replays "
            "DynamoDB calls only; its first request is an SQS call). At the assumed cold-start share and "
            "an import like the other functions' (~0.5 s), about a cent per 1M conversations."
        )
    notes.append(
        "Not included besides the general list below: delivery retries (a failed POST: another invocation, "
        "a ChangeMessageVisibility, another ReceiveMessage), the dead-letter queue, KMS requests of the "
        "queues' encryption (alias/aws/sqs: data keys reused for 5 minutes), DynamoDB Streams reads (free "
        "for Lambda triggers)."
    )
    return notes


def _lifecycle_goal_note(lines: list[Line]) -> str:
    fixed = _dollars(lines, "API Gateway", "DynamoDB on-demand writes")
    return (
        f"Goal ≤ ${LIFECYCLE_COST_GOAL:.0f} (proposed with the state machine): a budget over what the API "
        f"and the data model fix: the API requests and the DynamoDB writes (the table's items and the index "
        f"entries) are ${fixed:.2f} of the ${total(lines):.2f}; the rest is Lambda, logs and the sweeper. "
        "Crossing it means a change cost something: an item grown over 1 KB (its writes double), a round "
        "trip more, or more index churn per transition."
    )


def _close_goal_note(lines: list[Line]) -> str:
    return (
        f"Goal ≤ ${COST_GOAL:.0f}: set for the design before the state machine (one conversation item and "
        "its lock, no index, logs not counted; it measured $7.52). Now the table's writes (create writes the "
        "state, details, start message and lock items; the close updates the state and deletes the lock; the "
        "purge deletes the details and the start message) are "
        f"${_dollars(lines, 'DynamoDB on-demand writes: the'):.2f} and the index writes "
        f"${_dollars(lines, 'DynamoDB on-demand writes: global'):.2f} alone."
    )


def _cost_section(title: str, lines: list[Line], *about: str) -> Section:
    rows = [[line.item, f"${line.dollars:,.3f}", line.basis] for line in lines]
    rows.append(["**Total (goal items)**", f"**${total(lines):,.2f}**", ""])
    return Section(
        title,
        ("Item", "Cost", "Basis"),
        rows,
        [
            *about,
            "Prices and their sources: bench/cost.py (us-east-1, on-demand, first tier, no free tier). "
            f"Cold-start share {ASSUMED_COLD_START_SHARE:.0%} is an assumption, not a measurement.",
            "Per conversation: each API operation of the path once (the messages as the section says); its "
            "purge once (RetentionDays after it closed: TTL deletes the state item free of charge, DynamoDB "
            "Streams reads by a Lambda trigger are free, the purge Queries the rest and deletes the details "
            "and the messages, the start message's at least); the timeout "
            f"sweeper's {MINUTES_PER_MONTH:,} runs a month (one Query per due-index shard each, nothing due) "
            f"spread over ASSUMED {ASSUMED_CONVERSATIONS_PER_MONTH / 1e6:g}M conversations a month. No "
            "conversation here times out (a timeout would add the sweeper's Query page and the "
            "transition's writes).",
            "Durations: API operations warm (section 2); the sweeper, the purge and the webhook functions "
            "timed in section 3's runs. Request units: section 3's billed figures. Index writes: their own "
            "line (section 3, index table).",
            "Not included: DynamoDB storage (ended conversations kept RetentionDays) and its backups (PITR), "
            "the lists and views (polled, not per conversation), data transfer, Secrets Manager (read at "
            "deploy), CloudWatch alarms, the idempotency table (see its WRU in section 3).",
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions (a smoke run, not for quoting)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"where to write the report ({RESULTS})")
    args = parser.parse_args(argv)
    log = Progress()
    # Powertools warns once per process when an invocation (a get) published no metric: expected here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    real_stdout = sys.stdout
    # The handlers' log lines and EMF metrics go to stdout: counted (cost of logs), not shown.
    sys.stdout = CountingSink()
    try:
        measured = measure_all(QUICK if args.quick else Settings(), log)
    finally:
        sys.stdout = real_stdout
    report = build_report(measured)
    args.output.write_text(report, encoding="utf-8")
    print(report)
    log(f"written to {args.output}")
    if args.output == RESULTS and not args.quick and readme.publish(report):
        log(f"README's benchmark table updated ({readme.README})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
