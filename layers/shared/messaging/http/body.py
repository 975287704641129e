"""The request body before any model sees it: size and media type (413/415), encoding, and strict JSON.

Python's json module is lenient where a request must not be: it keeps the last of two duplicate keys, reads
NaN and Infinity, and fails with a RecursionError on deep nesting. Here each is a 400 `malformed_json` that
says where; an empty body is an empty object (every create field is optional), a body of only whitespace is
no JSON document.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from messaging.http.problem import FieldError, problem_answer
from messaging.limits import MAX_BODY_BYTES

_JSON_TYPES = ("application/json", "application/problem+json")


class MalformedJson(ValueError):
    """The body is not one well-formed JSON document."""


def unacceptable(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """413/415/400 for a body we will not parse, answered before any validation."""
    body = event.get("body")
    if not body:
        return None
    headers = event.get("headers") or {}
    content_type = str(headers.get("content-type", "")).split(";")[0].strip().lower()
    if content_type and content_type not in _JSON_TYPES and not content_type.endswith("+json"):
        return _refusal(
            "unsupported_media_type",
            f"the body must be JSON sent as Content-Type: application/json, not {content_type}",
        )
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
            raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _refusal("malformed_json", "the body is not UTF-8 encoded JSON")
    else:
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        return _refusal(
            "payload_too_large", f"the body is {len(raw)} bytes; at most {MAX_BODY_BYTES} bytes are accepted"
        )
    return None


def _refusal(code: str, detail: str) -> dict[str, Any]:
    return problem_answer(code, detail, [FieldError("body", code, detail)])


def json_document(event: Mapping[str, Any]) -> Any:
    """The body as a JSON value (after `unacceptable` let it through)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded") and body:
        body = base64.b64decode(body).decode("utf-8")
    return loads(body)


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
