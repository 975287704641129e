"""The request rules written as code (messaging.http.checks) say, word for word, what a 400 shows a client
for the field that broke them: a StartTimeStamp that is no RFC 3339 date-time, or no real one, and an
attachment's contentUrl that is neither https nor well-formed base64 data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from messaging.http import checks
from messaging.limits import CONTEXT_TEXT_MAX, MAX_SAFE_INTEGER

BROKEN_RULES = {
    "not RFC 3339": (
        checks.date_time,
        "2026-11-18 11:06:40",
        "must be an RFC 3339 date-time, e.g. 2026-11-18T11:06:40Z",
    ),
    "no such day": (checks.date_time, "2026-02-30T11:06:40Z", "must be a real date and time (RFC 3339)"),
    "http": (
        checks.content_url,
        "http://example.com/a.png",
        "must be an https URL with a host, or a data: URL with well-formed base64",
    ),
    "unpadded data": (
        checks.content_url,
        "data:image/png;base64,abc",
        "must be an https URL with a host, or a data: URL with well-formed base64",
    ),
    "phone without a digit": (
        checks.phone,
        "call me",
        "may hold only digits, spaces and + - ( ) . and must contain at least one digit",
    ),
    "email without a domain": (checks.email, "pat@", "must be a valid email address (name@example.com)"),
    "lone surrogate": (checks.encodable, "\ud800", "must be valid Unicode text (no lone surrogate escapes)"),
    "start message over 27 KB": (
        checks.start_message_size,
        "m" * (27 * 1024 + 1),
        "must be at most 27648 bytes (27 KB) in UTF-8",
    ),
    "context text too long": (
        checks.context_value,
        "v" * (CONTEXT_TEXT_MAX + 1),
        f"must be at most {CONTEXT_TEXT_MAX} characters",
    ),
    "infinite context number": (checks.context_value, float("inf"), "must be a finite number"),
    "context number not a number": (checks.context_value, float("nan"), "must be a finite number"),
    "context number past the safe integers": (
        checks.context_value,
        MAX_SAFE_INTEGER + 1,
        f"numbers must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}",
    ),
    "context value of another type": (checks.context_value, [1], "must be a string, a number or a boolean"),
}


@pytest.mark.parametrize(("rule", "value", "message"), BROKEN_RULES.values(), ids=BROKEN_RULES.keys())
def test_a_broken_rule_says_what_the_value_must_be(
    rule: Callable[[Any], object], value: object, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        rule(value)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "value", ["2026-11-18T11:06:40Z", "2026-11-18t11:06:40z", "2026-11-18T12:06:40.5+01:00"], ids=repr
)
def test_a_date_time_in_utc_or_with_an_offset_is_kept_as_sent_and_read_as_its_instant(value: str) -> None:
    # Given the same instant, 2026-11-18T11:06:40Z, written three ways (the last half a second later)
    assert checks.date_time(value) == value
    assert checks.epoch_ms(value) == 1_795_000_000_000 + (500 if ".5" in value else 0)
