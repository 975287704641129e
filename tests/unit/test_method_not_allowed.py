"""A function's own dispatch by route key (messaging.http.endpoint.Endpoint): a method it does not serve on a
path it does is a 405 naming the method, the path and every method allowed there (the OpenAPI path item's);
a route key naming none of its routes reaches its only operation (`sam local`), or is a 404 when it has
several."""

from __future__ import annotations

from typing import Any

import pytest

from messaging.http.problem import PROBLEM_TYPES, type_uri
from tests.harness import BASE, CREATE, CREATE_ALIAS, Answer, api_event, invoke, load_handler

CHANNEL = f"{BASE}/channel"


def _any_route_event(method: str, path: str) -> dict[str, Any]:
    """`method` on `path` as API Gateway hands it over through an `ANY <path>` route."""
    event = api_event(method, path, None)
    event["routeKey"] = event["requestContext"]["routeKey"] = f"ANY {path}"
    return event


def _method_not_allowed(detail: str) -> dict[str, Any]:
    """The 405 problem document a client reads (RFC 9457, with our code)."""
    kind = PROBLEM_TYPES["method_not_allowed"]
    return {
        "type": type_uri("method_not_allowed"),
        "title": kind.title,
        "status": 405,
        "detail": detail,
        "code": "method_not_allowed",
    }


def _allow_and_body(answer: Answer) -> tuple[int, str, str, Any]:
    return answer.status, answer.headers.get("allow", ""), answer.headers["content-type"], answer.body


@pytest.mark.parametrize(
    ("function", "path", "allowed"),
    [
        # the template's `ANY /conversation/create`: only POST is served there
        ("create_conversation", CREATE_ALIAS, ["POST"]),
        # a path the function serves with two methods: both are named, in order
        ("channel_settings", CHANNEL, ["GET", "PUT"]),
    ],
)
@pytest.mark.parametrize("method", ["DELETE", "patch"])
def test_a_method_the_function_does_not_serve_on_its_path_is_a_405_naming_the_method_and_the_allowed_ones(
    moto_tables: dict[str, str], function: str, path: str, allowed: list[str], method: str
) -> None:
    # Given a request with a method the function does not serve on that path
    event = _any_route_event(method, path)
    # When it reaches the function
    answer = invoke(load_handler(function), event)
    # Then it is a 405 problem that says which method, where, and what is allowed (as `Allow` does)
    detail = f"{method.upper()} is not allowed on {path} (allowed: {', '.join(allowed)})"
    assert _allow_and_body(answer) == (
        405,
        ", ".join(allowed),
        "application/problem+json",
        _method_not_allowed(detail),
    )


def test_a_405_for_an_event_that_names_no_method_says_this_method(moto_tables: dict[str, str]) -> None:
    # Given an event through the `ANY` route whose request context does not say the method
    event = _any_route_event("GET", CREATE_ALIAS)
    del event["requestContext"]["http"]["method"]
    # When it reaches the create function
    answer = invoke(load_handler("create_conversation"), event)
    # Then the 405 still reads as a sentence, without a method's name
    detail = f"this method is not allowed on {CREATE_ALIAS} (allowed: POST)"
    assert _allow_and_body(answer) == (405, "POST", "application/problem+json", _method_not_allowed(detail))


@pytest.mark.parametrize("route_key", ["$default", "GET /somewhere/else"])
def test_a_function_with_one_route_serves_it_whatever_the_route_key_says(
    moto_tables: dict[str, str], route_key: str
) -> None:
    # Given a conversation, and its GET as `sam local` may hand it over: a route key naming no route
    conversation_id = invoke(load_handler("create_conversation"), api_event("POST", CREATE, {})).body[
        "conversationId"
    ]
    path = f"{BASE}/conversation/{conversation_id}"
    get_conversation = load_handler("get_conversation")
    routed = api_event("GET", path, None, route=f"{BASE}/conversation/{{conversationId}}")
    routed["pathParameters"] = {"conversationId": conversation_id}
    unrouted = {**routed, "routeKey": route_key}
    # When the get-conversation function (its only route) receives it
    answer = invoke(get_conversation, unrouted)
    # Then it answers as for its own route key: the conversation, not a 405
    expected = invoke(get_conversation, routed)
    assert (answer.status, answer.body) == (expected.status, expected.body)
    assert answer.status == 200


@pytest.mark.parametrize("route_key", ["$default", "POST /somewhere/else"])
def test_a_function_with_several_routes_answers_404_to_a_route_key_naming_none(
    moto_tables: dict[str, str], route_key: str
) -> None:
    # Given a create request whose route key names neither of the create function's routes
    event = {**api_event("POST", CREATE, {}), "routeKey": route_key}
    # When it reaches the create function
    answer = invoke(load_handler("create_conversation"), event)
    # Then no operation is guessed: it is a 404 problem
    assert (answer.status, answer.body["code"], answer.body["detail"]) == (
        404,
        "not_found",
        "no route for this request",
    )
