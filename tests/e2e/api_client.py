"""One tenant's view of the API over HTTP, by operation: the consumer's calls with the consumer scope, the
representative's with the representative scope, as the two separate OAuth clients of one business would.

Every call returns the raw `HttpAnswer`; the `walk_*` helpers and `Journey` assert the happy path they need.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:  # conftest builds TenantApi fixtures: no import cycle at run time
    from tests.e2e.conftest import HttpAnswer, Send

CONSUMER_SCOPE = "messaging/conversations"
REPRESENTATIVE_SCOPE = "messaging/representative"
BOTH_SCOPES = f"{CONSUMER_SCOPE} {REPRESENTATIVE_SCOPE}"

CONSUMER = "/api/v1.0/consumer"
REPRESENTATIVE = "/api/v1.0/representative"
CREATE = f"{CONSUMER}/conversations/create"
CREATE_ALIAS = f"{CONSUMER}/conversation/create"
CONSUMER_LIST = f"{CONSUMER}/conversations"
CHANNEL = f"{CONSUMER}/channel"
REPRESENTATIVE_LIST = f"{REPRESENTATIVE}/conversations"
# A list walk that has not met a null token after this many pages is a bug, not a long list.
MAX_PAGES = 100


def consumer_conversation(conversation_id: str) -> str:
    return f"{CONSUMER}/conversation/{conversation_id}"


def representative_conversation(conversation_id: str) -> str:
    return f"{REPRESENTATIVE}/conversation/{conversation_id}"


@dataclass(frozen=True)
class Rep:
    """A representative, as their tooling names them in `from`."""

    id: str
    name: str

    @property
    def view(self) -> dict[str, str]:
        """How the API shows them (`representative`)."""
        return {"id": self.id, "name": self.name}


REP_1 = Rep("rep-1", "Ana")
REP_2 = Rep("rep-2", "Bo")


def unique_customerid() -> str:
    return f"e2e-{uuid.uuid4()}"


def with_query(path: str, **query: str | int | None) -> str:
    present = {name: str(value) for name, value in query.items() if value is not None}
    return f"{path}?{urlencode(present)}" if present else path


def is_problem(answer: HttpAnswer, status: int, code: str) -> bool:
    """An RFC 9457 answer with this status and code (content type included)."""
    content_type = next((v for k, v in answer.headers.items() if k.lower() == "content-type"), "")
    return (
        answer.status == status
        and content_type == "application/problem+json"
        and isinstance(answer.body, dict)
        and answer.body.get("status") == status
        and answer.body.get("code") == code
    )


@dataclass(frozen=True)
class TenantApi:
    send: Send
    tenant: str

    # Consumer side (consumer scope) -------------------------------------------------------------------------

    def create(self, body: Any) -> HttpAnswer:
        return self.send("POST", CREATE, body, tenant=self.tenant, scope=CONSUMER_SCOPE)

    def get(self, conversation_id: str) -> HttpAnswer:
        return self.send(
            "GET", consumer_conversation(conversation_id), tenant=self.tenant, scope=CONSUMER_SCOPE
        )

    def end_of_conversation(self, conversation_id: str) -> HttpAnswer:
        return self.send(
            "POST",
            consumer_conversation(conversation_id),
            {"type": "endOfConversation", "channelId": "web"},
            tenant=self.tenant,
            scope=CONSUMER_SCOPE,
        )

    def live(
        self, *, start: str | None = None, page_size: int | None = None, token: str | None = None
    ) -> HttpAnswer:
        """The consumer's list (open, active, waiting; newest first)."""
        path = with_query(CONSUMER_LIST, StartTimeStamp=start, PageSize=page_size, ContinuationToken=token)
        return self.send("GET", path, tenant=self.tenant, scope=CONSUMER_SCOPE)

    # Representative side (representative scope) -------------------------------------------------------------

    def view(self, conversation_id: str) -> HttpAnswer:
        return self.send(
            "GET",
            representative_conversation(conversation_id),
            tenant=self.tenant,
            scope=REPRESENTATIVE_SCOPE,
        )

    def event(self, conversation_id: str, name: str, by: Rep | None = REP_1) -> HttpAnswer:
        activity: dict[str, Any] = {"type": "event", "name": name}
        if by is not None:
            activity["from"] = {"id": by.id, "name": by.name}
        return self.send(
            "POST",
            representative_conversation(conversation_id),
            activity,
            tenant=self.tenant,
            scope=REPRESENTATIVE_SCOPE,
        )

    def work(
        self,
        *,
        status: str | None = None,
        representative_id: str | None = None,
        page_size: int | None = None,
        token: str | None = None,
    ) -> HttpAnswer:
        """The representative's list (default status=open: the queue; oldest first)."""
        path = with_query(
            REPRESENTATIVE_LIST,
            status=status,
            representativeId=representative_id,
            PageSize=page_size,
            ContinuationToken=token,
        )
        return self.send("GET", path, tenant=self.tenant, scope=REPRESENTATIVE_SCOPE)

    # Messages, the transcript and the channel (webhook settings) -------------------------------------------

    def message(self, conversation_id: str, text: str) -> HttpAnswer:
        """The customer's message (consumer side)."""
        return self.send(
            "POST",
            consumer_conversation(conversation_id),
            {"type": "message", "text": text},
            tenant=self.tenant,
            scope=CONSUMER_SCOPE,
        )

    def representative_message(self, conversation_id: str, text: str, by: Rep = REP_1) -> HttpAnswer:
        return self.send(
            "POST",
            representative_conversation(conversation_id),
            {"type": "message", "text": text, "from": {"id": by.id, "name": by.name}},
            tenant=self.tenant,
            scope=REPRESENTATIVE_SCOPE,
        )

    def transcript(
        self, conversation_id: str, *, page_size: int | None = None, token: str | None = None
    ) -> HttpAnswer:
        path = with_query(
            f"{consumer_conversation(conversation_id)}/messages", PageSize=page_size, ContinuationToken=token
        )
        return self.send("GET", path, tenant=self.tenant, scope=CONSUMER_SCOPE)

    def set_channel(self, webhook_url: str) -> HttpAnswer:
        return self.send(
            "PUT", CHANNEL, {"webhookUrl": webhook_url}, tenant=self.tenant, scope=CONSUMER_SCOPE
        )

    def channel(self) -> HttpAnswer:
        return self.send("GET", CHANNEL, tenant=self.tenant, scope=CONSUMER_SCOPE)

    # Whole lists, page by page ------------------------------------------------------------------------------

    def walk_work(self, *, page_size: int, **query: str | None) -> list[str]:
        """Every id of a representative list, following continuationToken to null; each page ≤ page_size."""
        ids: list[str] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = self.work(page_size=page_size, token=token, **query)
            assert page.status == 200, page.body
            assert len(page.body["conversations"]) <= page_size
            ids += [item["conversationId"] for item in page.body["conversations"]]
            token = page.body["continuationToken"]
            if token is None:
                return ids
        raise AssertionError(f"no null continuationToken after {MAX_PAGES} pages")

    def walk_live(self, *, page_size: int, start: str | None = None) -> list[str]:
        """Every id of the consumer's list, following continuationtoken to its null; each page ≤ page_size."""
        ids: list[str] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = self.live(start=start, page_size=page_size, token=token)
            assert page.status == 200, page.body
            assert len(page.body["conversations"]) <= page_size
            ids += [item["conversationid"] for item in page.body["conversations"]]
            token = page.body["continuationtoken"]
            if token is None:
                return ids
        raise AssertionError(f"no null continuationtoken after {MAX_PAGES} pages")

    def walk_transcript(self, conversation_id: str, *, page_size: int) -> list[list[Any]]:
        """Every page of the transcript, following continuationToken to its null; each page ≤ page_size."""
        pages: list[list[Any]] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = self.transcript(conversation_id, page_size=page_size, token=token)
            assert page.status == 200, page.body
            assert len(page.body["messages"]) <= page_size
            pages.append(page.body["messages"])
            token = page.body["continuationToken"]
            if token is None:
                return pages
        raise AssertionError(f"no null continuationToken after {MAX_PAGES} pages")


# Journeys: one conversation through a series of events ------------------------------------------------------

# The consumer's steps; every other event name is a representative's.
END_OF_CONVERSATION = "endOfConversation"
CUSTOMER_MESSAGE_EVENT = "customerMessage"  # a customer's message activity (revives a waiting one)
MESSAGE_ID = re.compile(r"[0-9]{13}")


@dataclass(frozen=True)
class Step:
    """An event: a representative's (`by` acting, None: no `from`), the consumer's endOfConversation, or a
    customer's message."""

    event: str
    by: Rep | None = REP_1

    def __str__(self) -> str:
        return f"{self.event} by {self.by.id if self.by else 'the customer'}"


ACCEPT, RELEASE, WAIT, RESUME, END, CLOSE = (
    Step(name) for name in ("accept", "release", "wait", "resume", "end", "close")
)
CUSTOMER_ENDS = Step(END_OF_CONVERSATION, None)


def assert_answer_agrees(answer: HttpAnswer, view: Any) -> None:
    """Every field an event's answer settles (those it carries) is what the view shows."""
    for field in ("status", "isActive", "representative", "endedBy", "closedAt", "closeReason"):
        if field in answer.body:
            assert answer.body[field] == view[field], (field, answer.body, view)


def message_id(answer: HttpAnswer) -> int:
    text = answer.body["messageId"]
    assert isinstance(text, str) and MESSAGE_ID.fullmatch(text), f"messageId {text!r} is not 13 digits"
    return int(text)


class Journey:
    """A new conversation (created with a start message, whose messageId opens the series) taken through
    events. `advance` asserts that each event answers 200 with a messageId of 13 digits, strictly above every
    earlier one of the conversation; `send` only sends."""

    def __init__(
        self,
        api: TenantApi,
        *steps: Step,
        customerid: str | None = None,
        anonymous: bool = False,
        **create: Any,
    ) -> None:
        """`anonymous`: no customerid (no customer lock to take or free: the store's other write path)."""
        customercontext = {} if anonymous else {"customerid": customerid or unique_customerid()}
        body = {"customercontext": customercontext, "startmessage": {"message": "Hello"}, **create}
        created = api.create(body)
        assert created.status == 201, created.body
        self.api = api
        self.id: str = created.body["conversationId"]
        self.message_ids = [message_id(created)]
        for step in steps:
            self.advance(step)

    @property
    def last_message_id(self) -> int:
        return self.message_ids[-1]

    def send(self, step: Step) -> HttpAnswer:
        if step.event == END_OF_CONVERSATION:
            return self.api.end_of_conversation(self.id)
        if step.event == CUSTOMER_MESSAGE_EVENT:
            return self.api.message(self.id, "I'm back")
        return self.api.event(self.id, step.event, by=step.by)

    def advance(self, step: Step) -> HttpAnswer:
        answer = self.send(step)
        assert answer.status == 200, (step, answer.body)
        # An event answers the conversation as it now stands; a message, its messageId only.
        assert answer.body.get("conversationId", self.id) == self.id
        new_id = message_id(answer)
        assert new_id > self.last_message_id, f"{step}: messageId {new_id} not above {self.message_ids}"
        self.message_ids.append(new_id)
        return answer

    def views(self) -> tuple[Any, Any]:
        """The conversation as the consumer (GET) and the representative (GET representative view) see it."""
        consumer, representative = self.api.get(self.id), self.api.view(self.id)
        assert consumer.status == 200, consumer.body
        assert representative.status == 200, representative.body
        return consumer.body, representative.body
