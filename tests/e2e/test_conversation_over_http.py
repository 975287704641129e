"""A conversation's life over HTTP, as a new user tries it with curl against `make dev`."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.conftest import HttpAnswer, Send

CREATE = "/api/v1.0/consumer/conversations/create"
CONVERSATION = "/api/v1.0/consumer/conversation/"


def test_create_get_close_and_create_again(send: Send) -> None:
    customer = {"customercontext": {"customerid": f"e2e-{uuid.uuid4()}", "email": "e2e@example.com"}}
    created = send("POST", CREATE, {**customer, "startmessage": {"message": "Hello"}})
    assert created.status == 201 and created.body["isNew"] is True and len(created.body["messageId"]) == 13
    conversation_id = created.body["conversationId"]
    again = send("POST", "/api/v1.0/consumer/conversation/create", customer)
    assert (again.status, again.body) == (200, {"conversationId": conversation_id, "isNew": False})
    assert send("GET", CONVERSATION + conversation_id).body["status"] == "open"
    closed = send("POST", CONVERSATION + conversation_id, {"type": "endOfConversation", "channelId": "web"})
    assert closed.status == 200 and closed.body["closeReason"] == "customer"
    assert send("POST", CONVERSATION + conversation_id, {"type": "endOfConversation"}).body == closed.body
    assert send("GET", CONVERSATION + conversation_id, tenant="someone-else").status == 404
    renewed = send("POST", CREATE, customer)
    assert renewed.status == 201 and renewed.body["conversationId"] != conversation_id


def test_invalid_create_is_a_json_400_naming_the_field(send: Send) -> None:
    answer = send("POST", CREATE, {"customercontext": {"email": "not-an-email"}})
    assert answer.status == 400
    assert answer.body["errors"][0]["field"] == "customercontext.email"


def test_no_token_is_a_problem_json_401_from_the_gateway(send: Send) -> None:
    answer = send("POST", CREATE, {}, tenant=None)
    assert answer.status == 401 and answer.body["code"] == "unauthorized"
    content_type = next(value for name, value in answer.headers.items() if name.lower() == "content-type")
    assert content_type == "application/problem+json"


def test_64_concurrent_http_creates_per_customer_share_one_conversation(send: Send) -> None:
    customers = [f"http-race-{uuid.uuid4()}" for _ in range(20)]

    def create(customerid: str) -> tuple[str, HttpAnswer]:
        return customerid, send("POST", CREATE, {"customercontext": {"customerid": customerid}})

    with ThreadPoolExecutor(64) as pool:
        results = list(pool.map(create, [c for c in customers for _ in range(64)]))
    assert max(answer.status for _, answer in results) < 500
    for customerid in customers:
        answers = [answer for c, answer in results if c == customerid]
        assert Counter(a.status for a in answers) == Counter({201: 1, 200: 63})
        assert len({a.body["conversationId"] for a in answers}) == 1
