"""`PARAM_ScopeClaim=roles make dev` (Microsoft Entra ID's app-only tokens): the routes require no scope of
the authorizer, each function requires its side's scope among the token's app roles (`roles`)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local.token import mint_token
from tests.api import CONSUMER, REPRESENTATIVE
from tests.e2e.conftest import running_dev_server

CONSUMER_ROLE, REPRESENTATIVE_ROLE = "messaging/conversations", "messaging/representative"


@pytest.fixture(scope="module")
def roles_server(dynamodb_endpoint: str) -> Iterator[str]:
    with running_dev_server(dynamodb_endpoint, ScopeClaim="roles") as base_url:
        yield base_url


def call(base_url: str, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    request = urllib.request.Request(f"{base_url}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def app_token(tenant: str, *roles: str) -> str:
    """An Entra-like client-credentials token: no scope claim, the app roles in `roles`."""
    return mint_token(tenant, scope=None, extra_claims={"roles": list(roles)})


def test_app_roles_open_each_side_s_routes_and_scopes_alone_do_not(roles_server: str) -> None:
    create, queue = f"{CONSUMER}/conversations/create", f"{REPRESENTATIVE}/conversations"
    # Given tokens holding the consumer role, the representative role, or only the consumer scope
    consumer, representative = app_token("roles-a", CONSUMER_ROLE), app_token("roles-a", REPRESENTATIVE_ROLE)
    scope_only = mint_token("roles-a", scope=CONSUMER_ROLE)
    # When each calls a consumer route and a representative route
    created = call(roles_server, "POST", create, consumer, {})
    refused_create = call(roles_server, "POST", create, representative, {})
    refused_scope = call(roles_server, "POST", create, scope_only, {})
    listed = call(roles_server, "GET", queue, representative)
    refused_queue = call(roles_server, "GET", queue, consumer)
    # Then each side's role opens its side only: 403 `forbidden` problems otherwise, naming the role needed
    assert created[0] == 201, created
    assert listed[0] == 200 and [c["conversationId"] for c in listed[1]["conversations"]] == [
        created[1]["conversationId"]
    ]
    for status, body in (refused_create, refused_scope):
        assert (status, body["code"]) == (403, "forbidden") and CONSUMER_ROLE in body["detail"], body
    assert (refused_queue[0], refused_queue[1]["code"]) == (403, "forbidden")
    assert REPRESENTATIVE_ROLE in refused_queue[1]["detail"]
