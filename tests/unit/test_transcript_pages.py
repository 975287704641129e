"""A transcript is read a page at a time (CONTRACT.md, "GET /conversation/{id}/messages"): every page but the
last holds PageSize messages, in messageId order, the first page included (it also reads the conversation's
state, which must not take a message's place), and from a StartTimeStamp on, pages go on from that time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api import CONSUMER, InProcessApi
from tests.unit.conftest import moto_environment


@pytest.fixture
def api() -> Iterator[InProcessApi]:
    with moto_environment():
        yield InProcessApi()


def _pages(api: InProcessApi, conversation_id: str, size: int, **query: str) -> list[list[str]]:
    """The texts of each page, following the continuation tokens."""
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        parameters = {"PageSize": str(size), **query, **({"ContinuationToken": token} if token else {})}
        page = api.call("GET", f"{CONSUMER}/conversation/{conversation_id}/messages", query=parameters)
        assert page.status == 200, page.body
        pages.append([message["text"] for message in page.body["messages"]])
        token = page.body["continuationToken"]
        if token is None:
            return pages


def _full_pages(pages: list[list[str]]) -> list[list[str]]:
    """The pages but a last one that may be short or empty (a page that ends the transcript exactly cannot
    know it did)."""
    return pages[:-1] if pages and len(pages[-1]) == 0 else pages


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_every_page_but_the_last_holds_page_size_messages_in_order(api: InProcessApi, size: int) -> None:
    # Given a conversation whose start message is followed by five more
    created = api.create({"customercontext": {"customerid": "c1"}, "startmessage": {"message": "m0"}})
    conversation_id = created.body["conversationId"]
    texts = ["m0"]
    for index in range(1, 6):
        body: dict[str, Any] = {"type": "message", "text": f"m{index}"}
        assert api.call("POST", f"{CONSUMER}/conversation/{conversation_id}", body).status == 200
        texts.append(f"m{index}")
    # When it is read page by page, Then the pages cut it into runs of PageSize, the first one too
    pages = _full_pages(_pages(api, conversation_id, size))
    assert pages == [texts[start : start + size] for start in range(0, len(texts), size)]


def test_pages_from_a_start_time_go_on_from_that_time(api: InProcessApi) -> None:
    # Given a conversation of five messages
    conversation_id = api.start(None)
    for index in range(5):
        body = {"type": "message", "text": f"m{index}"}
        assert api.call("POST", f"{CONSUMER}/conversation/{conversation_id}", body).status == 200
    everything = api.call("GET", f"{CONSUMER}/conversation/{conversation_id}/messages").body["messages"]
    # When it is read from the second message's time on, two at a time
    pages = _full_pages(_pages(api, conversation_id, 2, StartTimeStamp=everything[1]["timestamp"]))
    # Then the pages hold the second message and every later one, in order, two by two
    assert pages == [["m1", "m2"], ["m3", "m4"]]


def test_a_conversation_without_messages_has_an_empty_transcript(api: InProcessApi) -> None:
    # Given a conversation created without a start message, nothing said since
    conversation_id = api.start(None)
    # When its transcript is read, Then it is one empty page, not an unknown conversation
    page = api.call("GET", f"{CONSUMER}/conversation/{conversation_id}/messages")
    assert (page.status, page.body) == (200, {"messages": [], "continuationToken": None})
