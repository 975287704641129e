"""Reads a bearer JWT's claims WITHOUT VERIFYING IT: for LOCAL runs only (`make dev`, `sam local`).

!!! LOCAL ONLY. THE SIGNATURE IS NOT CHECKED, NOR THE ISSUER OR THE AUDIENCE. !!!
Anyone can write a token this module accepts. Deployed, API Gateway's JWT authorizer verifies the token
against the issuer's keys before any function runs, and the functions read the claims it passes in the
event, never the Authorization header. This module only lets local runs refuse what that authorizer would
refuse for the token's shape and time (missing, malformed, expired, not yet valid), so that a client that
works locally does not break when deployed.

Standard library only: the layer ships no JWT library.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Sequence
from typing import Any

# Deeper claims are refused before parsing: json's recursive parser would otherwise raise RecursionError
# (or worse) on a token nested thousands of levels deep. Real tokens nest two or three levels.
MAX_CLAIMS_DEPTH = 32
# API Gateway refuses a request whose request line and headers exceed 10,240 bytes; no token is longer.
MAX_TOKEN_CHARS = 10_240
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class BearerTokenError(Exception):
    """The Authorization header holds no usable bearer token (an HTTP 401). `message` says why.

    `missing` is True when no credentials were sent at all (RFC 6750: answer `WWW-Authenticate: Bearer`
    without an error code)."""

    def __init__(self, message: str, *, missing: bool = False):
        super().__init__(message)
        self.message = message
        self.missing = missing


def claims_from_authorization(values: Sequence[str], now: float) -> dict[str, Any]:
    """The claims of the one bearer JWT in `values`, every Authorization header value the request carried.

    LOCAL ONLY: the signature is NOT verified (see the module's docstring). Raises BearerTokenError unless
    there is exactly one header "Bearer <token>", the token is three base64url parts whose header and payload
    are JSON objects (strict JSON, at most MAX_CLAIMS_DEPTH deep), `exp` is a finite number after `now`, and
    `nbf`, when present, a finite number not after `now`.
    """
    if isinstance(values, str):  # a str is a Sequence[str] too: one header value passed by mistake
        raise TypeError("values must be a sequence of header values, not one string")
    present = [value for value in values if value.strip()]
    if not present:
        raise BearerTokenError("Missing Authorization header (expected: Bearer <token>)", missing=True)
    # API Gateway joins repeated headers with a comma, and a JWT never holds one: either way, two values.
    if len(present) > 1 or "," in present[0]:
        raise BearerTokenError("More than one Authorization header (send exactly one: Bearer <token>)")
    scheme, _, token = present[0].strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        raise BearerTokenError('Authorization header must be "Bearer <token>"')
    if len(token) > MAX_TOKEN_CHARS:
        raise BearerTokenError(f"Malformed bearer token: longer than {MAX_TOKEN_CHARS} characters")
    parts = token.split(".")
    if len(parts) != 3 or not all(_BASE64URL.fullmatch(part) for part in parts):
        raise BearerTokenError("Malformed bearer token: not three base64url parts separated by dots")
    _json_object(parts[0], "header")
    claims = _json_object(parts[1], "payload")
    _check_times(claims, now)
    return claims


def _json_object(part: str, name: str) -> dict[str, Any]:
    try:
        text = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8")
    except ValueError:  # binascii.Error (a bad length) or UnicodeDecodeError
        raise BearerTokenError(f"Malformed bearer token: its {name} is not base64url UTF-8") from None
    if _nesting_depth(text) > MAX_CLAIMS_DEPTH:
        raise BearerTokenError(f"Malformed bearer token: its {name} nests deeper than {MAX_CLAIMS_DEPTH}")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, too-long integers, refused constants
        raise BearerTokenError(f"Malformed bearer token: its {name} is not JSON ({error})") from None
    if not isinstance(value, dict):
        raise BearerTokenError(f"Malformed bearer token: its {name} is not a JSON object")
    return value


def _nesting_depth(text: str) -> int:
    """The deepest [ or { nesting in a JSON text, brackets inside strings not counted. Cheap: one pass."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one claim: which one a verifier and a reader each pick is how tokens get confused.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("a key appears twice")
    return result


def _check_times(claims: dict[str, Any], now: float) -> None:
    if "exp" not in claims:
        raise BearerTokenError("Bearer token has no exp claim")
    if not _is_finite_number(claims["exp"]):
        raise BearerTokenError("Bearer token's exp claim is not a finite number")
    if claims["exp"] <= now:
        raise BearerTokenError("Bearer token has expired")
    if "nbf" in claims:
        if not _is_finite_number(claims["nbf"]):
            raise BearerTokenError("Bearer token's nbf claim is not a finite number")
        if claims["nbf"] > now:
            raise BearerTokenError("Bearer token is not valid yet (nbf)")


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, bool):  # True is an int to Python, not a time
        return False
    if isinstance(value, int):
        return True  # even 10**400: exact, and compares with a float without overflowing
    return isinstance(value, float) and math.isfinite(value)
