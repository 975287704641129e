"""The customer's messages over HTTP, against the dev server as a user runs it: messageIds under concurrency,
the transcript in messageId order across pages, a message reviving a waiting conversation, and messages to
an ended one (CONTRACT.md, "POST /conversation/{conversationId}" and "GET …/messages")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest

from tests.e2e.api_client import (
    ACCEPT,
    CLOSE,
    CUSTOMER_ENDS,
    END,
    REP_1,
    WAIT,
    Journey,
    Step,
    TenantApi,
    is_problem,
    message_id,
)

CONCURRENT_MESSAGES = 64
PAGE_SIZE = 10  # below 64: the transcript comes in several pages


def test_64_concurrent_customer_messages_get_distinct_increasing_ids_and_the_transcript_pages_them_in_order(
    api: TenantApi, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a new conversation with a start message
    journey = Journey(api)
    start_id = journey.last_message_id

    # When the customer sends 64 messages at once
    texts = [f"message {index:02d}" for index in range(CONCURRENT_MESSAGES)]
    with ThreadPoolExecutor(CONCURRENT_MESSAGES) as pool:
        answers = list(pool.map(lambda text: api.message(journey.id, text), texts))

    # Then each is accepted with a messageId of its own, all above the start message's
    assert [answer.status for answer in answers] == [200] * CONCURRENT_MESSAGES, [a.body for a in answers]
    ids = {text: message_id(answer) for text, answer in zip(texts, answers, strict=True)}
    assert len(set(ids.values())) == CONCURRENT_MESSAGES
    assert min(ids.values()) > start_id

    # And the transcript, read page by page, holds the start message and the 64, in messageId order
    pages = api.walk_transcript(journey.id, page_size=PAGE_SIZE)
    messages = [message for page in pages for message in page]
    assert len(pages) >= (1 + CONCURRENT_MESSAGES) // PAGE_SIZE + 1
    transcript_ids = [int(message["messageId"]) for message in messages]
    assert transcript_ids == [start_id, *sorted(ids.values())]
    assert all(earlier < later for earlier, later in pairwise(transcript_ids))
    # Each message is the one its messageId was answered for, from the customer
    assert [message["text"] for message in messages] == ["Hello", *sorted(texts, key=ids.__getitem__)]
    assert all(message["from"]["role"] == "customer" for message in messages)
    assert all(message["id"] == message["messageId"] for message in messages)
    with capsys.disabled():
        print(
            f"\nmessages: {CONCURRENT_MESSAGES} concurrent -> {len(set(ids.values()))} distinct messageIds "
            f"over {max(ids.values()) - min(ids.values()) + 1} ms; transcript {len(messages)} messages in "
            f"{len(pages)} pages of {PAGE_SIZE}, in messageId order"
        )


def test_a_customer_message_to_a_waiting_conversation_brings_it_back_to_the_queue(api: TenantApi) -> None:
    # Given a conversation its representative set aside (waiting)
    journey = Journey(api, ACCEPT, WAIT)

    # When the customer writes
    answer = api.message(journey.id, "Are you still there?")

    # Then the message is taken, after the conversation's earlier activities
    assert answer.status == 200, answer.body
    assert message_id(answer) > journey.last_message_id
    # And the conversation is back in the queue, holding the customerid, with no representative
    for view in journey.views():
        assert (view["status"], view["isActive"], view["representative"]) == ("open", True, None)
    assert journey.id in api.walk_work(page_size=50, status="open")
    # And the message is in the transcript
    transcript = api.transcript(journey.id)
    assert [m["text"] for m in transcript.body["messages"]] == ["Hello", "Are you still there?"]


@pytest.mark.parametrize(
    "given",
    [(ACCEPT, END), (ACCEPT, CUSTOMER_ENDS), (CUSTOMER_ENDS,), (ACCEPT, END, CLOSE)],
    ids=["wrapup-ended-by-representative", "wrapup-ended-by-customer", "closed", "closed-after-wrapup"],
)
def test_a_customer_message_to_an_ended_conversation_is_a_409_and_is_not_stored(
    api: TenantApi, given: tuple[Step, ...]
) -> None:
    # Given an ended conversation (wrapup or closed)
    journey = Journey(api, *given)
    before = journey.views()

    # When the customer writes
    answer = api.message(journey.id, "Hello again")

    # Then it is refused, and neither the conversation nor its transcript changed
    assert is_problem(answer, 409, "conversation_ended"), answer.body
    assert journey.views() == before
    assert [m["text"] for m in api.transcript(journey.id).body["messages"]] == ["Hello"]


def test_customer_and_representative_messages_share_one_order_in_the_transcript(api: TenantApi) -> None:
    # Given an active conversation
    journey = Journey(api, ACCEPT)

    # When the customer and the representative each send 16 messages, all at once
    sends = [("customer", f"c{index:02d}") for index in range(16)]
    sends += [("representative", f"r{index:02d}") for index in range(16)]
    with ThreadPoolExecutor(len(sends)) as pool:
        answers = list(
            pool.map(
                lambda send: (
                    api.message(journey.id, send[1])
                    if send[0] == "customer"
                    else api.representative_message(journey.id, send[1], by=REP_1)
                ),
                sends,
            )
        )

    # Then each gets its own messageId
    assert [answer.status for answer in answers] == [200] * len(sends), [a.body for a in answers]
    ids = {text: message_id(answer) for (_, text), answer in zip(sends, answers, strict=True)}
    assert len(set(ids.values())) == len(sends)

    # And the transcript holds both sides in messageId order, each with its sender's role
    messages = [m for page in api.walk_transcript(journey.id, page_size=PAGE_SIZE) for m in page][1:]
    assert [m["text"] for m in messages] == sorted(ids, key=ids.__getitem__)
    roles = {text: role for role, text in sends}
    assert [m["from"]["role"] for m in messages] == [roles[m["text"]] for m in messages]
    representative = next(m for m in messages if m["from"]["role"] == "representative")
    assert (representative["from"]["id"], representative["from"]["name"]) == (REP_1.id, REP_1.name)
