"""EventBridge cron expressions: `cron(minutes hours day-of-month month day-of-week year)`.

Supported: numbers, names (JAN-DEC, SUN-SAT; day-of-week 1 is Sunday), `*`, `?`, ranges `a-b`, lists `a,b`,
steps `*/n`, `a/n`, `a-b/n`; one of day-of-month and day-of-week must be `?`. Not emulated, refused by name:
`L`, `W` and `#`. Times are in the schedule's time zone (ScheduleExpressionTimezone, else UTC).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from local.event_sources.definitions import EventSourceError

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# (lowest, highest, names) per field, in the expression's order.
_FIELDS = [(0, 59, []), (0, 23, []), (1, 31, []), (1, 12, _MONTHS), (1, 7, _WEEKDAYS), (1970, 2199, [])]
_SEARCH_DAYS = 366 * 8  # a leap day on a given weekday can be years away


@dataclass(frozen=True)
class Cron:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: `?`
    months: frozenset[int]
    weekdays: frozenset[int] | None  # 1 = Sunday; None: `?`
    years: frozenset[int]
    zone: ZoneInfo

    def next_run(self, after: float) -> float:
        """The first matching minute strictly after `after` (epoch seconds)."""
        moment = datetime.fromtimestamp(after, self.zone).replace(second=0, microsecond=0) + timedelta(
            minutes=1
        )
        day = moment.date()
        for _ in range(_SEARCH_DAYS):
            if self._matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)
                        if candidate >= moment:
                            return candidate.timestamp()
            day += timedelta(days=1)
        raise EventSourceError(f"schedule expression {self.expression!r} never runs (in the next 8 years)")

    def _matches(self, day: date) -> bool:
        weekday = day.isoweekday() % 7 + 1  # Sunday 1 .. Saturday 7
        return (
            day.year in self.years
            and day.month in self.months
            and (self.days is None or day.day in self.days)
            and (self.weekdays is None or weekday in self.weekdays)
        )


def parse_cron(expression: str, timezone: str | None = None) -> Cron:
    match = re.fullmatch(r"cron\((.*)\)", expression.strip())
    fields = match.group(1).split() if match else []
    if len(fields) != 6:
        raise EventSourceError(
            f"schedule expression {expression!r} is not cron(min hour day month weekday year)"
        )
    if re.search(r"[LW#]", fields[2] + fields[4]):
        raise EventSourceError(f"schedule expression {expression!r}: L, W and # are not supported locally")
    if (fields[2] == "?") == (fields[4] == "?"):
        raise EventSourceError(
            f"schedule expression {expression!r}: exactly one of day-of-month and day-of-week is ?"
        )
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise EventSourceError(
            f"schedule expression {expression!r}: unknown time zone {timezone!r}"
        ) from None
    values = [_field(text, *spec, expression) for text, spec in zip(fields, _FIELDS, strict=True)]
    minutes, hours, days, months, weekdays, years = values
    assert minutes is not None and hours is not None and months is not None and years is not None
    return Cron(expression, minutes, hours, days, months, weekdays, years, zone)


def _field(text: str, lowest: int, highest: int, names: list[str], expression: str) -> frozenset[int] | None:
    if text == "?":
        return None
    chosen: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        if span == "*":
            start, end = lowest, highest
        else:
            first, _, last = span.partition("-")
            start = _number(first, lowest, highest, names, expression)
            end = (
                _number(last, lowest, highest, names, expression)
                if last
                else (highest if step_text else start)
            )
        step = _number(step_text, 1, highest, [], expression) if step_text else 1
        if start > end:
            raise EventSourceError(f"schedule expression {expression!r}: range {span} runs backwards")
        chosen.update(range(start, end + 1, step))
    return frozenset(chosen)


def _number(text: str, lowest: int, highest: int, names: list[str], expression: str) -> int:
    value = names.index(text.upper()) + lowest if text.upper() in names else None
    if value is None and text.isdigit():
        value = int(text)
    if value is None or not lowest <= value <= highest:
        raise EventSourceError(f"schedule expression {expression!r}: {text!r} is not in {lowest}-{highest}")
    return value
