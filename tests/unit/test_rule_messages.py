"""The request rules written as code (messaging.http.checks) say, word for word, what a 400 shows a client
for the field that broke them: a StartTimeStamp that is no RFC 3339 date-time, or no real one, and an
attachment's contentUrl that is neither https nor well-formed base64 data."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from messaging.http import checks

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
}


@pytest.mark.parametrize(("rule", "value", "message"), BROKEN_RULES.values(), ids=BROKEN_RULES.keys())
def test_a_broken_rule_says_what_the_value_must_be(
    rule: Callable[[str], str], value: str, message: str
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
