"""A create's lookups (the customer's lock, the email's and the phone's contacts) are one BatchGetItem, which
DynamoDB may answer only in part under load, handing back the rest as UnprocessedKeys: the store asks again
for those, a few rounds, and then says the store is busy (503) instead of answering from half the lookups.
DynamoDB Local never leaves keys unprocessed, so a botocore `before-send` hook on the store's client answers
the first sends as a throttled DynamoDB would: nothing found, every key handed back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

from messaging.domain.contact import Contact
from messaging.domain.contact_keys import normalize_email, normalize_phone
from messaging.domain.errors import StoreBusy
from messaging.domain.ids import lock_fingerprint
from messaging.domain.tenant import Tenant
from messaging.store.client import dynamodb_client
from messaging.wiring import conversations
from tests.api import InProcessApi

TENANT = Tenant("tenant-a")
EMAIL, PHONE = "ana@example.com", "+1 555 0100"


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


class Unprocessed:
    """Answers the first `rounds` BatchGetItem sends with every key unprocessed; counts all of them."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.sends = 0

    @contextmanager
    def installed(self) -> Iterator[None]:
        """On the store's client, for the duration (botocore's hooks type as returning None)."""
        hook = cast("Callable[..., None]", self._before_send)
        dynamodb_client().meta.events.register("before-send.dynamodb", hook)
        try:
            yield
        finally:
            dynamodb_client().meta.events.unregister("before-send.dynamodb", hook)

    def _before_send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        if not (target.decode() if isinstance(target, bytes) else str(target)).endswith(".BatchGetItem"):
            return None
        self.sends += 1
        if self.sends > self.rounds:
            return None
        body = request.body
        asked = json.loads(body.decode() if isinstance(body, bytes) else str(body))["RequestItems"]
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        headers["x-amzn-RequestId"] = str(uuid.uuid4())
        answer = {"Responses": {table: [] for table in asked}, "UnprocessedKeys": asked}
        return AWSResponse(request.url, 200, headers, _Body(json.dumps(answer).encode()))


@pytest.fixture
def found() -> tuple[str, Contact]:
    """A conversation of customer c1 that made a contact of its email and phone: what the lookups find."""
    created = InProcessApi().create(
        {"customercontext": {"customerid": "c1", "firstname": "Ana", "email": EMAIL, "phonenumber": PHONE}}
    )
    assert created.status == 201, created.body
    conversation_id = created.body["conversationId"]
    stored = conversations().get(TENANT, conversation_id)
    assert stored is not None
    contact = Contact(str(stored.details.contact_id), firstname="Ana", email=EMAIL, phonenumber=PHONE)
    return conversation_id, contact


@pytest.mark.parametrize("rounds", [1, 4])
def test_lookups_dynamodb_left_unprocessed_are_asked_for_again(
    local_env: dict[str, str], found: tuple[str, Contact], rounds: int
) -> None:
    # Given DynamoDB leaving every key unprocessed `rounds` times
    conversation_id, contact = found
    store, unprocessed = conversations(), Unprocessed(rounds)
    # When a create looks up the customer's lock and contacts
    with unprocessed.installed():
        snapshot = store.read_for_create(
            TENANT, lock_fingerprint(conversation_id), normalize_email(EMAIL), normalize_phone(PHONE)
        )
    # Then it asked again until answered, and found all three
    assert unprocessed.sends == rounds + 1
    assert snapshot.lock is not None and snapshot.lock.conversation_id == conversation_id
    assert (snapshot.email_contact, snapshot.phone_contact) == (contact, contact)


def test_lookups_still_unprocessed_after_five_rounds_are_a_busy_store(
    local_env: dict[str, str], found: tuple[str, Contact]
) -> None:
    # Given DynamoDB leaving every key unprocessed, however often asked
    conversation_id, _ = found
    store, unprocessed = conversations(), Unprocessed(rounds=1000)
    # When a create looks up the customer's lock and contacts, Then after five rounds the store is busy
    with unprocessed.installed(), pytest.raises(StoreBusy):
        store.read_for_create(TENANT, lock_fingerprint(conversation_id), normalize_email(EMAIL), None)
    assert unprocessed.sends == 5
