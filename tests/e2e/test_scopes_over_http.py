"""Who may call which side, over HTTP: each route requires its side's scope (template.yaml), the dev server's
authorizer answers 403 problem+json `forbidden` without it, and a token holding both scopes works on both."""

from __future__ import annotations

from typing import Any

import pytest

from local.scopes import route_scopes
from tests.e2e.api_client import (
    BOTH_SCOPES,
    CONSUMER_LIST,
    CONSUMER_SCOPE,
    CREATE,
    CREATE_ALIAS,
    REP_1,
    REPRESENTATIVE_LIST,
    REPRESENTATIVE_SCOPE,
    Journey,
    TenantApi,
    consumer_conversation,
    is_problem,
    representative_conversation,
    unique_customerid,
)
from tests.e2e.conftest import Send
from tests.harness import TEMPLATE

CONSUMER_ROUTES = (
    ("POST", "/api/v1.0/consumer/conversations/create"),
    ("POST", "/api/v1.0/consumer/conversation/create"),
    ("GET", "/api/v1.0/consumer/conversation/{conversationId}"),
    ("POST", "/api/v1.0/consumer/conversation/{conversationId}"),
    ("GET", "/api/v1.0/consumer/conversations"),
)
# Every other method on the alias's path: the create function answers 405 (`Allow: POST`).
CONSUMER_REFUSALS = (("ANY", "/api/v1.0/consumer/conversation/create"),)
REPRESENTATIVE_ROUTES = (
    ("GET", "/api/v1.0/representative/conversations"),
    ("GET", "/api/v1.0/representative/conversation/{conversationId}"),
    ("POST", "/api/v1.0/representative/conversation/{conversationId}"),
)


def a_valid_request(route: tuple[str, str], conversation_id: str) -> tuple[str, str, Any]:
    """A request the route would answer with 2xx given its scope: (method, path, body)."""
    method, template = route
    path = template.replace("{conversationId}", conversation_id)
    bodies: dict[tuple[str, str], Any] = {
        ("POST", CREATE): {"customercontext": {"customerid": unique_customerid()}},
        ("POST", CREATE_ALIAS): {"customercontext": {"customerid": unique_customerid()}},
        ("POST", consumer_conversation("{conversationId}")): {"type": "endOfConversation"},
        ("POST", representative_conversation("{conversationId}")): {
            "type": "event",
            "name": "accept",
            "from": {"id": REP_1.id, "name": REP_1.name},
        },
    }
    return method, path, bodies.get(route)


def test_each_route_of_the_template_requires_its_sides_scope() -> None:
    # Given the template's routes (every one: a new route is born with its side's scope)
    scopes = route_scopes(TEMPLATE, {})
    sides = {"consumer": (CONSUMER_SCOPE,), "representative": (REPRESENTATIVE_SCOPE,)}
    # Then each requires exactly the scope of the side its path names, and the routes tried below are served
    assert {route: sides[route[1].split("/")[3]] for route in scopes} == scopes
    assert set(CONSUMER_ROUTES + CONSUMER_REFUSALS + REPRESENTATIVE_ROUTES) <= scopes.keys()


@pytest.mark.parametrize(
    ("route", "scope"),
    [pytest.param(r, CONSUMER_SCOPE, id=f"consumer-token-{r[0]}-{r[1]}") for r in REPRESENTATIVE_ROUTES]
    + [
        pytest.param(r, REPRESENTATIVE_SCOPE, id=f"representative-token-{r[0]}-{r[1]}")
        for r in CONSUMER_ROUTES
    ]
    + [pytest.param(r, None, id=f"no-scope-{r[0]}-{r[1]}") for r in CONSUMER_ROUTES + REPRESENTATIVE_ROUTES],
)
def test_a_token_without_the_routes_scope_is_a_403_and_changes_nothing(
    send: Send, api: TenantApi, route: tuple[str, str], scope: str | None
) -> None:
    # Given an open conversation of the tenant
    journey = Journey(api)
    before = journey.views()

    # When the tenant calls the route with a token that lacks the route's scope
    method, path, body = a_valid_request(route, journey.id)
    answer = send(method, path, body, tenant=api.tenant, scope=scope)

    # Then the authorizer refuses it: 403 problem+json `forbidden`, with RFC 6750's challenge
    assert is_problem(answer, 403, "forbidden"), answer.body
    content = {k.lower(): v for k, v in answer.headers.items()}
    assert content["www-authenticate"] == 'Bearer error="insufficient_scope"'
    # And nothing changed (no conversation created, no event applied)
    assert journey.views() == before
    listed = api.live()
    assert [item["conversationid"] for item in listed.body["conversations"]] == [journey.id]


def test_a_token_with_both_scopes_works_on_both_sides(send: Send, api: TenantApi) -> None:
    def call(method: str, path: str, body: Any = None) -> Any:
        answer = send(method, path, body, tenant=api.tenant, scope=BOTH_SCOPES)
        assert answer.status in {200, 201}, (method, path, answer.body)
        return answer.body

    # Given a token holding both scopes: the consumer side answers
    created = call("POST", CREATE, {"customercontext": {"customerid": unique_customerid()}})
    conversation_id = created["conversationId"]
    anonymous_id = call("POST", CREATE_ALIAS, {})["conversationId"]
    assert call("GET", consumer_conversation(conversation_id))["status"] == "open"
    listed = call("GET", CONSUMER_LIST)["conversations"]
    assert [c["conversationid"] for c in listed] == [anonymous_id, conversation_id]

    # And so does the representative side
    queue = call("GET", REPRESENTATIVE_LIST)["conversations"]
    assert [c["conversationId"] for c in queue] == [conversation_id, anonymous_id]
    assert call("GET", representative_conversation(conversation_id))["status"] == "open"
    accepted = call(
        "POST",
        representative_conversation(conversation_id),
        {"type": "event", "name": "accept", "from": {"id": REP_1.id, "name": REP_1.name}},
    )
    assert accepted["status"] == "active"

    # And both see the other's change
    ended = call("POST", consumer_conversation(conversation_id), {"type": "endOfConversation"})
    assert ended["status"] == "wrapup"
    assert call("GET", representative_conversation(conversation_id))["endedBy"] == "customer"
