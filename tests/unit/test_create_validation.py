"""Every field rule of CONTRACT.md at its edge: the limit passes, one past it is a 400 naming the field."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from messaging.limits import MAX_BODY_BYTES
from tests.unit.conftest import CreateCall

FOUR_BYTE_CHAR = "😀"  # 1 character, 4 bytes in UTF-8


def _fields(body: dict[str, Any]) -> list[str]:
    return [detail["field"] for detail in body["errors"]]


ACCEPTED_AT_THE_LIMIT = {
    "customerid 200 chars": {"customercontext": {"customerid": "c" * 200}},
    "firstname 200 chars": {"customercontext": {"firstname": FOUR_BYTE_CHAR * 200}},
    "email 200 chars": {"customercontext": {"email": "a" * 188 + "@example.com"}},
    "phone 200 chars": {"customercontext": {"phonenumber": "1" * 200}},
    "100 context entries": {"conversationcontext": {f"k{i}": {"value": i} for i in range(100)}},
    "context key 100 chars": {"conversationcontext": {"k" * 100: {"value": True}}},
    "context value 4000 chars": {"conversationcontext": {"k": {"value": FOUR_BYTE_CHAR * 4000}}},
    "start message 27 KB": {"startmessage": {"message": FOUR_BYTE_CHAR * (27 * 1024 // 4)}},
    "displayname 200 chars": {"startmessage": {"message": "m", "displayname": "d" * 200}},
    "conversationrequestid 200 chars": {"conversationrequestid": "r" * 200},
    "largest exact integer": {"conversationcontext": {"k": {"value": 2**53 - 1}}},
}


@pytest.mark.parametrize("body", ACCEPTED_AT_THE_LIMIT.values(), ids=ACCEPTED_AT_THE_LIMIT.keys())
def test_values_at_the_limit_are_accepted(create: CreateCall, body: dict[str, Any]) -> None:
    assert create(body).status == 201


REJECTED = {
    "isDisplayable null": (
        {"conversationcontext": {"k": {"value": 1, "isDisplayable": None}}},
        "conversationcontext.k.isDisplayable",
    ),
    "customerid 201 chars": ({"customercontext": {"customerid": "c" * 201}}, "customercontext.customerid"),
    "customerid empty": ({"customercontext": {"customerid": ""}}, "customercontext.customerid"),
    "firstname 201 chars": ({"customercontext": {"firstname": "f" * 201}}, "customercontext.firstname"),
    "lastname 201 chars": ({"customercontext": {"lastname": "l" * 201}}, "customercontext.lastname"),
    "preferredname 201": ({"customercontext": {"preferredname": "p" * 201}}, "customercontext.preferredname"),
    "email 201 chars": ({"customercontext": {"email": "a" * 189 + "@example.com"}}, "customercontext.email"),
    "email without @": ({"customercontext": {"email": "john.doe.email.com"}}, "customercontext.email"),
    "phone without digits": ({"customercontext": {"phonenumber": "call me"}}, "customercontext.phonenumber"),
    "phone 201 chars": ({"customercontext": {"phonenumber": "1" * 201}}, "customercontext.phonenumber"),
    "101 context entries": (
        {"conversationcontext": {f"k{i}": {"value": i} for i in range(101)}},
        "conversationcontext",
    ),
    "context key 101 chars": (
        {"conversationcontext": {"k" * 101: {"value": 1}}},
        "conversationcontext." + "k" * 101 + " (key)",
    ),
    "context key empty": ({"conversationcontext": {"": {"value": 1}}}, "conversationcontext. (key)"),
    "context value 4001": (
        {"conversationcontext": {"k": {"value": "v" * 4001}}},
        "conversationcontext.k.value",
    ),
    "context value null": ({"conversationcontext": {"k": {"value": None}}}, "conversationcontext.k.value"),
    "context value object": (
        {"conversationcontext": {"k": {"value": {"a": 1}}}},
        "conversationcontext.k.value",
    ),
    "context value missing": (
        {"conversationcontext": {"k": {"isDisplayable": True}}},
        "conversationcontext.k.value",
    ),
    "integer past 2^53": ({"conversationcontext": {"k": {"value": 2**53}}}, "conversationcontext.k.value"),
    "isDisplayable string": (
        {"conversationcontext": {"k": {"value": 1, "isDisplayable": "true"}}},
        "conversationcontext.k.isDisplayable",
    ),
    "start message 27 KB + 1 byte": (
        {"startmessage": {"message": "a" + FOUR_BYTE_CHAR * (27 * 1024 // 4)}},
        "startmessage.message",
    ),
    "start message empty": ({"startmessage": {"message": ""}}, "startmessage.message"),
    "start message missing": ({"startmessage": {"displayname": "x"}}, "startmessage.message"),
    "displayname 201": (
        {"startmessage": {"message": "m", "displayname": "d" * 201}},
        "startmessage.displayname",
    ),
    "skipdeflectionbot string": ({"skipdeflectionbot": "yes"}, "skipdeflectionbot"),
    "conversationrequestid 201": ({"conversationrequestid": "r" * 201}, "conversationrequestid"),
    "customerid number": ({"customercontext": {"customerid": 123}}, "customercontext.customerid"),
    "unknown top-level field": ({"customer": {}}, "customer"),
    "unknown nested field": ({"customercontext": {" customerid": "jdoe123"}}, "customercontext. customerid"),
    "unknown field in startmessage": (
        {"startmessage": {"message": "m", "display_name": "d"}},
        "startmessage.display_name",
    ),
    "unknown field in context entry": (
        {"conversationcontext": {"k": {"value": 1, "displayable": True}}},
        "conversationcontext.k.displayable",
    ),
    "lone surrogate": ({"customercontext": {"firstname": "\ud800"}}, "customercontext.firstname"),
    "body is a list": ([], "body"),
}


@pytest.mark.parametrize(("body", "field"), REJECTED.values(), ids=REJECTED.keys())
def test_broken_rule_is_a_400_naming_the_field(create: CreateCall, body: Any, field: str) -> None:
    answer = create(body)
    assert answer.status == 400
    assert answer.body["code"] == "validation_failed"
    assert field in _fields(answer.body)
    assert all(detail["message"] for detail in answer.body["errors"])


def test_limit_is_named_in_the_message(create: CreateCall) -> None:
    answer = create({"customercontext": {"customerid": "c" * 201}})
    assert "200" in answer.body["errors"][0]["message"]


def _python_refusal(digits: str) -> str:
    """Python's own words for an integer with more digits than it converts."""
    try:
        int(digits)
    except ValueError as error:
        return str(error)
    raise AssertionError(f"Python converts {len(digits)} digits")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"customercontext": ', "Expecting value at line 1 column 21"),
        # a key seen before, after another: the one named is the repeated key
        (b'{"a": 1,\n "b": 2, "b": 3}', "duplicate key 'b': a key may appear once in an object"),
        (b'{"conversationcontext": {"k": {"value": NaN}}}', "NaN is not a JSON value"),
        (b"[" * 100_000 + b"]" * 100_000, "the document is nested too deeply"),
        (
            b'{"conversationcontext": {"k": {"value": 1' + b"0" * 5000 + b"}}}",
            _python_refusal("1" + "0" * 5000),
        ),
    ],
    ids=["truncated", "duplicate key", "NaN", "deep nesting", "huge integer"],
)
def test_malformed_json_is_a_400_that_says_where(create: CreateCall, raw: bytes, says: str) -> None:
    answer = create(raw)
    assert answer.status == 400
    assert answer.body["code"] == "malformed_json"
    assert answer.body["detail"] == f"malformed JSON: {says}"


def test_body_over_the_cap_is_413(create: CreateCall) -> None:
    body = json.dumps({"startmessage": {"message": "m"}, "pad": " " * MAX_BODY_BYTES})
    answer = create(body)
    assert answer.status == 413
    assert answer.body["code"] == "payload_too_large"
    size = len(body.encode())
    assert answer.body["detail"] == f"the body is {size} bytes; at most {MAX_BODY_BYTES} bytes are accepted"


def test_body_at_the_cap_is_parsed(create: CreateCall) -> None:
    body = "{}" + " " * (MAX_BODY_BYTES - 2)
    assert create(body).status == 201


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "application/xml"]
)
def test_body_that_is_not_json_is_415(create: CreateCall, content_type: str) -> None:
    answer = create(b"customerid=1", headers={"content-type": content_type})
    assert answer.status == 415
    assert answer.body["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/vnd.acme+json", "Application/JSON"]
)
def test_json_media_types_are_accepted(create: CreateCall, content_type: str) -> None:
    assert create({}, headers={"content-type": content_type}).status == 201


def test_a_body_without_a_content_type_is_read_as_json(create: CreateCall) -> None:
    # Given a create whose request named no media type
    def without_content_type(event: dict[str, Any]) -> None:
        del event["headers"]["content-type"]

    # When it is invoked
    answer = create({"conversationcontext": {"k": {"value": None}}}, edit=without_content_type)
    # Then its body is read as JSON: refused for the rule it breaks, not for its media type
    assert (answer.status, _fields(answer.body)) == (400, ["conversationcontext.k.value"]), answer.body


def test_context_keys_that_look_like_locations_are_named_as_sent(create: CreateCall) -> None:
    answer = create({"conversationcontext": {"body": {"value": None}, "a[1]": {"value": None}}})
    assert {"conversationcontext.body.value", "conversationcontext.a[1].value"} <= set(_fields(answer.body))


def test_a_body_that_is_not_utf8_is_a_400(create: CreateCall) -> None:
    # API Gateway sends a body that is not UTF-8 text base64-encoded
    answer = create(b'{"customercontext": "\xff\xfe"}')
    assert (answer.status, answer.body["code"]) == (400, "malformed_json")
    # and it says which rule the body breaks, naming the body
    says = "the body is not UTF-8 encoded JSON"
    assert answer.body["detail"] == says
    assert answer.body["errors"] == [{"field": "body", "code": "malformed_json", "message": says}]


def _base64_encoded(event: dict[str, Any]) -> None:
    """The event's JSON body as API Gateway may pass any body: base64-encoded, saying so."""
    event |= {"body": base64.b64encode(event["body"].encode()).decode(), "isBase64Encoded": True}


def test_a_base64_encoded_json_body_is_read_as_the_json_it_encodes(create: CreateCall) -> None:
    # Given a create for customer b64 whose JSON body API Gateway passed base64-encoded
    first = create({"customercontext": {"customerid": "b64"}}, edit=_base64_encoded)
    # When the same customer creates again, plainly
    again = create({"customercontext": {"customerid": "b64"}})
    # Then the first was created for that customer: the second finds it (a body read as empty would not)
    assert first.status == 201, first.body
    assert (again.status, again.body["conversationId"]) == (200, first.body["conversationId"])


def test_a_base64_encoded_json_body_breaking_a_rule_is_refused_naming_its_field(create: CreateCall) -> None:
    answer = create({"conversationcontext": {"k": {"value": None}}}, edit=_base64_encoded)
    assert (answer.status, _fields(answer.body)) == (400, ["conversationcontext.k.value"]), answer.body


TOO_LONG = "x" * 201
# five fields of the customer, in the model's order, then a sixth outside it
CUSTOMER_FIELDS = ["customerid", "firstname", "lastname", "email", "phonenumber"]


@pytest.mark.parametrize("broken", [1, 2, 5, 6])
def test_the_detail_names_the_first_five_broken_fields_and_says_when_there_are_more(
    create: CreateCall, broken: int
) -> None:
    # Given a create breaking the rules of `broken` fields
    body: dict[str, Any] = {"customercontext": dict.fromkeys(CUSTOMER_FIELDS[:broken], TOO_LONG)}
    if broken == 6:
        body["conversationrequestid"] = TOO_LONG
    # When it is sent
    answer = create(body)
    # Then the detail names the first five of them, in the order of `errors`, and "…" when there are more
    fields = _fields(answer.body)
    assert len(fields) == broken
    more = ", …" if broken > 5 else ""
    assert answer.body["detail"] == f"invalid request: {', '.join(fields[:5])}{more}"
