"""messaging.http.bearer: the local-only reading of a bearer JWT refuses what API Gateway's authorizer would.

Tokens are assembled by hand (PyJWT refuses to mint most of these shapes), signed with garbage: the
signature is never checked here.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from messaging.http.bearer import MAX_CLAIMS_DEPTH, BearerTokenError, claims_from_authorization

NOW = 1_800_000_000.0
HEADER = {"alg": "HS256", "typ": "JWT"}


def part(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def token(payload: Any, header: Any = HEADER) -> str:
    return f"{part(header)}.{part(payload)}.c2lnbmF0dXJl"


def bearer(payload: Any, header: Any = HEADER) -> list[str]:
    return [f"Bearer {token(payload, header)}"]


def refused(values: list[str], reason: str) -> BearerTokenError:
    with pytest.raises(BearerTokenError, match=reason) as caught:
        claims_from_authorization(values, now=NOW)
    return caught.value


VALID = {"client_id": "acme", "exp": NOW + 60, "scope": "messaging/conversations"}


def test_a_well_formed_unexpired_token_gives_its_claims_whatever_its_signature() -> None:
    # Given a token signed by nobody, When it is read, Then its claims come back (LOCAL ONLY)
    assert claims_from_authorization(bearer(VALID), now=NOW) == VALID


def test_the_scheme_is_case_insensitive_and_surrounding_spaces_are_ignored() -> None:
    assert claims_from_authorization([f"  bEaReR   {token(VALID)}  "], now=NOW)["client_id"] == "acme"


@pytest.mark.parametrize("values", [[], [""], ["   "]], ids=["no header", "empty", "blank"])
def test_no_credentials_are_missing_credentials(values: list[str]) -> None:
    error = refused(values, "Missing Authorization")
    assert error.missing


def test_two_authorization_headers_are_refused() -> None:
    # Given the same valid token sent twice
    error = refused(bearer(VALID) * 2, "More than one Authorization header")
    # Then it is a bad token, not missing credentials
    assert not error.missing


def test_two_tokens_joined_with_a_comma_as_api_gateway_joins_repeated_headers_are_refused() -> None:
    refused([f"Bearer {token(VALID)}, Bearer {token(VALID)}"], "More than one Authorization header")


def test_a_blank_second_header_does_not_count_as_a_second_token() -> None:
    assert claims_from_authorization([*bearer(VALID), ""], now=NOW)["client_id"] == "acme"


@pytest.mark.parametrize(
    "value",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Bearer a b", "Bearer\ta.b.c", "Token a.b.c"],
)
def test_anything_but_bearer_and_one_token_is_refused(value: str) -> None:
    refused([value], '"Bearer <token>"')


NOT_THREE_BASE64URL_PARTS = {
    "one part": "not-a-jwt",
    "two parts": "a.b",
    "four parts": "a.b.c.d",
    "empty payload": "a..c",
    "empty signature": "a.b.",
    "not base64url": "YQ.Yg.Yw+",
    "impossible length": "a.b.c",
    "padding": "e30.e30=.c2ln",
}


@pytest.mark.parametrize("value", NOT_THREE_BASE64URL_PARTS.values(), ids=NOT_THREE_BASE64URL_PARTS.keys())
def test_a_token_that_is_not_three_base64url_parts_is_malformed(value: str) -> None:
    refused([f"Bearer {value}"], "Malformed bearer token")


def test_a_token_longer_than_api_gateways_header_cap_is_malformed() -> None:
    refused(bearer({**VALID, "pad": "x" * 10_240}), "longer than")


NOT_A_STRICT_JSON_OBJECT = {
    "array": ("[1, 2]", "not a JSON object"),
    "string": ('"acme"', "not a JSON object"),
    "number": ("42", "not a JSON object"),
    "null": ("null", "not a JSON object"),
    "truncated": ("{", "not JSON"),
    "NaN": ('{"exp": NaN}', "not JSON"),
    "Infinity": ('{"exp": Infinity}', "not JSON"),
    "-Infinity": ('{"exp": -Infinity}', "not JSON"),
    "duplicate key": ('{"exp": 1, "exp": 2}', "not JSON"),
    "5000 digits": ('{"exp": ' + "9" * 5000 + "}", "not JSON"),
}


@pytest.mark.parametrize(
    ("payload", "reason"), NOT_A_STRICT_JSON_OBJECT.values(), ids=NOT_A_STRICT_JSON_OBJECT.keys()
)
def test_a_payload_that_is_not_a_strict_json_object_is_malformed(payload: str, reason: str) -> None:
    refused(bearer(payload), reason)


def test_a_payload_that_is_not_utf8_is_malformed() -> None:
    payload = base64.urlsafe_b64encode(b'{"exp": "\xff"}').rstrip(b"=").decode()
    refused([f"Bearer {part(HEADER)}.{payload}.c2ln"], "not base64url UTF-8")


def test_a_header_that_is_not_a_json_object_is_malformed() -> None:
    refused(bearer(VALID, header="[]"), "its header is not a JSON object")


def test_claims_nested_very_deep_are_refused_before_parsing() -> None:
    # Given claims nested 500 levels deep (json's recursive parser would blow up on far deeper ones)
    deep = "[" * 500 + "]" * 500
    # Then the token is refused with a 401 reason, not a crash
    refused(bearer(f'{{"exp": {NOW + 60}, "x": {deep}}}'), f"nests deeper than {MAX_CLAIMS_DEPTH}")


def test_claims_at_the_depth_limit_are_accepted_and_brackets_inside_strings_do_not_count() -> None:
    # Given the object itself (depth 1) holding arrays down to exactly the limit, and a string of brackets
    nested = "[" * (MAX_CLAIMS_DEPTH - 1) + "]" * (MAX_CLAIMS_DEPTH - 1)
    payload = f'{{"exp": {NOW + 60}, "x": {nested}, "s": "{"[" * 100}\\"{{"}}'
    # Then it is read
    claims = claims_from_authorization(bearer(payload), now=NOW)
    assert claims["s"] == "[" * 100 + '"{'


def test_one_level_past_the_depth_limit_is_refused() -> None:
    nested = "[" * MAX_CLAIMS_DEPTH + "]" * MAX_CLAIMS_DEPTH
    refused(bearer(f'{{"exp": {NOW + 60}, "x": {nested}}}'), "nests deeper")


def test_a_token_without_exp_is_refused() -> None:
    refused(bearer({"client_id": "acme"}), "no exp claim")


@pytest.mark.parametrize(
    "exp",
    ['"tomorrow"', '"1900000000"', "true", "false", "null", "[1900000000]", '{"t": 1}', "1e999", "-1e999"],
    ids=["word", "numeric string", "true", "false", "null", "list", "object", "1e999", "-1e999"],
)
def test_an_exp_that_is_not_a_finite_number_is_refused(exp: str) -> None:
    refused(bearer(f'{{"client_id": "acme", "exp": {exp}}}'), "exp claim is not a finite number")


def test_a_token_expires_at_exactly_its_exp() -> None:
    assert claims_from_authorization(bearer({"exp": NOW + 1}), now=NOW)["exp"] == NOW + 1
    refused(bearer({"exp": NOW}), "expired")


def test_a_huge_integer_exp_is_a_finite_time_in_the_future() -> None:
    assert claims_from_authorization(bearer({"exp": 10**400}), now=NOW)["exp"] == 10**400


def test_a_fractional_exp_is_a_time() -> None:
    assert claims_from_authorization(bearer({"exp": NOW + 0.5}), now=NOW)["exp"] == NOW + 0.5


@pytest.mark.parametrize(
    "nbf",
    ['"now"', "true", "null", "1e999", "-1e999", "[1]"],
    ids=["string", "boolean", "null", "1e999", "-1e999", "list"],
)
def test_an_nbf_that_is_not_a_finite_number_is_refused(nbf: str) -> None:
    refused(bearer(f'{{"exp": {NOW + 60}, "nbf": {nbf}}}'), "nbf claim is not a finite number")


def test_a_token_is_valid_from_exactly_its_nbf() -> None:
    assert claims_from_authorization(bearer({"exp": NOW + 60, "nbf": NOW}), now=NOW)["nbf"] == NOW
    refused(bearer({"exp": NOW + 60, "nbf": NOW + 1}), "not valid yet")


def test_one_string_instead_of_a_list_of_header_values_is_a_programming_error() -> None:
    with pytest.raises(TypeError) as caught:
        claims_from_authorization(f"Bearer {token(VALID)}", now=NOW)
    # The message tells the programmer what to pass instead
    assert str(caught.value) == "values must be a sequence of header values, not one string"


def _json_error(text: str) -> str:
    """What json itself says of a text that is not JSON (the token's reason quotes it)."""
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    return str(caught.value)


NOT_JSON_OUTSIDE_STRINGS = "X" * (MAX_CLAIMS_DEPTH + 1)
EXACT_REASONS = {
    "no header": ([], "Missing Authorization header (expected: Bearer <token>)"),
    "two headers": (
        bearer(VALID) * 2,
        "More than one Authorization header (send exactly one: Bearer <token>)",
    ),
    "not bearer": (["Basic dXNlcjpwYXNz"], 'Authorization header must be "Bearer <token>"'),
    "one part": (
        ["Bearer not-a-jwt"],
        "Malformed bearer token: not three base64url parts separated by dots",
    ),
    "payload an array": (bearer("[1]"), "Malformed bearer token: its payload is not a JSON object"),
    "header an array": (
        bearer(VALID, header="[1]"),
        "Malformed bearer token: its header is not a JSON object",
    ),
    "NaN": (bearer('{"exp": NaN}'), "Malformed bearer token: its payload is not JSON (NaN is not JSON)"),
    "duplicate key": (
        bearer('{"exp": 1, "exp": 2}'),
        "Malformed bearer token: its payload is not JSON (a key appears twice)",
    ),
    # Letters outside strings are not JSON, and not brackets either: the reason is the parser's
    "letters": (
        bearer(NOT_JSON_OUTSIDE_STRINGS),
        f"Malformed bearer token: its payload is not JSON ({_json_error(NOT_JSON_OUTSIDE_STRINGS)})",
    ),
    "letters then too deep": (
        bearer("X" * 10 + "[" * (MAX_CLAIMS_DEPTH + 1)),
        f"Malformed bearer token: its payload nests deeper than {MAX_CLAIMS_DEPTH}",
    ),
    "no exp": (bearer({"client_id": "acme"}), "Bearer token has no exp claim"),
    "exp a word": (bearer({"exp": "tomorrow"}), "Bearer token's exp claim is not a finite number"),
    "expired": (bearer({"exp": NOW}), "Bearer token has expired"),
    "nbf a word": (
        bearer({"exp": NOW + 60, "nbf": "now"}),
        "Bearer token's nbf claim is not a finite number",
    ),
    "not valid yet": (bearer({"exp": NOW + 60, "nbf": NOW + 1}), "Bearer token is not valid yet (nbf)"),
}


@pytest.mark.parametrize(("values", "reason"), EXACT_REASONS.values(), ids=EXACT_REASONS.keys())
def test_each_refusal_says_exactly_why_in_the_401s_detail(values: list[str], reason: str) -> None:
    # Given a token the authorizer would refuse, When it is read
    with pytest.raises(BearerTokenError) as caught:
        claims_from_authorization(values, now=NOW)
    # Then the reason (the 401's detail, word for word) says what to fix; only no header is "missing"
    assert (caught.value.message, str(caught.value), caught.value.missing) == (reason, reason, not values)


def _token_of_length(length: int) -> str:
    """A valid token of exactly `length` characters: its signature, never decoded, fills it up."""
    signed_part = f"{part(HEADER)}.{part(VALID)}."
    return signed_part + "s" * (length - len(signed_part))


def test_a_token_of_exactly_api_gateways_header_cap_is_read_and_one_character_more_is_not() -> None:
    assert claims_from_authorization([f"Bearer {_token_of_length(10_240)}"], now=NOW) == VALID
    with pytest.raises(BearerTokenError) as caught:
        claims_from_authorization([f"Bearer {_token_of_length(10_241)}"], now=NOW)
    assert caught.value.message == "Malformed bearer token: longer than 10240 characters"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


DEPTHS_COUNTED_RIGHT = {
    # the object (1) and "a" (2): its empty array closed, "c" starts again from 2
    "after a closed sibling": (f'{{"exp": {NOW + 60}, "a": {{"b": [], "c": {_nested(31)}}}}}', 33),
    "many flat siblings": (
        f'{{"exp": {NOW + 60}, ' + ", ".join(f'"k{i}": [{i}]' for i in range(MAX_CLAIMS_DEPTH + 8)) + "}",
        2,
    ),
    # an escaped quote does not end the string, and what follows an escape is the string's again
    "brackets after an escaped quote": (f'{{"exp": {NOW + 60}, "s": "\\"{"[" * 40}"}}', 1),
    "brackets after an escaped backslash": (f'{{"exp": {NOW + 60}, "s": "\\\\", "x": {_nested(40)}}}', 41),
}


@pytest.mark.parametrize(("payload", "depth"), DEPTHS_COUNTED_RIGHT.values(), ids=DEPTHS_COUNTED_RIGHT.keys())
def test_claims_are_refused_exactly_when_they_nest_deeper_than_the_limit(payload: str, depth: int) -> None:
    # Given strict JSON claims whose true nesting is `depth`
    assert json.loads(payload)["exp"] == NOW + 60
    if depth <= MAX_CLAIMS_DEPTH:
        # Then they are read when it is within the limit
        assert claims_from_authorization(bearer(payload), now=NOW) == json.loads(payload)
    else:
        # And refused, before parsing, when it is not
        refused(bearer(payload), f"its payload nests deeper than {MAX_CLAIMS_DEPTH}$")
