"""Schedule and ScheduleV2 events: the function gets EventBridge's event once per period.

`rate(N minute|minutes|hour|hours|day|days)` as EventBridge writes it (1 takes the singular, more the plural):
the first run is one period after the dev server starts, then one per period. `cron(...)`: see
local.event_sources.cron. A run that outlasts the period skips the ticks it missed (the functions this
serves hold one run at a time). Any other expression stops the start, named.

A local-only knob, for tests and impatient people: `--schedule-seconds NAME=SECONDS` (NAME: the function's
logical id, or Function.Event) runs that schedule every SECONDS instead; the default is the template's rate.
"""

import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from local.event_sources.batches import Batch, Outcome
from local.event_sources.cron import Cron, parse_cron
from local.event_sources.definitions import EventSourceError, ScheduleDefinition
from local.events import LOCAL_ACCOUNT_ID, LOCAL_REGION

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int:
    """The period of a rate expression, in seconds."""
    text = expression.strip()
    match = _RATE.fullmatch(text)
    if match is None:
        raise EventSourceError(
            f"schedule expression {text!r} is not rate(N minute|minutes|hour|hours|day|days) or cron(...)"
        )
    value, unit = int(match.group(1)), match.group(2)
    singular = unit.removesuffix("s")
    if value < 1 or (value == 1) != (unit == singular):
        raise EventSourceError(
            f"schedule expression {text!r}: EventBridge wants a positive value, the unit singular for 1 "
            "and plural otherwise (rate(1 minute), rate(5 minutes))"
        )
    return value * _UNIT_SECONDS[singular]


def schedule_event(definition: ScheduleDefinition, now: float) -> dict[str, Any]:
    """What the function receives: the Input when the template gives one, else EventBridge's default."""
    if definition.input is not None:
        try:
            given = json.loads(definition.input)
        except json.JSONDecodeError as error:
            raise EventSourceError(
                f"{definition.function_id}.{definition.event_name}: Input: {error}"
            ) from None
        if not isinstance(given, dict):
            raise EventSourceError(
                f"{definition.function_id}.{definition.event_name}: Input must be a JSON object locally"
            )
        return given
    if definition.event_type == "ScheduleV2":
        return {}  # EventBridge Scheduler's target input when none is given
    rule = f"{definition.function_id}{definition.event_name}"
    return {  # an EventBridge rule's scheduled event
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT_ID,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "region": LOCAL_REGION,
        "resources": [f"arn:aws:events:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


class Rate:
    def __init__(self, period: float) -> None:
        if period <= 0:
            raise EventSourceError(f"a schedule's period must be positive, not {period}")
        self.period = period

    def next_run(self, now: float, previous: float | None) -> float:
        """One period after the start, then one after the previous run (past ticks skipped)."""
        if previous is None:
            return now + self.period
        upcoming = previous + self.period
        while upcoming <= now:
            upcoming += self.period
        return upcoming


class CronTiming:
    def __init__(self, cron: Cron) -> None:
        self.cron = cron

    def next_run(self, now: float, previous: float | None) -> float:
        return self.cron.next_run(now)


def timing(definition: ScheduleDefinition, period_override: float | None = None) -> Rate | CronTiming:
    if period_override is not None:
        return Rate(period_override)
    if definition.expression.strip().startswith("cron("):
        return CronTiming(parse_cron(definition.expression, definition.timezone))
    return Rate(rate_seconds(definition.expression))


class ScheduleSource:
    def __init__(
        self,
        definition: ScheduleDefinition,
        period_override: float | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.definition = definition
        self.function_id = definition.function_id
        self.timing = timing(definition, period_override)
        self._override = period_override
        schedule_event(definition, 0.0)  # a bad Input fails the start, not the first run
        self._clock = clock
        self._next_run = 0.0

    @property
    def name(self) -> str:
        return f"{self.function_id}.{self.definition.event_name}"

    def describe(self) -> str:
        every = self.definition.expression
        if isinstance(self.timing, CronTiming) and self.definition.timezone:
            every += f" ({self.definition.timezone})"
        if self._override is not None:
            every = f"every {self._override:g} s (local --schedule-seconds; the template says {every})"
        return f"{self.function_id} <- {self.definition.event_type} {self.definition.event_name}: {every}"

    def start(self) -> None:
        self._next_run = self.timing.next_run(self._clock(), None)

    def next_batch(self, stop: threading.Event) -> Batch | None:
        delay = self._next_run - self._clock()
        if delay > 0 and stop.wait(delay):
            return None
        now = self._clock()
        if now < self._next_run:
            return None  # woken early (spuriously): not yet
        self._next_run = self.timing.next_run(now, self._next_run)
        return Batch(schedule_event(self.definition, now))

    def settle(self, batch: Batch, outcome: Outcome) -> None:
        if outcome.error is not None:
            # Deployed: the Errors metric (and its alarm); the next tick is the retry.
            print(f"error: {self.name} (schedule) failed: {outcome.error}", file=sys.stderr, flush=True)


def schedule_periods(options: list[str]) -> dict[str, float]:
    """`--schedule-seconds NAME=SECONDS` options."""
    periods = {}
    for option in options:
        name, _, seconds = option.partition("=")
        try:
            periods[name] = float(seconds)
        except ValueError:
            raise SystemExit(f"error: --schedule-seconds {option!r} is not NAME=SECONDS") from None
        if not name or periods[name] <= 0:
            raise SystemExit(f"error: --schedule-seconds {option!r} is not NAME=SECONDS (SECONDS > 0)")
    return periods
