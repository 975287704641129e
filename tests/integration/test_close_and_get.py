"""Closing (endOfConversation) and reading conversations, on DynamoDB Local (CONTRACT.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.harness import BASE, CREATE, Answer, api_event, invoke, load_handler

ROUTE = f"{BASE}/conversation/{{conversationId}}"
END = {"type": "endOfConversation", "channelId": "web"}

type Call = Callable[..., Answer]


@pytest.fixture
def api(local_env: dict[str, str]) -> dict[str, Call]:
    handlers = {
        name: load_handler(name) for name in ("create_conversation", "close_conversation", "get_conversation")
    }

    def create(body: Any, tenant: str = "tenant-a") -> Answer:
        return invoke(handlers["create_conversation"], api_event("POST", CREATE, body, tenant=tenant))

    def on_conversation(function: str, method: str) -> Call:
        def call(conversation_id: str, body: Any = None, tenant: str = "tenant-a") -> Answer:
            event = api_event(
                method,
                f"{BASE}/conversation/{conversation_id}",
                body,
                tenant=tenant,
                route=ROUTE,
                path_parameters={"conversationId": conversation_id},
            )
            return invoke(handlers[function], event)

        return call

    return {
        "create": create,
        "close": on_conversation("close_conversation", "POST"),
        "get": on_conversation("get_conversation", "GET"),
    }


def _start(api: dict[str, Call], customerid: str = "jdoe123", tenant: str = "tenant-a") -> str:
    answer = api["create"]({"customercontext": {"customerid": customerid}}, tenant)
    assert answer.status == 201
    conversation_id: str = answer.body["conversationId"]
    return conversation_id


def test_end_of_conversation_closes_it_with_reason_customer(api: dict[str, Call]) -> None:
    conversation_id = _start(api)
    answer = api["close"](conversation_id, {**END, "conversation": {"id": conversation_id}})
    assert answer.status == 200
    assert answer.body["status"] == "closed" and answer.body["closeReason"] == "customer"
    assert answer.body["messageId"].isdigit() and len(answer.body["messageId"]) == 13
    view = api["get"](conversation_id).body
    assert (view["status"], view["isActive"], view["closedAt"]) == ("closed", False, answer.body["closedAt"])


def test_closing_frees_the_customerid_for_a_new_conversation(api: dict[str, Call]) -> None:
    first = _start(api)
    assert api["close"](first, END).status == 200
    second = api["create"]({"customercontext": {"customerid": "jdoe123"}})
    assert second.status == 201 and second.body["conversationId"] != first


def test_closing_twice_answers_the_original_close(api: dict[str, Call]) -> None:
    conversation_id = _start(api)
    first = api["close"](conversation_id, END)
    again = api["close"](conversation_id, {"type": "endOfConversation", "channelId": "other"})
    assert (again.status, again.body) == (200, first.body)


def test_conversation_without_customerid_closes_too(api: dict[str, Call]) -> None:
    answer = api["create"]({})
    assert api["close"](answer.body["conversationId"], END).status == 200


def test_another_tenants_conversation_does_not_exist(api: dict[str, Call]) -> None:
    conversation_id = _start(api, tenant="tenant-a")
    assert api["close"](conversation_id, END, tenant="tenant-b").status == 404
    assert api["get"](conversation_id, tenant="tenant-b").status == 404
    assert api["get"](conversation_id, tenant="tenant-a").body["status"] == "open"


def test_unknown_id_is_404_and_malformed_id_is_400(api: dict[str, Call]) -> None:
    unknown = api["close"]("7c9e6679-7425-40de-944b-e07fc1f90ae7", END)
    assert (unknown.status, unknown.body["code"]) == (404, "conversation_not_found")
    malformed = api["close"]("not-a-uuid", END)
    assert malformed.status == 400 and malformed.body["errors"][0]["field"] == "conversationId"
    assert api["get"]("x" * 36).status == 400


def test_conversation_id_in_the_body_must_match_the_path(api: dict[str, Call]) -> None:
    conversation_id = _start(api)
    answer = api["close"](
        conversation_id, {**END, "conversation": {"id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}}
    )
    assert answer.status == 400 and answer.body["errors"][0]["field"] == "conversation.id"


@pytest.mark.parametrize("activity_type", ["0", "conversationUpdate", "EndOfConversation"])
def test_an_activity_type_not_served_is_a_400_naming_the_served_ones(
    api: dict[str, Call], activity_type: str
) -> None:
    conversation_id = _start(api)
    answer = api["close"](conversation_id, {"type": activity_type, "text": "hi"})
    assert (answer.status, answer.body["code"]) == (400, "validation_failed")
    assert answer.body["errors"][0]["field"] == "type"
    assert "endOfConversation" in answer.body["errors"][0]["message"]
    assert api["get"](conversation_id).body["status"] == "open"


def test_activity_without_type_is_a_400_naming_it(api: dict[str, Call]) -> None:
    answer = api["close"](_start(api), {"channelId": "web"})
    assert answer.status == 400 and answer.body["errors"][0]["field"] == "type"


def test_get_shows_the_conversation(api: dict[str, Call]) -> None:
    created = api["create"](
        {
            "customercontext": {"customerid": "c-get", "email": "get@example.com"},
            "conversationcontext": {"productname": {"value": "XBox", "isDisplayable": True}},
        }
    )
    view = api["get"](created.body["conversationId"]).body
    assert view["status"] == "open" and view["isActive"] is True
    assert (view["customerid"], view["contactMatch"]) == ("c-get", "created")
    assert view["conversationcontext"] == {"productname": {"value": "XBox", "isDisplayable": True}}
    assert view["closedAt"] is None and view["expiresAt"] > view["createdAt"]
