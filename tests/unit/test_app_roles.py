"""ScopeClaim=roles (Microsoft Entra ID): a client-credentials token carries its permissions as app roles in
`roles`, which API Gateway's JWT authorizer cannot require, so each function requires its side's scope there:
ConsumerScope on consumer routes, RepresentativeScope on representative routes; 403 problem+json without it.
API Gateway hands the function an array claim as one string "[a b]"; a decoded token (local runs) as a list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from messaging.http.claims import app_roles
from tests.api import CONSUMER, REPRESENTATIVE
from tests.harness import Answer, api_event, environment, invoke, load_handler

CONSUMER_ROLE = "messaging/conversations"
REPRESENTATIVE_ROLE = "messaging/representative"


@pytest.fixture
def roles_deployment(moto_tables: dict[str, str]) -> Iterator[None]:
    with environment({"SCOPE_CLAIM": "roles"}):
        yield


def create(roles: Any) -> Answer:
    claims = {"client_id": "acme"} if roles is None else {"client_id": "acme", "roles": roles}
    return invoke(
        load_handler("create_conversation"),
        api_event("POST", f"{CONSUMER}/conversations/create", {}, claims=claims),
    )


def queue(roles: Any) -> Answer:
    claims = {"client_id": "acme", "roles": roles}
    path = f"{REPRESENTATIVE}/conversations"
    return invoke(load_handler("representative_conversations"), api_event("GET", path, claims=claims))


@pytest.mark.parametrize(
    "roles",
    [[CONSUMER_ROLE], f"[{CONSUMER_ROLE}]", f"[other {CONSUMER_ROLE}]", [REPRESENTATIVE_ROLE, CONSUMER_ROLE]],
    ids=["list", "API Gateway's string", "among others", "both sides"],
)
def test_a_token_with_the_consumer_role_may_call_a_consumer_route(roles_deployment: None, roles: Any) -> None:
    assert create(roles).status == 201


@pytest.mark.parametrize(
    "roles",
    [None, [], "[]", [REPRESENTATIVE_ROLE], f"[{REPRESENTATIVE_ROLE}]", "messaging/conversations-x", [42]],
    ids=[
        "no roles claim",
        "empty",
        "empty string",
        "the other side's",
        "other side, string",
        "prefix",
        "number",
    ],
)
def test_a_token_without_the_consumer_role_gets_403_problem_json_and_nothing_is_written(
    roles_deployment: None, roles: Any, moto_tables: dict[str, str]
) -> None:
    answer = create(roles)
    assert (answer.status, answer.body["code"]) == (403, "forbidden"), answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    assert CONSUMER_ROLE in answer.body["detail"]
    table = moto_tables["ConversationsTable"]
    assert boto3.client("dynamodb").scan(TableName=table)["Items"] == []


def test_a_representative_route_requires_the_representative_role(roles_deployment: None) -> None:
    assert queue([CONSUMER_ROLE]).status == 403
    assert queue(f"[{REPRESENTATIVE_ROLE}]").status == 200


def test_by_default_api_gateway_checks_scopes_and_the_functions_ignore_roles(
    moto_tables: dict[str, str],
) -> None:
    # Given the default deployment (ScopeClaim=scope): the authorizer already required the scope
    # Then a token without any roles claim is served
    assert create(None).status == 201


def test_api_gateway_s_string_form_of_an_array_claim_is_read_as_the_array() -> None:
    assert app_roles({"roles": "[a b  c]"}) == {"a", "b", "c"}
    assert app_roles({"roles": ["a", "b"]}) == {"a", "b"}
    assert app_roles({"roles": "a"}) == {"a"}
    # only a value bracketed on both sides is the array form: a lone bracket is part of a role's name
    assert app_roles({"roles": "[a b"}) == {"[a", "b"}
    assert app_roles({"roles": "a b]"}) == {"a", "b]"}
    assert app_roles({}) == app_roles(None) == frozenset()
