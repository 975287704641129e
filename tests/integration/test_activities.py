"""Activities on DynamoDB Local (CONTRACT.md, "POST /conversation/{id}"): messageIds unique and increasing
under concurrency, the transcript in their order, a waiting conversation revived by its customer, context
variables set by custom events within the 100-entry limit, and what ended conversations refuse."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest

from messaging.config import settings
from messaging.domain.activity import Activity, Kind, Role, Sender
from messaging.domain.conversation import ContextVariable, ConversationRequest, CustomerDetails, StartMessage
from messaging.domain.ids import ConversationIds
from messaging.domain.state_machine import Event
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.client import dynamodb_client
from messaging.store.outbox import outgoing_of
from messaging.usecases.activities import SendActivity
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent
from messaging.wiring import conversations, send_activity
from tests.api import CONSUMER, REPRESENTATIVE, InProcessApi
from tests.integration.invariants import broken_invariants, read_storage

TENANT = Tenant("tenant-a")


@pytest.fixture
def api(local_env: dict[str, str]) -> InProcessApi:
    return InProcessApi()


def _say(api: InProcessApi, conversation_id: str, text: str, **options: Any) -> Any:
    return api.call(
        "POST", f"{CONSUMER}/conversation/{conversation_id}", {"type": "message", "text": text}, **options
    )


def _transcript(
    api: InProcessApi, conversation_id: str, page_size: int = 10, **query: str
) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        parameters = {"PageSize": str(page_size), **query, **({"ContinuationToken": token} if token else {})}
        page = api.call("GET", f"{CONSUMER}/conversation/{conversation_id}/messages", query=parameters)
        assert page.status == 200, page.body
        messages += page.body["messages"]
        token = page.body["continuationToken"]
        if token is None:
            return messages


def test_64_concurrent_messages_get_64_distinct_increasing_ids_and_the_transcript_keeps_their_order(
    dynamodb_endpoint: str, local_env: dict[str, str], api: InProcessApi
) -> None:
    # Given a conversation with a start message, and 64 environments of the activity use case
    created = api.create({"customercontext": {"customerid": "talker"}, "startmessage": {"message": "start"}})
    conversation_id = created.body["conversationId"]
    senders = [send_activity() for _ in range(64)]
    start = Barrier(64)

    def say(index: int) -> int:
        activity = Activity(Kind.MESSAGE, Sender(Role.CUSTOMER), text=f"message {index}")
        start.wait()
        return senders[index](TENANT, conversation_id, activity).message_id

    # When all 64 send a message at the same moment
    with ThreadPoolExecutor(64) as pool:
        ids = list(pool.map(say, range(64)))
    # Then each got its own 13-digit id, all after the start message's
    assert len(set(ids)) == 64
    assert all(len(str(i)) == 13 and i > int(created.body["messageId"]) for i in ids)
    # And the transcript, read ten at a time, has the start message and all 64, in messageId order
    transcript = _transcript(api, conversation_id)
    assert [m["messageId"] for m in transcript] == [created.body["messageId"], *map(str, sorted(ids))]
    texts = {int(m["messageId"]): m["text"] for m in transcript}
    assert all(texts[message_id] == f"message {index}" for index, message_id in enumerate(ids))
    assert broken_invariants(read_storage(dynamodb_endpoint, local_env)) == []


def test_a_message_and_an_end_in_the_same_millisecond_get_different_ids(local_env: dict[str, str]) -> None:
    # Given a clock that does not move, a conversation created with a start message at that millisecond
    store, now = conversations(), 1_800_000_000_000
    create = CreateConversation(
        store, ConversationIds(settings().id_secret), settings().timeouts, clock=lambda: now
    )
    request = ConversationRequest(CustomerDetails(customerid="same-ms"), start_message=StartMessage("hi"))
    created = create(TENANT, request)
    apply = ApplyEvent(store, settings().timeouts, clock=lambda: now)
    send = SendActivity(store, apply, clock=lambda: now)
    # When a message, typing and the end all come in that same millisecond
    message = send(TENANT, created.conversation_id, Activity(Kind.MESSAGE, Sender(Role.CUSTOMER), text="x"))
    typing = send(TENANT, created.conversation_id, Activity(Kind.TYPING, Sender(Role.CUSTOMER)))
    ended = apply(TENANT, created.conversation_id, Event.END_OF_CONVERSATION)
    # Then every activity has its own, increasing id
    ids = [int(created.message_id or 0), message.message_id, typing.message_id, ended.message_id]
    assert ids == sorted(set(ids)) and ids[0] == now


def test_a_customer_message_brings_a_waiting_conversation_back_to_the_queue(api: InProcessApi) -> None:
    # Given a conversation a representative set aside
    conversation_id = api.start("reviver")
    api.event(conversation_id, "accept")
    api.event(conversation_id, "wait")
    # When the customer writes again
    answer = _say(api, conversation_id, "are you there?")
    # Then it is open again, in the queue, holding the customerid; the message is in the transcript
    assert answer.status == 200
    view = api.get(conversation_id).body
    assert (view["status"], view["isActive"], view["representative"]) == ("open", True, None)
    assert api.create({"customercontext": {"customerid": "reviver"}}).body == {
        "conversationId": conversation_id,
        "isNew": False,
    }
    assert _transcript(api, conversation_id)[-1]["text"] == "are you there?"


def test_a_customer_message_to_a_waiting_conversation_whose_customer_moved_on_is_a_409(
    api: InProcessApi,
) -> None:
    # Given a waiting conversation, and a newer one for the same customer holding the customerid
    waiting = api.start("mover")
    api.event(waiting, "accept")
    api.event(waiting, "wait")
    newer = api.start("mover")
    # When the customer writes to the waiting one
    answer = _say(api, waiting, "hello?")
    # Then it is refused, naming the conversation that holds the customerid; nothing was stored
    assert (answer.status, answer.body["code"], answer.body["conversationId"]) == (
        409,
        "customer_has_active_conversation",
        newer,
    )
    assert [m.get("text") for m in _transcript(api, waiting)] == []


def test_a_customer_message_racing_a_resume_of_its_waiting_conversation_is_taken_as_a_message(
    api: InProcessApi,
) -> None:
    # Given a waiting conversation, and the consumer function's execution environment
    waiting = api.start("racer")
    api.event(waiting, "accept")
    api.event(waiting, "wait")
    assert _say(api, str(uuid.uuid4()), "loads the function").status == 404
    # And the representative resumes it just before the customer's message revives it: the revival's
    # transaction (the message's second, after the direct write found it waiting) is sent after the resume
    transactions: list[Any] = []
    resumed: list[Any] = []

    def resume_first(request: Any, **_: Any) -> None:
        if request.headers.get("X-Amz-Target", b"").endswith(b".TransactWriteItems"):
            transactions.append(request)
            if len(transactions) == 2:
                resumed.append(api.event(waiting, "resume"))  # another function: its own client

    dynamodb_client().meta.events.register("before-send.dynamodb", resume_first)
    # When the customer writes
    answer = _say(api, waiting, "still there?")
    # Then the message is taken (the conversation is active again), not refused as a transition
    assert [r.status for r in resumed] == [200], [r.body for r in resumed]
    assert answer.status == 200, answer.body
    assert api.representative_view(waiting).body["status"] == "active"
    assert _transcript(api, waiting)[-1]["text"] == "still there?"


@pytest.mark.parametrize("ended", ["wrapup", "closed"])
@pytest.mark.parametrize(
    "activity",
    [
        {"type": "message", "text": "late"},
        {"type": "typing"},
        {"type": "event", "name": "x", "channelData": {"customEventValue": "{}"}},
    ],
    ids=["message", "typing", "event"],
)
def test_an_ended_conversation_takes_no_activity(
    api: InProcessApi, ended: str, activity: dict[str, Any]
) -> None:
    conversation_id = api.start(None)
    if ended == "wrapup":
        api.event(conversation_id, "accept")
    api.end(conversation_id)
    answer = api.call("POST", f"{CONSUMER}/conversation/{conversation_id}", activity)
    assert (answer.status, answer.body["code"], answer.body["conversationStatus"]) == (
        409,
        "conversation_ended",
        ended,
    )
    rep = api.call(
        "POST", f"{REPRESENTATIVE}/conversation/{conversation_id}", {"type": "message", "text": "x"}
    )
    assert (rep.status, rep.body["code"]) == (409, "conversation_ended")


def _event(api: InProcessApi, conversation_id: str, values: dict[str, Any]) -> Any:
    body = {"type": "event", "name": "context", "channelData": {"customEventValue": json.dumps(values)}}
    return api.call("POST", f"{CONSUMER}/conversation/{conversation_id}", body)


def test_custom_events_set_context_variables_and_stay_out_of_the_transcript(api: InProcessApi) -> None:
    created = api.create(
        {"conversationcontext": {"plan": {"value": "basic"}}, "startmessage": {"message": "hi"}}
    )
    conversation_id = created.body["conversationId"]
    assert (
        _event(
            api, conversation_id, {"plan": {"value": "gold", "isDisplayable": True}, "n": {"value": 3}}
        ).status
        == 200
    )
    context = api.call("GET", f"{CONSUMER}/conversation/{conversation_id}/context").body["context"]
    assert context == [
        {"name": "plan", "value": "gold", "isDisplayable": True},
        {"name": "n", "value": 3, "isDisplayable": False},
    ]
    assert [m["text"] for m in _transcript(api, conversation_id)] == ["hi"]
    representative_view = api.representative_view(conversation_id).body
    assert representative_view["conversationcontext"] == {"plan": "gold"}


def test_the_100_variable_limit_holds_across_create_and_events(api: InProcessApi) -> None:
    # Given a conversation created with 99 context variables
    context = {f"k{i}": {"value": i} for i in range(99)}
    conversation_id = api.create({"conversationcontext": context}).body["conversationId"]
    # When an event adds two more, it is refused naming the field; one more, or a change, is accepted
    refused = _event(api, conversation_id, {"new1": {"value": 1}, "new2": {"value": 2}})
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "channelData.customEventValue")
    assert _event(api, conversation_id, {"new1": {"value": 1}}).status == 200
    assert _event(api, conversation_id, {"k0": {"value": "changed"}}).status == 200
    assert _event(api, conversation_id, {"new2": {"value": 2}}).status == 400
    stored = api.call("GET", f"{CONSUMER}/conversation/{conversation_id}/context").body["context"]
    assert len(stored) == 100


def test_concurrent_custom_events_on_different_variables_all_land(local_env: dict[str, str]) -> None:
    conversation_id = InProcessApi().start(None)
    senders = [send_activity() for _ in range(8)]
    start = Barrier(8)

    def set_variable(index: int) -> None:
        activity = Activity(
            Kind.EVENT, Sender(Role.CUSTOMER), event_name="set", context={f"v{index}": ContextVariable(index)}
        )
        start.wait()
        senders[index](TENANT, conversation_id, activity)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(set_variable, range(8)))
    found = conversations().details(TENANT, conversation_id)
    assert found is not None
    details, version = found
    assert {name: variable.value for name, variable in details.context.items()} == {
        f"v{i}": i for i in range(8)
    }
    assert version == 8


def test_a_message_moves_the_deadline_on_from_the_last_message(
    api: InProcessApi, local_env: dict[str, str]
) -> None:
    conversation_id = api.start("deadline")
    key = {"pk": {"S": keys.conversation_key(TENANT, conversation_id)}, "sk": {"S": keys.STATE}}
    before = dynamodb_client().get_item(TableName=local_env["ConversationsTable"], Key=key)["Item"]
    answer = _say(api, conversation_id, "still here")
    after = dynamodb_client().get_item(TableName=local_env["ConversationsTable"], Key=key)["Item"]
    message_id = int(answer.body["messageId"])
    assert int(after["expiresAt"]["N"]) == message_id + int(before["timeoutMs"]["N"])
    assert int(after["expiresAt"]["N"]) > int(before["expiresAt"]["N"])
    assert after["dueAt"] == before["dueAt"]  # the due index moves only when the sweeper finds it early


def test_transcript_paging_and_its_rules(api: InProcessApi) -> None:
    conversation_id = api.start(None)
    for index in range(5):
        _say(api, conversation_id, f"m{index}")
    all_messages = _transcript(api, conversation_id, page_size=2)
    assert [m["text"] for m in all_messages] == [f"m{i}" for i in range(5)]
    # From a time on
    since = all_messages[2]["timestamp"]
    assert [m["text"] for m in _transcript(api, conversation_id, StartTimeStamp=since)] == ["m2", "m3", "m4"]
    # Page sizes 1..100
    path = f"{CONSUMER}/conversation/{conversation_id}/messages"
    for size in ("0", "101", "x"):
        answer = api.call("GET", path, query={"PageSize": size})
        assert (answer.status, answer.body["errors"][0]["field"]) == (400, "PageSize"), size
    # A token is for its conversation and tenant only
    token = api.call("GET", path, query={"PageSize": "1"}).body["continuationToken"]
    other = api.start(None)
    misused = api.call("GET", f"{CONSUMER}/conversation/{other}/messages", query={"ContinuationToken": token})
    assert (misused.status, misused.body["code"]) == (400, "invalid_continuation_token")
    elsewhere = api.call("GET", path, query={"ContinuationToken": token}, tenant="tenant-b")
    assert elsewhere.status in (400, 404)
    forged = api.call("GET", path, query={"ContinuationToken": token[:-2] + "AA"})
    assert (forged.status, forged.body["code"]) == (400, "invalid_continuation_token")
    # Another tenant's conversation has no transcript; nor has an unknown one
    assert api.call("GET", path, tenant="tenant-b").status == 404
    unknown = f"{CONSUMER}/conversation/7c9e6679-7425-40de-944b-e07fc1f90ae7/messages"
    assert api.call("GET", unknown).status == 404
    assert api.call("GET", unknown, query={"StartTimeStamp": "2026-01-01T00:00:00Z"}).status == 404


def test_the_representative_reads_the_same_transcript_and_its_messages_are_marked_as_its(
    api: InProcessApi,
) -> None:
    conversation_id = api.start(None)
    _say(api, conversation_id, "hi")
    api.event(conversation_id, "accept")
    body = {"type": "message", "text": "how can I help?", "from": {"id": "rep-1", "name": "Ana"}}
    assert api.call("POST", f"{REPRESENTATIVE}/conversation/{conversation_id}", body).status == 200
    consumer_side = _transcript(api, conversation_id)
    representative_side = api.call("GET", f"{REPRESENTATIVE}/conversation/{conversation_id}/messages").body
    assert representative_side["messages"] == consumer_side
    assert [m["from"] for m in consumer_side] == [
        {"id": None, "name": None, "role": "customer"},
        {"id": "rep-1", "name": "Ana", "role": "representative"},
    ]


@pytest.mark.parametrize("kind", ["message", "typing"])
def test_a_customer_activity_after_the_representatives_message_leaves_nothing_to_deliver(
    api: InProcessApi, local_env: dict[str, str], kind: str
) -> None:
    # Given an active conversation whose last activity is its representative's message: the state's outbox
    # asks the stream to deliver it to the business's webhook
    conversation_id = api.start("echo")
    api.event(conversation_id, "accept")
    reply = {"type": "message", "text": "How can I help?", "from": {"id": "rep-1", "name": "Rep"}}
    sent = api.call("POST", f"{REPRESENTATIVE}/conversation/{conversation_id}", reply)
    assert sent.status == 200, sent.body
    key = {"pk": {"S": keys.conversation_key(TENANT, conversation_id)}, "sk": {"S": keys.STATE}}

    def state() -> dict[str, Any]:
        table = local_env["ConversationsTable"]
        return dynamodb_client().get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]

    delivered = outgoing_of(state())
    assert delivered is not None and delivered.kind == "message"
    # When the customer sends a message (or types), which the business's webhook is not sent
    activity = {"type": kind, **({"text": "hi"} if kind == "message" else {})}
    answer = api.call("POST", f"{CONSUMER}/conversation/{conversation_id}", activity)
    assert answer.status == 200, answer.body
    # Then the state's new image (what the stream carries to dispatch) asks for no delivery: the
    # representative's message is not delivered again under the customer's messageId
    assert outgoing_of(state()) is None
