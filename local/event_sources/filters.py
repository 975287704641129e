"""FilterCriteria: Lambda's event filtering, EventBridge-style patterns matched against each record.

A pattern is a JSON object whose keys follow the record's: a nested object matches a nested object, an
array lists the values any of which may match a leaf (or any element of an array leaf). Array entries:
a literal (string, number, true/false, null) matches an equal value; objects are operators:
`prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a value, a list, or {"prefix"/"suffix": ...}),
`exists` (true: the leaf is there; false: the field is absent), `numeric` (["=", 5], [">", 0, "<=", 9]).
`"$or": [pattern, ...]` at any level matches when one of them does. Several filters: a record passes when
any of them matches. Anything else is a FilterError when the dev server starts, naming it, rather than a
filter that silently passes or drops everything.
"""

import json
import operator
from collections.abc import Callable, Sequence
from typing import Any

_MISSING = object()
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_STRING_OPERATORS = ("prefix", "suffix", "equals-ignore-case")


class FilterError(ValueError):
    """A pattern the local filter does not understand (or that Lambda would reject)."""


class RecordFilter:
    """The event source's filters: a record passes when any pattern matches (all pass without filters)."""

    def __init__(self, patterns: Sequence[str | dict[str, Any]]) -> None:
        self.patterns = [_parse(pattern) for pattern in patterns]

    def __call__(self, record: dict[str, Any]) -> bool:
        return not self.patterns or any(_matches_object(pattern, record) for pattern in self.patterns)


def _parse(pattern: str | dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = json.loads(pattern) if isinstance(pattern, str) else pattern
    except json.JSONDecodeError as error:
        raise FilterError(f"filter pattern {pattern!r} is not JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise FilterError(f"filter pattern {pattern!r} is not a JSON object")
    _check_object(parsed, "")
    return parsed


def _check_object(pattern: dict[str, Any], where: str) -> None:
    for key, value in pattern.items():
        path = f"{where}.{key}" if where else key
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(p, dict) for p in value):
                raise FilterError(f"{path}: $or takes a list of at least two patterns")
            for alternative in value:
                _check_object(alternative, path)
        elif isinstance(value, dict):
            _check_object(value, path)
        elif isinstance(value, list):
            if not value:
                raise FilterError(f"{path}: an empty list matches nothing (Lambda rejects it)")
            for matcher in value:
                _check_matcher(matcher, path)
        else:
            raise FilterError(f"{path}: a pattern's leaf must be a list of values, not {value!r}")


def _check_matcher(matcher: Any, path: str) -> None:
    if not isinstance(matcher, dict):
        if isinstance(matcher, list):
            raise FilterError(f"{path}: nested lists are not a pattern")
        return
    if len(matcher) != 1:
        raise FilterError(f"{path}: an operator object holds exactly one operator, not {matcher!r}")
    ((name, argument),) = matcher.items()
    if name in _STRING_OPERATORS:
        if not isinstance(argument, str):
            raise FilterError(f"{path}: {name} takes a string, not {argument!r}")
    elif name == "exists":
        if not isinstance(argument, bool):
            raise FilterError(f"{path}: exists takes true or false, not {argument!r}")
    elif name == "numeric":
        _check_numeric(argument, path)
    elif name == "anything-but":
        _check_anything_but(argument, path)
    else:
        raise FilterError(
            f"{path}: filter operator {name!r} is not supported locally (supported: prefix, suffix, "
            "equals-ignore-case, anything-but, exists, numeric, $or)"
        )


def _check_numeric(argument: Any, path: str) -> None:
    pairs = argument if isinstance(argument, list) else None
    if not pairs or len(pairs) % 2 or len(pairs) > 4:
        raise FilterError(f"{path}: numeric takes one or two [operator, number] pairs, not {argument!r}")
    for comparison, bound in zip(pairs[::2], pairs[1::2], strict=True):
        if comparison not in _COMPARISONS or isinstance(bound, bool) or not isinstance(bound, int | float):
            raise FilterError(f"{path}: numeric comparison {comparison!r} {bound!r} is not supported")


def _check_anything_but(argument: Any, path: str) -> None:
    if isinstance(argument, dict):
        if len(argument) != 1 or next(iter(argument)) not in ("prefix", "suffix"):
            raise FilterError(f"{path}: anything-but takes a value, a list, or one prefix/suffix object")
    elif isinstance(argument, list) and (
        not argument or any(isinstance(value, dict | list) for value in argument)
    ):
        raise FilterError(f"{path}: anything-but's list holds plain values only")


def _matches_object(pattern: dict[str, Any], value: Any) -> bool:
    for key, expected in pattern.items():
        if key == "$or":
            if not any(_matches_object(alternative, value) for alternative in expected):
                return False
            continue
        field = value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
        if isinstance(expected, dict):
            if not isinstance(field, dict) or not _matches_object(expected, field):
                return False
        elif not _matches_leaf(expected, field):
            return False
    return True


def _matches_leaf(matchers: list[Any], field: Any) -> bool:
    if field is _MISSING:
        return any(matcher == {"exists": False} for matcher in matchers)
    values = field if isinstance(field, list) else [field]
    return any(_matches_value(matcher, value) for matcher in matchers for value in values)


def _matches_value(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        return _equal(matcher, value)
    ((name, argument),) = matcher.items()
    if name == "exists":
        return bool(argument) and not isinstance(value, dict)  # exists matches leaves only
    if name == "anything-but":
        return _anything_but(argument, value)
    if name == "numeric":
        return _numeric(argument, value)
    return isinstance(value, str) and _STRING_MATCHES[name](value, argument)


_STRING_MATCHES: dict[str, Callable[[str, str], bool]] = {
    "prefix": str.startswith,
    "suffix": str.endswith,
    "equals-ignore-case": lambda value, other: value.casefold() == other.casefold(),
}


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool) or expected is None or value is None:
        return expected is value  # true, false and null are singletons
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(expected) == float(value)
    return type(expected) is type(value) and bool(expected == value)


def _anything_but(argument: Any, value: Any) -> bool:
    if isinstance(value, dict):
        return False
    if isinstance(argument, dict):
        ((name, affix),) = argument.items()
        if not isinstance(value, str):
            return False
        return not (value.startswith(affix) if name == "prefix" else value.endswith(affix))
    excluded = argument if isinstance(argument, list) else [argument]
    return not any(_equal(other, value) for other in excluded)


def _numeric(pairs: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return all(
        _COMPARISONS[comparison](float(value), float(bound))
        for comparison, bound in zip(pairs[::2], pairs[1::2], strict=True)
    )
