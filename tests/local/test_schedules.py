"""Schedule and ScheduleV2 events under the dev server: EventBridge's event, once per period, first one period
after the start; rate(...) from the template, a local-only --schedule-seconds to run one faster. (cron(...):
tests/local/test_cron.py.)"""

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local.dev_server import DevServer
from local.dynamodb_local import REPO_ROOT, DynamoDBLocal
from local.event_sources import EventSourceError
from local.event_sources.definitions import ScheduleDefinition, read_definitions
from local.event_sources.schedule import Rate, ScheduleSource, rate_seconds, schedule_periods, timing
from local.template import load_template
from tests.local.event_source_app import SCHEDULE_TEMPLATE, eventually, logged, write_app

FAST = {"TickFunction.Plain": 0.2, "TickFunction.WithInput": 0.2, "TickFunction.Rule": 0.2}


def test_scheduled_functions_get_eventbridges_event_every_local_period(
    dynamodb_local: DynamoDBLocal, tmp_path: Path, table_prefix: str
) -> None:
    # Given the throw-away app's schedules run every 0.2 s (local knob), in a worker process
    template = write_app(tmp_path / "app", SCHEDULE_TEMPLATE)
    log = tmp_path / "ticks.jsonl"
    server = DevServer(
        template,
        dynamodb_endpoint=dynamodb_local.endpoint,
        parameter_overrides={"LogDir": str(tmp_path)},
        table_prefix=table_prefix,
        workers=1,
        schedule_seconds=FAST,
    )
    with server:
        # When each schedule ran at least twice
        def ran_twice() -> list[dict[str, Any]] | None:
            ticks = logged(log)
            kinds = Counter(
                str(tick["event"].get("detail-type", tick["event"].get("job", "{}"))) for tick in ticks
            )
            return ticks if min(kinds.get(k, 0) for k in ("{}", "report", "Scheduled Event")) >= 2 else None

        ticks = eventually(ran_twice, "every schedule ran twice")
    events = [tick["event"] for tick in ticks]
    # Then ScheduleV2 sends {} (or its Input), Schedule sends an EventBridge rule's scheduled event
    assert {} in events and {"job": "report"} in events
    rule = next(event for event in events if event.get("source") == "aws.events")
    assert rule["detail-type"] == "Scheduled Event" and rule["detail"] == {}
    assert rule["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/TickFunctionRule"]
    assert {tick["function"] for tick in ticks} == {"TickFunction"}


def test_the_banner_lists_the_schedules_with_their_rate_and_the_local_period(
    dynamodb_local: DynamoDBLocal, tmp_path: Path, table_prefix: str
) -> None:
    template = write_app(tmp_path / "app", SCHEDULE_TEMPLATE)
    server = DevServer(
        template,
        dynamodb_endpoint=dynamodb_local.endpoint,
        parameter_overrides={"LogDir": str(tmp_path)},
        table_prefix=table_prefix,
        schedule_seconds={"TickFunction.Rule": 30},
    )
    with server:
        assert server.event_sources is not None
        lines = server.event_sources.describe()
    # The disabled one (State: DISABLED) is not run
    assert lines == [
        "TickFunction <- ScheduleV2 Plain: rate(1 minute)",
        "TickFunction <- ScheduleV2 WithInput: rate(5 minutes)",
        "TickFunction <- Schedule Rule: every 30 s (local --schedule-seconds; the template says"
        " rate(1 hour))",
    ]


def test_a_local_period_for_no_schedule_is_refused(
    dynamodb_local: DynamoDBLocal, tmp_path: Path, table_prefix: str
) -> None:
    template = write_app(tmp_path / "app", SCHEDULE_TEMPLATE)
    server = DevServer(
        template,
        dynamodb_endpoint=dynamodb_local.endpoint,
        parameter_overrides={"LogDir": str(tmp_path)},
        table_prefix=table_prefix,
        schedule_seconds={"Nope": 1},
    )
    with pytest.raises(EventSourceError, match="Nope"):
        server.start()


def test_without_event_sources_nothing_is_scheduled(
    dynamodb_local: DynamoDBLocal, tmp_path: Path, table_prefix: str
) -> None:
    template = write_app(tmp_path / "app", SCHEDULE_TEMPLATE)
    server = DevServer(
        template,
        dynamodb_endpoint=dynamodb_local.endpoint,
        parameter_overrides={"LogDir": str(tmp_path)},
        table_prefix=table_prefix,
        event_sources=False,
    )
    with server:
        assert server.event_sources is None


class FakeTime(threading.Event):
    """A clock that moves only when the source waits: each wait is recorded and then passes."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        self.now += timeout
        return False

    def clock(self) -> float:
        return self.now


def source(expression: str, period: float | None = None) -> tuple[ScheduleSource, FakeTime]:
    fake = FakeTime()
    definition = ScheduleDefinition("Fn", "Every", "ScheduleV2", expression, None, True)
    schedule = ScheduleSource(definition, period, clock=fake.clock)
    schedule.start()
    return schedule, fake


def test_the_first_run_is_one_period_after_the_start_then_one_per_period() -> None:
    schedule, fake = source("rate(1 minute)")
    assert schedule.next_batch(fake) is not None
    assert schedule.next_batch(fake) is not None
    assert fake.waits == [60.0, 60.0]


def test_ticks_missed_while_a_run_outlasted_the_period_are_skipped() -> None:
    schedule, fake = source("rate(1 minute)")
    assert schedule.next_batch(fake) is not None  # at 60 s
    fake.now += 150  # the run took 150 s: the ticks at 120 s and 180 s passed meanwhile
    assert schedule.next_batch(fake) is not None  # at once, for the tick at 180 s
    assert schedule.next_batch(fake) is not None
    assert fake.waits == [60.0, 30.0]


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(2 days)", 172800)],
)
def test_rate_expressions(expression: str, seconds: int) -> None:
    assert rate_seconds(expression) == seconds


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("rate(1 minutes)", "singular"),
        ("rate(5 minute)", "singular"),
        ("rate(0 minutes)", "positive"),
        ("rate(5 seconds)", "is not rate"),
        ("at(2030-01-01T00:00:00)", "is not rate"),
    ],
)
def test_expressions_the_dev_server_cannot_run_are_refused_by_name(expression: str, says: str) -> None:
    with pytest.raises(EventSourceError, match=f".*{says.replace('(', '.').replace(')', '.')}"):
        rate_seconds(expression)


def test_the_templates_sweeper_runs_every_minute_by_default() -> None:
    definitions = read_definitions(load_template(REPO_ROOT / "template.yaml"))
    (sweeper,) = definitions.schedules
    assert (sweeper.function_id, sweeper.event_type, sweeper.input) == (
        "TimeoutSweeperFunction",
        "ScheduleV2",
        None,
    )
    rate = timing(sweeper)
    assert isinstance(rate, Rate) and rate.period == 60


@pytest.mark.parametrize(
    ("options", "error"), [(["Fn=0"], "SECONDS > 0"), (["Fn"], "NAME=SECONDS"), (["=3"], "SECONDS > 0")]
)
def test_schedule_seconds_options_are_checked(options: list[str], error: str) -> None:
    with pytest.raises(SystemExit, match=error):
        schedule_periods(options)


def test_schedule_seconds_options() -> None:
    parse: Callable[[list[str]], dict[str, float]] = schedule_periods
    assert parse(["A=1.5", "B.Ev=2"]) == {"A": 1.5, "B.Ev": 2.0}
