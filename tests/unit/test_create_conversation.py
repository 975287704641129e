"""POST /conversations/create: new, existing, tenants, record identification, idempotency (CONTRACT.md)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import boto3
import pytest

from tests.harness import CREATE, CREATE_ALIAS, api_event, environment, invoke, load_handler
from tests.unit.conftest import CreateCall


def test_new_conversation_answers_201_with_a_uuid(create: CreateCall) -> None:
    # Given no conversation yet, When a customer's conversation is created
    answer = create({"customercontext": {"customerid": "jdoe123"}})
    # Then it is new, with a UUID and no messageId (no start message)
    assert answer.status == 201
    assert answer.body["isNew"] is True
    assert uuid.UUID(answer.body["conversationId"])
    assert "messageId" not in answer.body


def test_start_message_gives_a_13_digit_epoch_ms_message_id(create: CreateCall) -> None:
    answer = create({"startmessage": {"message": "Hello", "displayname": "John"}})
    assert answer.status == 201
    assert re.fullmatch(r"\d{13}", answer.body["messageId"])


def test_second_create_for_same_customer_returns_existing(create: CreateCall) -> None:
    # Given an active conversation for jdoe123
    first = create({"customercontext": {"customerid": "jdoe123"}})
    # When the same tenant creates again for jdoe123, even with a start message
    second = create({"customercontext": {"customerid": "jdoe123"}, "startmessage": {"message": "again"}})
    # Then the existing conversation comes back, not a new one, and no start message is used
    assert second.status == 200
    assert second.body == {"conversationId": first.body["conversationId"], "isNew": False}


def test_alias_path_behaves_like_create(create: CreateCall) -> None:
    first = create({"customercontext": {"customerid": "c-alias"}})
    second = create({"customercontext": {"customerid": "c-alias"}}, path=CREATE_ALIAS)
    assert (second.status, second.body["conversationId"]) == (200, first.body["conversationId"])


def test_same_customerid_of_another_tenant_is_another_conversation(create: CreateCall) -> None:
    mine = create({"customercontext": {"customerid": "shared-id"}}, tenant="tenant-a")
    theirs = create({"customercontext": {"customerid": "shared-id"}}, tenant="tenant-b")
    assert theirs.status == 201
    assert theirs.body["conversationId"] != mine.body["conversationId"]


def test_tenant_ids_that_look_like_key_separators_do_not_collide(create: CreateCall) -> None:
    # Keys are "TENANT#<tenant>#CUSTOMER#<id>": these two would collide without escaping '#'.
    one = create({"customercontext": {"customerid": "x#CUSTOMER#y"}}, tenant="a")
    other = create({"customercontext": {"customerid": "y"}}, tenant="a#CUSTOMER#x")
    assert (one.status, other.status) == (201, 201)


def test_creates_without_customerid_are_always_new(create: CreateCall) -> None:
    first, second = create({}), create({})
    assert (first.status, second.status) == (201, 201)
    assert first.body["conversationId"] != second.body["conversationId"]


def test_empty_body_starts_an_anonymous_conversation(create: CreateCall) -> None:
    assert create(b"").status == 201


def test_a_token_with_only_azp_or_sub_is_no_tenant(create: CreateCall) -> None:
    assert create({}, claims={"azp": "t-1"}).status == 401
    assert create({}, claims={"sub": "t-1", "client_id": ""}).status == 401


@pytest.mark.parametrize("tenant", ["\ud800s", "ac\x00me", "a\x1bb", "acme\n", "", "x" * 257], ids=repr)
def test_a_tenant_claim_that_is_no_valid_tenant_is_a_401_and_nothing_is_written(
    create: CreateCall, moto_tables: dict[str, str], tenant: str
) -> None:
    # Given a token whose tenant claim is a lone surrogate, holds a control character, is empty or too long
    # When it creates a conversation
    answer = create({"customercontext": {"customerid": "jdoe123"}}, claims={"client_id": tenant})
    # Then the answer is 401 and no key was written under any tenant
    assert answer.status == 401, answer.body
    table = moto_tables["ConversationsTable"]
    assert boto3.client("dynamodb").scan(TableName=table)["Items"] == []


def test_the_deployment_s_tenant_claim_is_the_only_claim_read(
    create: CreateCall, moto_tables: dict[str, str]
) -> None:
    # Given a deployment whose TenantClaim is tenant_id
    with environment({"TENANT_CLAIM": "tenant_id"}):
        # When a token carries it along with every claim that once stood in for a tenant
        claims = {"tenant_id": "acme", "client_id": "by-client-id", "azp": "by-azp", "appid": "by-appid"}
        answer = create({}, claims={**claims, "sub": "by-sub"})
        # And a token carries only those other claims
        without = create({}, claims={name: value for name, value in claims.items() if name != "tenant_id"})
    # Then the conversation belongs to the tenant_id's tenant; without it there is no tenant
    assert (answer.status, without.status) == (201, 401)
    table = moto_tables["ConversationsTable"]
    keys = {item["pk"]["S"] for item in boto3.client("dynamodb").scan(TableName=table)["Items"]}
    assert keys == {f"TENANT#acme#CONVERSATION#{answer.body['conversationId']}"}


def test_token_without_tenant_claim_is_401(create: CreateCall) -> None:
    answer = create({}, claims={"scope": "x"})
    assert answer.status == 401
    assert answer.body["code"] == "unauthorized"


def test_repeated_conversationrequestid_gets_the_first_answer(create: CreateCall) -> None:
    # Given a first create with a request id
    first = create({"conversationrequestid": "req-1", "customercontext": {"customerid": "c1"}})
    # When the same tenant sends the same id again, even with another customer
    again = create({"conversationrequestid": "req-1", "customercontext": {"customerid": "c2"}})
    # Then it gets the first answer back, status included
    assert (again.status, again.body) == (first.status, first.body)


def test_conversationrequestid_is_scoped_to_the_tenant(create: CreateCall) -> None:
    mine = create({"conversationrequestid": "req-1"}, tenant="tenant-a")
    theirs = create({"conversationrequestid": "req-1"}, tenant="tenant-b")
    assert theirs.body["conversationId"] != mine.body["conversationId"]


def _idempotency_record(tables: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one idempotency record (Powertools' item) and its key."""
    (record,) = boto3.client("dynamodb").scan(TableName=tables["IdempotencyTable"])["Items"]
    return record, {"id": record["id"]}


def test_a_request_id_repeated_after_the_window_is_a_new_request(moto_tables: dict[str, str]) -> None:
    # Given a deployment whose IdempotencyWindowMinutes is 5, and a first create with a request id
    body = {"conversationrequestid": "req-window"}
    with environment({"IDEMPOTENCY_WINDOW_MINUTES": "5"}):
        handler = load_handler("create_conversation")
        started = time.time()
        first = invoke(handler, api_event("POST", CREATE, body))
        record, key = _idempotency_record(moto_tables)
        # Then its answer is kept for the window: 5 minutes from now
        assert first.status == 201
        assert started + 300 - 2 <= int(record["expiration"]["N"]) <= time.time() + 300 + 2
        # When the window has passed (the record's expiry is behind us) and the same request comes again
        boto3.client("dynamodb").update_item(
            TableName=moto_tables["IdempotencyTable"],
            Key=key,
            UpdateExpression="SET expiration = :past",
            ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
        )
        again = invoke(handler, api_event("POST", CREATE, body))
    # Then it is a new request: a new conversation, not the first answer replayed
    assert again.status == 201
    assert again.body["conversationId"] != first.body["conversationId"]


def test_a_request_id_whose_first_request_is_still_running_answers_409_with_retry_after(
    create: CreateCall, moto_tables: dict[str, str]
) -> None:
    # Given a request id whose first request is still being handled (its record in progress, for a minute)
    body = {"conversationrequestid": "req-running"}
    assert create(body).status == 201
    _, key = _idempotency_record(moto_tables)
    boto3.client("dynamodb").update_item(
        TableName=moto_tables["IdempotencyTable"],
        Key=key,
        UpdateExpression="SET #status = :running, in_progress_expiration = :until REMOVE #data",
        ExpressionAttributeNames={"#status": "status", "#data": "data"},
        ExpressionAttributeValues={
            ":running": {"S": "INPROGRESS"},
            ":until": {"N": str(int(time.time() * 1000) + 60_000)},
        },
    )
    # When the same request comes again
    answer = create(body)
    # Then it is told to retry shortly, and no second conversation was started
    assert (answer.status, answer.body["code"], answer.headers.get("retry-after")) == (
        409,
        "request_in_progress",
        "1",
    )
    table = moto_tables["ConversationsTable"]
    conversations = {item["pk"]["S"] for item in boto3.client("dynamodb").scan(TableName=table)["Items"]}
    assert len(conversations) == 1


def test_context_and_customer_are_stored_with_the_conversation(
    create: CreateCall, moto_tables: dict[str, str]
) -> None:
    answer = create(
        {
            "customercontext": {"customerid": "jdoe123", "firstname": "John", "email": "John.Doe@Email.com"},
            "conversationcontext": {
                "productname": {"isDisplayable": True, "value": "XBox"},
                "n": {"value": 2},
            },
            "skipdeflectionbot": True,
        }
    )
    client = boto3.client("dynamodb")
    item = client.get_item(
        TableName=moto_tables["ConversationsTable"],
        Key={
            "pk": {"S": f"TENANT#tenant-a#CONVERSATION#{answer.body['conversationId']}"},
            "sk": {"S": "#DETAILS"},
        },
    )["Item"]
    state = client.get_item(
        TableName=moto_tables["ConversationsTable"],
        Key={"pk": item["pk"], "sk": {"S": "#STATE"}},
    )["Item"]
    assert state["status"] == {"S": "open"}
    assert state["customerid"] == {"S": "jdoe123"}  # the state names its customer, as the details do
    assert item["skipDeflectionBot"] == {"BOOL": True}
    assert item["customer"]["M"]["firstname"] == {"S": "John"}
    assert '"productname":{"value":"XBox","isDisplayable":true}' in item["context"]["S"]


@pytest.mark.parametrize("method", ["GET", "PUT", "OPTIONS"])
def test_another_method_on_the_alias_path_is_a_405_allowing_only_post(
    moto_tables: dict[str, str], method: str
) -> None:
    # Given the template's `ANY /conversation/create` route (without it API Gateway would hand a GET to
    # GET /conversation/{conversationId} with the id "create")
    event = api_event(method, CREATE_ALIAS, None)
    event["routeKey"] = event["requestContext"]["routeKey"] = f"ANY {CREATE_ALIAS}"
    # When that method reaches the create function
    answer = invoke(load_handler("create_conversation"), event)
    # Then it is refused as the OpenAPI path item says: POST only
    assert (answer.status, answer.body["code"]) == (405, "method_not_allowed")
    assert answer.headers["allow"] == "POST"
    assert answer.headers["content-type"] == "application/problem+json"
