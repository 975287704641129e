"""A JSON reader that is strict where Python's json module is lenient, with errors that say where."""

from __future__ import annotations

import json
from typing import Any


class MalformedJson(ValueError):
    """The body is not one well-formed JSON document."""


def _reject_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not a JSON value")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedJson(f"duplicate key {key!r}: a key may appear once in an object")
            seen.add(key)
    return document


def loads(text: str) -> Any:
    """Parses a request body. Rejects duplicate keys (ambiguous), NaN/Infinity (not JSON) and documents
    too deep or numbers too long to parse; an empty body is an empty object (every field is optional), while
    one of only whitespace is no JSON document."""
    if not text:
        return {}
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise MalformedJson(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise MalformedJson("the document is nested too deeply") from None
    except ValueError as error:  # e.g. an integer with more digits than Python will convert
        if isinstance(error, MalformedJson):
            raise
        raise MalformedJson(str(error)) from None
