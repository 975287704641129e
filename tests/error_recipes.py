"""The recipes that make each error openapi.json documents, as a client would, over HTTP: one per code,
parameterized by the operation (its method, path, scopes, body and query as documented).

Two walks run them: against `make dev`'s server in a process of its own (tests/e2e/
test_documented_errors_over_http.py, black box) and against the same local gateway serving the functions in
the test's own process (tests/integration/test_documented_errors_over_loopback.py: the code under test is
this process's, so `make mutation` sees what the walk checks).
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from local.dynamodb_local import dynamodb_client
from local.token import mint_token
from messaging.limits import MAX_BODY_BYTES
from tests.documented_errors import STORAGE_FAILURES, DocumentedError, documented_errors
from tests.e2e.api_client import (
    ACCEPT,
    CONSUMER_SCOPE,
    CUSTOMER_ENDS,
    REP_1,
    REPRESENTATIVE_SCOPE,
    WAIT,
    Journey,
    TenantApi,
    unique_customerid,
)
from tests.e2e.conftest import Send

SIDES = (CONSUMER_SCOPE, REPRESENTATIVE_SCOPE)


@dataclass(frozen=True)
class WireAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    wire_bytes: int  # status line, headers and body: everything the client received

    def document(self) -> Any:
        return json.loads(self.body) if self.body else None


def exchange(
    base_url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    token: str | None = None,
    content_type: str = "application/json",
) -> WireAnswer:
    """One HTTP/1.1 request on its own connection, and the answer exactly as it came off the socket."""
    address = urlsplit(base_url)
    head = [f"{method} {path} HTTP/1.1", f"Host: {address.netloc}", "Connection: close"]
    if token is not None:
        head.append(f"Authorization: Bearer {token}")
    if body is not None:
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    request = ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")
    received = bytearray()
    with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=30) as conn:
        conn.sendall(request)
        while chunk := conn.recv(65536):
            received += chunk
    raw_head, _, payload = bytes(received).partition(b"\r\n\r\n")
    status_line, *header_lines = raw_head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)
    }
    assert "chunked" not in headers.get("transfer-encoding", ""), "a chunked answer: sizes are not measured"
    assert int(headers.get("content-length", len(payload))) == len(payload), headers
    return WireAnswer(int(status_line.split()[1]), headers, payload, len(received))


class Caller:
    """One tenant of its own calling one documented operation, with its documented scope."""

    def __init__(
        self, base_url: str, send: Send, case: DocumentedError, idempotency_table: str = "IdempotencyTable"
    ) -> None:
        self.base_url = base_url
        self.case = case
        self.idempotency_table = idempotency_table  # the dev server's tables carry their logical ids as names
        self.tenant = f"e2e-errors-{uuid.uuid4()}"
        self.api = TenantApi(send, self.tenant)
        (self.scope,) = case.scopes

    def token(self, scope: str | None = None) -> str:
        return mint_token(self.tenant, scope=scope or self.scope)

    def path(self, conversation_id: str | None = None, **query: str) -> str:
        """The operation's path: `conversation_id` or the documented example id, and `query`."""
        path = self.case.example_path(conversation_id)
        return f"{path}?{urlencode(query)}" if query else path

    def body(self) -> bytes | None:
        example = self.case.body_example()
        return None if example is None else json.dumps(example).encode()

    def call(
        self, path: str | None = None, body: bytes | None = None, *, token: str | None = "", **options: Any
    ) -> WireAnswer:
        """The operation (its documented body by default); `token` "" is a token with the operation's scope,
        None none at all."""
        return exchange(
            self.base_url,
            self.case.method,
            path or self.path(),
            body if body is not None else self.body(),
            token=self.token() if token == "" else token,
            **options,
        )

    @property
    def is_consumer(self) -> bool:
        return self.scope == CONSUMER_SCOPE

    def journey(self, *steps: Any, **options: Any) -> Journey:
        return Journey(self.api, *steps, **options)

    def message(self, conversation_id: str) -> WireAnswer:
        """The operation's side writes a message to the conversation."""
        message: dict[str, Any] = {"type": "message", "text": "Hello again"}
        if not self.is_consumer:
            message["from"] = {"id": REP_1.id, "name": REP_1.name}
        return self.call(self.path(conversation_id), json.dumps(message).encode())

    def event(self, conversation_id: str, name: str) -> WireAnswer:
        """A representative's event."""
        event = {"type": "event", "name": name, "from": {"id": REP_1.id, "name": REP_1.name}}
        return self.call(self.path(conversation_id), json.dumps(event).encode())


def _needs_body(case: DocumentedError) -> None:
    assert case.body_example() is not None, f"{case.id}: the operation documents no request body example"


# The recipes: one per code, each a request of the case's operation that must get that error -----------------


def unauthorized(caller: Caller) -> WireAnswer:
    return caller.call(token=None)


def forbidden(caller: Caller) -> WireAnswer:
    (other_side,) = set(SIDES) - {caller.scope}
    return caller.call(token=caller.token(other_side))


def malformed_json(caller: Caller) -> WireAnswer:
    _needs_body(caller.case)
    return caller.call(body=b'{"type": ')


def validation_failed(caller: Caller) -> WireAnswer:
    if caller.case.body_example() is not None:
        return caller.call(body=b"[1]")  # not an object
    assert caller.case.has_query("PageSize"), f"{caller.case.id}: no body and no PageSize to get wrong"
    conversation_id = caller.journey().id if "{conversationId}" in caller.case.path else None
    return caller.call(caller.path(conversation_id, PageSize="0"))


def payload_too_large(caller: Caller) -> WireAnswer:
    _needs_body(caller.case)
    return caller.call(body=b" " * (MAX_BODY_BYTES + 1))


def unsupported_media_type(caller: Caller) -> WireAnswer:
    return caller.call(body=caller.body(), content_type="text/plain")


def malformed_conversation_id(caller: Caller) -> WireAnswer:
    return caller.call(caller.path("not-a-uuid"))


def conversation_not_found(caller: Caller) -> WireAnswer:
    return caller.call()  # the documented id and body: a fresh tenant has no such conversation


def conversation_mismatch(caller: Caller) -> WireAnswer:
    body = {"type": "typing", "conversation": {"id": str(uuid.uuid4())}}
    if not caller.is_consumer:
        body["from"] = {"id": REP_1.id, "name": REP_1.name}
    return caller.call(caller.path(caller.journey().id), json.dumps(body).encode())


def invalid_continuation_token(caller: Caller) -> WireAnswer:
    conversation_id = caller.journey().id if "{conversationId}" in caller.case.path else None
    return caller.call(caller.path(conversation_id, ContinuationToken="not-a-token-we-issued"))


def channel_not_found(caller: Caller) -> WireAnswer:
    return caller.call()  # a fresh tenant has set no webhook


def conversation_ended(caller: Caller) -> WireAnswer:
    closed = caller.journey(CUSTOMER_ENDS)
    return caller.message(closed.id)


def customer_has_active_conversation(caller: Caller) -> WireAnswer:
    # A conversation set aside (waiting frees the customerid), then the customer starts another one
    customerid = unique_customerid()
    waiting = caller.journey(ACCEPT, WAIT, customerid=customerid)
    assert caller.api.create({"customercontext": {"customerid": customerid}}).status == 201
    # The waiting one cannot come back: the customer's message (consumer) or resume (representative)
    return caller.message(waiting.id) if caller.is_consumer else caller.event(waiting.id, "resume")


def invalid_transition(caller: Caller) -> WireAnswer:
    assert not caller.is_consumer, (
        "the consumer side answers no invalid_transition: endOfConversation applies to every status or is "
        "a retry, and a message to a conversation that left waiting is taken as a message"
    )
    queued = caller.journey()
    return caller.event(queued.id, "wait")  # open: only an active conversation waits


def request_in_progress(caller: Caller, dynamodb_endpoint: str) -> WireAnswer:
    # A create with this conversationrequestid whose record is still in progress: as another execution
    # environment leaves it while it runs (the first create here, its record set back to INPROGRESS).
    body = {
        "customercontext": {"customerid": unique_customerid()},
        "conversationrequestid": str(uuid.uuid4()),
    }
    first = caller.call(body=json.dumps(body).encode())
    assert first.status == 201, first.body
    record = _idempotency_record(
        dynamodb_endpoint, caller.idempotency_table, first.document()["conversationId"]
    )
    client = dynamodb_client(dynamodb_endpoint)
    client.update_item(
        TableName=caller.idempotency_table,
        Key={"id": record["id"]},
        UpdateExpression="SET #status = :running, in_progress_expiration = :until REMOVE #data",
        ExpressionAttributeNames={"#status": "status", "#data": "data"},
        ExpressionAttributeValues={
            ":running": {"S": "INPROGRESS"},
            ":until": {"N": str(int(time.time() * 1000) + 60_000)},
        },
    )
    return caller.call(body=json.dumps(body).encode())


def _idempotency_record(dynamodb_endpoint: str, table: str, conversation_id: str) -> dict[str, Any]:
    """The idempotency record whose stored answer names the conversation."""
    pages = (
        dynamodb_client(dynamodb_endpoint)
        .get_paginator("scan")
        .paginate(
            TableName=table,
            FilterExpression="contains(#data, :id)",
            ExpressionAttributeNames={"#data": "data"},
            ExpressionAttributeValues={":id": {"S": conversation_id}},
        )
    )
    (record,) = [item for page in pages for item in page["Items"]]
    return dict(record)


type Recipe = Callable[..., WireAnswer]
RECIPES: dict[str, Recipe] = {
    recipe.__name__: recipe
    for recipe in (
        unauthorized,
        forbidden,
        malformed_json,
        validation_failed,
        payload_too_large,
        unsupported_media_type,
        malformed_conversation_id,
        conversation_not_found,
        conversation_mismatch,
        invalid_continuation_token,
        channel_not_found,
        conversation_ended,
        customer_has_active_conversation,
        invalid_transition,
        request_in_progress,
    )
}
CASES = [case for case in documented_errors() if case.code not in STORAGE_FAILURES]
