"""What fuzzing the API found (tests/e2e/test_fuzz.py), each finding pinned down as one request."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from local.token import mint_token
from tests.e2e.conftest import Send

CREATE = "/api/v1.0/consumer/conversations/create"
CONVERSATION = "/api/v1.0/consumer/conversation/"


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "BREW"])
def test_a_method_no_route_serves_is_a_problem_json_405_not_an_html_501(send: Send, method: str) -> None:
    answer = send(method, CREATE)
    # The gateway's own answer: RFC 9457 problem details
    assert answer.status == 405 and answer.body["code"] == "method_not_allowed"
    assert answer.headers["allow"] == "POST"


@pytest.mark.parametrize("method", ["GET", "PUT", "OPTIONS"])
def test_the_alias_path_answers_another_method_405_allowing_post_only(send: Send, method: str) -> None:
    # GET used to reach GET /conversation/{conversationId} (a 400 for the id "create"), and Allow said
    # "GET, POST" while the path item /conversation/create has POST only
    answer = send(method, "/api/v1.0/consumer/conversation/create")
    assert answer.status == 405 and answer.body["code"] == "method_not_allowed"
    assert {name.lower(): value for name, value in answer.headers.items()}["allow"] == "POST"


@pytest.mark.parametrize("operation", ["create", "close"])
def test_a_json_array_body_is_a_400_not_its_first_element(send: Send, operation: str) -> None:
    path = CREATE
    body: list[dict[str, Any]] = [{"customercontext": {"customerid": f"array-{uuid.uuid4()}"}}]
    if operation == "close":
        conversation_id = send("POST", CREATE, {}).body["conversationId"]
        path, body = CONVERSATION + conversation_id, [{"type": "endOfConversation"}]
    answer = send("POST", path, body)
    assert answer.status == 400
    assert answer.body["errors"][0]["field"] == "body"


def test_a_body_of_only_whitespace_is_malformed_json(dev_server: str) -> None:
    request = urllib.request.Request(
        dev_server + CREATE,
        data=b" \r\n",
        method="POST",
        headers={"Authorization": f"Bearer {mint_token('findings')}", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=30)
    assert answer.value.code == 400
    assert json.loads(answer.value.read())["code"] == "malformed_json"
