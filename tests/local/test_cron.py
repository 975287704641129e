"""cron(...) schedules: the next run EventBridge would make, in the schedule's time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from local.event_sources import EventSourceError
from local.event_sources.cron import parse_cron
from local.event_sources.definitions import ScheduleDefinition
from local.event_sources.schedule import ScheduleSource


def at(text: str, zone: str = "UTC") -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def next_run(expression: str, after: str, timezone: str | None = None) -> str:
    moment = parse_cron(expression, timezone).next_run(at(after))
    return datetime.fromtimestamp(moment, ZoneInfo(timezone or "UTC")).strftime("%Y-%m-%d %H:%M %a")


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0/5 * * * ? *)", "2030-01-01 10:03:30", "2030-01-01 10:05 Tue"),
        ("cron(0/5 * * * ? *)", "2030-01-01 10:05:00", "2030-01-01 10:10 Tue"),  # strictly after
        ("cron(15 10 * * ? *)", "2030-01-01 10:15:00", "2030-01-02 10:15 Wed"),
        ("cron(0 18 ? * MON-FRI *)", "2030-01-04 19:00:00", "2030-01-07 18:00 Mon"),  # Friday evening
        ("cron(0 8 1 * ? *)", "2030-01-15 00:00:00", "2030-02-01 08:00 Fri"),
        ("cron(0 0 29 FEB ? *)", "2030-03-01 00:00:00", "2032-02-29 00:00 Sun"),
        ("cron(0 9 ? * 1 *)", "2030-01-01 00:00:00", "2030-01-06 09:00 Sun"),  # 1 is Sunday
        ("cron(30 1,13 ? * SAT,SUN 2031)", "2030-06-01 00:00:00", "2031-01-04 01:30 Sat"),
    ],
)
def test_next_run(expression: str, after: str, expected: str) -> None:
    assert next_run(expression, after) == expected


def test_the_time_zone_is_the_schedules() -> None:
    assert next_run("cron(0 9 * * ? *)", "2030-07-01 10:00:00", "Europe/Berlin") == "2030-07-02 09:00 Tue"
    moment = parse_cron("cron(0 9 * * ? *)", "Europe/Berlin").next_run(
        at("2030-07-01 10:00:00", "Europe/Berlin")
    )
    assert datetime.fromtimestamp(moment, UTC).hour == 7  # CEST is UTC+2


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("cron(0 12 L * ? *)", "L, W and # are not supported"),
        ("cron(0 12 ? * 6#3 *)", "L, W and # are not supported"),
        ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(60 12 * * ? *)", "'60' is not in 0-59"),
        ("cron(0 12 * FOO ? *)", "'FOO' is not in 1-12"),
        ("cron(0 12 * * ?)", "is not cron"),
        ("cron(0 12 30 2 ? *)", "never runs"),
    ],
)
def test_expressions_it_cannot_run_are_refused_by_name(expression: str, says: str) -> None:
    with pytest.raises(EventSourceError, match=says):
        parse_cron(expression).next_run(at("2030-01-01 00:00:00"))


def test_a_cron_schedule_waits_for_its_next_matching_minute() -> None:
    definition = ScheduleDefinition("Fn", "Nightly", "ScheduleV2", "cron(0 2 * * ? *)", None, True)
    source = ScheduleSource(definition, clock=lambda: at("2030-01-01 01:59:30"))
    source.start()
    assert source.describe() == "Fn <- ScheduleV2 Nightly: cron(0 2 * * ? *)"
    assert source.timing.next_run(at("2030-01-01 01:59:30"), None) == at("2030-01-01 02:00:00")
