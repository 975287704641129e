"""Properties of the request rules, over generated inputs (Hypothesis): phone and email matching, every limit
at its exact edge, any Unicode, control characters and NUL, deep nesting, huge numbers, duplicate keys. Only
the documented errors ever escape: MalformedJson from the reader, ValidationError from the models, and over
HTTP (the create function on moto) only 201/200 and JSON 400/413 answers. Derandomized: every run is the same.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from messaging.domain import contact_keys
from messaging.http import body as strict_json
from messaging.http.body import MalformedJson
from messaging.http.errors import field_errors
from messaging.http.models.create import CreateConversationRequest
from messaging.limits import (
    CONTEXT_TEXT_MAX as MAX_CONTEXT_TEXT,
)
from messaging.limits import (
    MAX_CONTEXT_ENTRIES,
    MAX_SAFE_INTEGER,
    START_MESSAGE_MAX_BYTES,
)
from tests.harness import (
    CREATE,
    Answer,
    api_event,
    invoke,
    load_handler,
)
from tests.unit.conftest import moto_environment

PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=300)
SEPARATORS = " -()."
ANY_CHARACTER = st.characters(codec="utf-8")  # every code point but lone surrogates
LONE_SURROGATE = st.characters(codec=None, min_codepoint=0xD800, max_codepoint=0xDFFF)


def rejected_fields(body: Any) -> list[str] | None:
    """None when the request model accepts the body; else the fields a 400 names (never another error)."""
    try:
        CreateConversationRequest.model_validate(body)
    except ValidationError as error:
        return [detail.field for detail in field_errors(error.errors())]
    return None


# Phone numbers ----------------------------------------------------------------------------------------------


@st.composite
def formatted_phone(draw: st.DrawFn) -> tuple[str, str]:
    """A phone number written any which way, and the normalized form it must match on."""
    digits = draw(st.text(string.digits, min_size=1, max_size=25))
    plus = draw(st.booleans())
    written = "".join(draw(st.text(SEPARATORS.replace("+", ""), max_size=2)) + digit for digit in digits)
    prefix = draw(st.text(" ", max_size=2)) + ("+" if plus else "")
    return prefix + written + draw(st.text(SEPARATORS, max_size=2)), ("+" if plus else "") + digits


@PROPERTY
@given(formatted_phone())
def test_a_phone_number_matches_on_its_digits_and_leading_plus_however_written(
    phone: tuple[str, str],
) -> None:
    written, normalized = phone
    assert contact_keys.is_valid_phone(written)
    assert contact_keys.normalize_phone(written) == normalized
    assert contact_keys.normalize_phone(normalized) == normalized  # normalizing twice changes nothing


@PROPERTY
@given(st.text(st.sampled_from(string.digits + " +-().") | ANY_CHARACTER, max_size=30))
def test_only_ascii_digits_and_the_separators_make_a_phone_number(text: str) -> None:
    expected = all(c in string.digits + " +-()." for c in text) and any(c in string.digits for c in text)
    assert contact_keys.is_valid_phone(text) is expected


# Emails -----------------------------------------------------------------------------------------------------

LOCAL_PART = st.text(string.ascii_letters + string.digits + ".!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=30)
DOMAIN_LABEL = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?", fullmatch=True)
EMAILS = st.builds("{}@{}".format, LOCAL_PART, st.lists(DOMAIN_LABEL, min_size=2, max_size=4).map(".".join))


@PROPERTY
@given(EMAILS, st.data())
def test_an_email_matches_whatever_the_case_of_its_letters(email: str, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(email), max_size=len(email)))
    variant = "".join(c.swapcase() if flip else c for c, flip in zip(email, flips, strict=True))
    assert contact_keys.is_valid_email(variant)
    assert contact_keys.normalize_email(variant) == contact_keys.normalize_email(email) == email.lower()


@PROPERTY
@given(EMAILS, st.sampled_from([" ", "\t", "\n", "\x00", "é", "@", "(", ","]), st.booleans())
def test_an_email_with_a_character_it_may_not_hold_is_no_email(email: str, extra: str, at_end: bool) -> None:
    local, _, domain = email.partition("@")
    broken = email + extra if at_end else f"{local}{extra}@{domain}"
    assert not contact_keys.is_valid_email(broken)
    assert rejected_fields({"customercontext": {"email": broken}}) == ["customercontext.email"]


# Limits at their exact edges --------------------------------------------------------------------------------

TEXT_LIMITS = {  # field: (path in the body, least, most) in characters
    "customerid": (("customercontext", "customerid"), 1, 200),
    "firstname": (("customercontext", "firstname"), 0, 200),
    "lastname": (("customercontext", "lastname"), 0, 200),
    "preferredname": (("customercontext", "preferredname"), 0, 200),
    "phonenumber": (("customercontext", "phonenumber"), 1, 200),
    "displayname": (("startmessage", "displayname"), 0, 200),
    "conversationrequestid": (("conversationrequestid",), 1, 200),
}


def _body_with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body: dict[str, Any] = {path[-1]: value}
    for part in reversed(path[:-1]):
        body = {part: body}
    if path[0] == "startmessage":
        body["startmessage"]["message"] = "m"
    return body


@PROPERTY
@given(st.sampled_from(sorted(TEXT_LIMITS)), st.integers(0, 260), ANY_CHARACTER)
def test_a_text_field_holds_its_exact_number_of_characters_whatever_they_are(
    field: str, length: int, character: str
) -> None:
    path, least, most = TEXT_LIMITS[field]
    if field == "phonenumber":
        character = "7"  # the only rule on a phone's characters is tested above
    fields = rejected_fields(_body_with(path, character * length))
    assert fields == (None if least <= length <= most else [".".join(path)])


@PROPERTY
@given(st.integers(0, 4), st.integers(-3, 3))
def test_an_email_of_200_characters_is_accepted_and_one_of_201_is_not(dots: int, past: int) -> None:
    domain = "example.com" + ".com" * dots
    email = "a" * (200 + past - len(domain) - 1) + "@" + domain
    assert rejected_fields({"customercontext": {"email": email}}) == (
        None if len(email) <= 200 else ["customercontext.email"]
    )


@PROPERTY
@given(st.sampled_from(["a", "é", "€", "😀"]), st.integers(-3, 3))
def test_the_start_message_holds_27_kb_of_utf8_whatever_the_characters(character: str, past: int) -> None:
    width = len(character.encode())
    message = character * (START_MESSAGE_MAX_BYTES // width + past)
    fields = rejected_fields({"startmessage": {"message": message}})
    assert fields == (None if len(message.encode()) <= START_MESSAGE_MAX_BYTES else ["startmessage.message"])


@PROPERTY
@given(st.integers(MAX_CONTEXT_ENTRIES - 10, MAX_CONTEXT_ENTRIES + 10))
def test_context_holds_100_entries(entries: int) -> None:
    context = {f"k{n}": {"value": n} for n in range(entries)}
    fields = rejected_fields({"conversationcontext": context})
    assert fields == (None if entries <= MAX_CONTEXT_ENTRIES else ["conversationcontext"])


@PROPERTY
@given(st.integers(0, 110), ANY_CHARACTER)
def test_a_context_key_is_1_to_100_characters_whatever_they_are(length: int, character: str) -> None:
    key = character * length
    fields = rejected_fields({"conversationcontext": {key: {"value": True}}})
    assert fields == (None if 1 <= length <= 100 else [f"conversationcontext.{key} (key)"])


@PROPERTY
@given(st.integers(MAX_CONTEXT_TEXT - 10, MAX_CONTEXT_TEXT + 10) | st.integers(0, 10), ANY_CHARACTER)
def test_a_context_text_holds_4000_characters_whatever_they_are(length: int, character: str) -> None:
    fields = rejected_fields({"conversationcontext": {"k": {"value": character * length}}})
    assert fields == (None if length <= MAX_CONTEXT_TEXT else ["conversationcontext.k.value"])


@PROPERTY
@given(
    st.one_of(
        st.integers(-(2**60), 2**60),
        st.integers(MAX_SAFE_INTEGER - 3, MAX_SAFE_INTEGER + 3),
        st.integers(-MAX_SAFE_INTEGER - 3, -MAX_SAFE_INTEGER + 3),
        st.floats(),
    )
)
def test_a_context_number_is_finite_and_within_2_to_the_53(number: float) -> None:
    accepted = math.isfinite(number) and abs(number) <= MAX_SAFE_INTEGER
    fields = rejected_fields({"conversationcontext": {"k": {"value": number}}})
    assert fields == (None if accepted else ["conversationcontext.k.value"])


@PROPERTY
@given(st.text(ANY_CHARACTER | LONE_SURROGATE, min_size=1, max_size=30))
def test_any_text_with_control_characters_or_nul_is_kept_and_lone_surrogates_are_refused(text: str) -> None:
    fields = rejected_fields({"customercontext": {"customerid": text, "firstname": text}})
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert fields == ["customercontext.customerid", "customercontext.firstname"]
    else:
        assert fields is None
        request = CreateConversationRequest.model_validate_json(
            json.dumps({"customercontext": {"firstname": text}})
        )
        assert request.customercontext is not None and request.customercontext.firstname == text


# The body reader --------------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)


@PROPERTY
@given(JSON_VALUES)
def test_any_json_document_reads_back_as_written(value: Any) -> None:
    text = json.dumps(value)
    assert strict_json.loads(text) == (value if text.strip() else {})


@PROPERTY
@given(st.text(max_size=60) | st.binary(max_size=60).map(lambda raw: raw.decode("latin-1")))
def test_any_text_is_a_document_or_malformed_json_nothing_else(text: str) -> None:
    try:
        document = strict_json.loads(text)
    except MalformedJson:
        return
    rejected_fields(document)  # and what it holds is valid or a ValidationError, nothing else


@PROPERTY
@given(st.dictionaries(st.text(max_size=6), JSON_VALUES, min_size=1, max_size=4), st.data())
def test_a_key_written_twice_is_malformed_even_when_escaped_differently(
    members: dict[str, Any], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(members)))
    again = json.dumps(key, ensure_ascii=data.draw(st.booleans()))  # "é" and "\u00e9" are one key
    pairs = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in members.items()] + [f"{again}: null"]
    text = "{" + ", ".join(data.draw(st.permutations(pairs))) + "}"
    nested = data.draw(st.booleans())
    with pytest.raises(MalformedJson, match="duplicate key"):
        strict_json.loads('{"conversationcontext": ' + text + "}" if nested else text)


@PROPERTY
@given(st.integers(1, 200_000), st.sampled_from(["[", '{"a":', '{"customercontext":']))
def test_nesting_of_any_depth_is_read_or_malformed_json(depth: int, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    text = opening * depth + "1" + closing * depth
    try:
        document = strict_json.loads(text)
    except MalformedJson as error:
        assert "nested too deeply" in str(error)
        return
    rejected_fields(document)  # valid or a ValidationError, nothing else


@PROPERTY
@given(st.integers(1, 6000), st.sampled_from(["", "-", "0.", "1e", "-1e"]))
def test_numbers_of_any_length_are_read_or_malformed_json(digits: int, prefix: str) -> None:
    text = '{"conversationcontext": {"k": {"value": ' + prefix + "9" * digits + "}}}"
    try:
        document = strict_json.loads(text)
    except MalformedJson:
        assert digits > 4300 and prefix in ("", "-")  # Python reads no longer integer
        return
    assert rejected_fields(document) in (None, ["conversationcontext.k.value"])


@PROPERTY
@given(st.sampled_from(["NaN", "Infinity", "-Infinity", "nan", "inf", "1e99999", "-1e99999"]))
def test_no_json_constant_or_overflowing_number_gets_through(literal: str) -> None:
    text = '{"conversationcontext": {"k": {"value": ' + literal + "}}}"
    try:
        document = strict_json.loads(text)
    except MalformedJson:
        return
    assert rejected_fields(document) == ["conversationcontext.k.value"]  # 1e99999 reads as inf: refused


# Over HTTP: the create function on moto ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def create_on_moto() -> Iterator[Any]:
    # Module-scoped (hypothesis runs many examples per test): the same setup as the `moto_tables` fixture.
    with moto_environment():
        handler = load_handler("create_conversation")

        def call(body: bytes) -> Answer:
            return invoke(handler, api_event("POST", CREATE, body, tenant="property-tenant"))

        yield call


BODY_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "customercontext": st.fixed_dictionaries(
            {},
            optional={
                "customerid": st.text(ANY_CHARACTER | LONE_SURROGATE, max_size=201) | JSON_VALUES,
                "email": EMAILS | st.text(max_size=12),
                "phonenumber": formatted_phone().map(lambda phone: phone[0]) | st.text(max_size=12),
                "firstname": st.text(ANY_CHARACTER, max_size=12) | JSON_VALUES,
            },
        )
        | JSON_VALUES,
        "conversationcontext": st.dictionaries(
            st.text(max_size=101),
            st.fixed_dictionaries(
                {"value": JSON_VALUES | st.integers()}, optional={"isDisplayable": JSON_VALUES}
            ),
            max_size=3,
        )
        | JSON_VALUES,
        "startmessage": st.fixed_dictionaries({"message": st.text(max_size=20) | JSON_VALUES}) | JSON_VALUES,
        "skipdeflectionbot": JSON_VALUES,
        "conversationrequestid": st.text(min_size=1, max_size=12) | JSON_VALUES,
        "unknown": JSON_VALUES,
    },
)
RAW_BODIES = st.one_of(
    BODY_FIELDS.map(lambda body: json.dumps(body).encode()),
    JSON_VALUES.map(lambda body: json.dumps(body).encode()),
    st.binary(max_size=40),
    st.integers(1, 5000).map(lambda depth: b"[" * depth + b"]" * depth),
)


@settings(PROPERTY, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(RAW_BODIES)
def test_any_create_body_is_answered_201_200_or_a_json_400_naming_fields(
    create_on_moto: Any, body: bytes
) -> None:
    answer = create_on_moto(body)
    assert answer.status in (200, 201, 400, 413), answer
    if answer.status >= 400:
        error = answer.body
        assert error["code"] in ("validation_failed", "malformed_json", "payload_too_large"), error
        assert error["errors"] and all(detail["field"] for detail in error["errors"]), error
