"""The consumer's endOfConversation and reading conversations, through the functions, on DynamoDB Local."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import CONSUMER, InProcessApi
from tests.harness import Answer

END = {"type": "endOfConversation", "channelId": "web"}


@pytest.fixture
def api(local_env: dict[str, str]) -> InProcessApi:
    return InProcessApi()


def _end(
    api: InProcessApi, conversation_id: str, body: dict[str, object] | None = None, **options: Any
) -> Answer:
    return api.call("POST", f"{CONSUMER}/conversation/{conversation_id}", body or END, **options)


def test_end_of_an_open_conversation_closes_it_with_reason_customer(api: InProcessApi) -> None:
    conversation_id = api.start()
    answer = _end(api, conversation_id, {**END, "conversation": {"id": conversation_id}})
    assert answer.status == 200
    assert (answer.body["status"], answer.body["closeReason"]) == ("closed", "customer")
    assert answer.body["messageId"].isdigit() and len(answer.body["messageId"]) == 13
    view = api.get(conversation_id).body
    assert (view["status"], view["isActive"], view["closedAt"]) == ("closed", False, answer.body["closedAt"])


def test_end_of_an_active_conversation_leaves_it_in_wrapup_for_its_representative(api: InProcessApi) -> None:
    conversation_id = api.start()
    assert api.event(conversation_id, "accept").status == 200
    answer = api.end(conversation_id)
    assert (answer.status, answer.body["status"], answer.body["endedBy"]) == (200, "wrapup", "customer")
    view = api.get(conversation_id).body
    assert (view["status"], view["endedBy"], view["isActive"]) == ("wrapup", "customer", False)


def test_ending_frees_the_customerid_for_a_new_conversation(api: InProcessApi) -> None:
    first = api.start()
    assert api.end(first).status == 200
    second = api.create({"customercontext": {"customerid": "jdoe123"}})
    assert second.status == 201 and second.body["conversationId"] != first


def test_ending_twice_answers_as_the_first_time_nothing_changed(api: InProcessApi) -> None:
    conversation_id = api.start()
    first = api.end(conversation_id)
    again = _end(api, conversation_id, {"type": "endOfConversation", "channelId": "other"})
    assert (again.status, again.body) == (200, first.body)


def test_conversation_without_customerid_ends_too(api: InProcessApi) -> None:
    assert api.end(api.start(customerid=None)).status == 200


def test_another_tenants_conversation_does_not_exist(api: InProcessApi) -> None:
    conversation_id = api.start(tenant="tenant-a")
    assert api.end(conversation_id, tenant="tenant-b").status == 404
    assert api.get(conversation_id, tenant="tenant-b").status == 404
    assert api.get(conversation_id, tenant="tenant-a").body["status"] == "open"


def test_unknown_id_is_404_and_malformed_id_is_400(api: InProcessApi) -> None:
    unknown = api.end("7c9e6679-7425-40de-944b-e07fc1f90ae7")
    assert (unknown.status, unknown.body["code"]) == (404, "conversation_not_found")
    malformed = api.end("not-a-uuid")
    assert malformed.status == 400 and malformed.body["errors"][0]["field"] == "conversationId"
    assert api.get("x" * 36).status == 400


def test_conversation_id_in_the_body_must_match_the_path(api: InProcessApi) -> None:
    conversation_id = api.start()
    answer = _end(
        api, conversation_id, {**END, "conversation": {"id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}}
    )
    assert answer.status == 400 and answer.body["errors"][0]["field"] == "conversation.id"


@pytest.mark.parametrize("activity_type", ["0", "conversationUpdate", "EndOfConversation"])
def test_an_activity_type_not_served_is_a_400_naming_the_served_ones(
    api: InProcessApi, activity_type: str
) -> None:
    conversation_id = api.start()
    answer = _end(api, conversation_id, {"type": activity_type, "text": "hi"})
    assert (answer.status, answer.body["code"]) == (400, "validation_failed")
    assert answer.body["errors"][0]["field"] == "type"
    assert "endOfConversation" in answer.body["errors"][0]["message"]
    assert api.get(conversation_id).body["status"] == "open"


def test_activity_without_type_is_a_400_naming_it(api: InProcessApi) -> None:
    answer = _end(api, api.start(), {"channelId": "web"})
    assert answer.status == 400 and answer.body["errors"][0]["field"] == "type"


def test_get_shows_the_conversation(api: InProcessApi) -> None:
    created = api.create(
        {
            "customercontext": {"customerid": "c-get", "email": "get@example.com"},
            "conversationcontext": {"productname": {"value": "XBox", "isDisplayable": True}},
        }
    )
    view = api.get(created.body["conversationId"]).body
    assert view["status"] == "open" and view["isActive"] is True
    assert (view["customerid"], view["contactMatch"]) == ("c-get", "created")
    assert view["conversationcontext"] == {"productname": {"value": "XBox", "isDisplayable": True}}
    assert view["closedAt"] is None and view["expiresAt"] > view["createdAt"]
