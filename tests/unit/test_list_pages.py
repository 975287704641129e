"""Reading lists and transcripts a page at a time (the use cases on moto, on a clock the test moves): a
conversation past its deadline is no longer listed, a ContinuationToken continues only the query it came
from, and a transcript tells an unknown conversation from one without (more) messages."""

from __future__ import annotations

import pytest

from messaging.config import settings
from messaging.domain.activity import Activity, Kind, Role, Sender, StoredMessage
from messaging.domain.conversation import ConversationRequest, CustomerDetails, Representative, Timeouts
from messaging.domain.errors import ConversationNotFound, InvalidContinuationToken
from messaging.domain.ids import ConversationIds
from messaging.domain.state_machine import Event, Status
from messaging.domain.tenant import Tenant
from messaging.store.client import dynamodb_client
from messaging.store.lists import DynamoDBConversationLists
from messaging.usecases.activities import SendActivity
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent
from messaging.usecases.paging import ContinuationTokens
from messaging.usecases.reads import ListConversations, ReadTranscript
from messaging.wiring import conversations

TENANT = Tenant("tenant-a")
MINUTE = 60_000
TIMEOUTS = Timeouts(open_ms=MINUTE, active_ms=2 * MINUTE, waiting_ms=3 * MINUTE, wrapup_ms=4 * MINUTE)
T0 = 1_800_000_000_000
ANA, BO = Representative("rep-1", "Ana"), Representative("rep-2", "Bo")
NOT_ISSUED = "the ContinuationToken was not issued for this query"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


class World:
    """The use cases over the moto tables, on one clock."""

    def __init__(self) -> None:
        store = conversations()
        secret = settings().id_secret
        self.clock = Clock()
        self.create = CreateConversation(store, ConversationIds(secret), TIMEOUTS, clock=self.clock)
        self.apply = ApplyEvent(store, TIMEOUTS, clock=self.clock)
        self.send = SendActivity(store, self.apply, clock=self.clock)
        lists = DynamoDBConversationLists(dynamodb_client(), settings().conversations_table)
        self.lists = ListConversations(lists, ContinuationTokens(secret), clock=self.clock)
        self.transcript = ReadTranscript(store, ContinuationTokens(secret))

    def start(self, customerid: str) -> str:
        self.clock.now += 1
        return self.create(
            TENANT, ConversationRequest(CustomerDetails(customerid=customerid))
        ).conversation_id

    def say(self, conversation_id: str, text: str) -> int:
        self.clock.now += 1
        activity = Activity(Kind.MESSAGE, Sender(Role.CUSTOMER), text)
        return self.send(TENANT, conversation_id, activity).message_id


def test_a_listed_conversation_leaves_both_lists_exactly_at_its_deadline(moto_tables: dict[str, str]) -> None:
    # Given two open conversations, the second created 1 ms after the first
    world = World()
    first, second = world.start("c1"), world.start("c2")
    deadline = T0 + 1 + MINUTE  # the first one's
    # When the lists are read 1 ms before the first one's deadline, and exactly at it
    world.clock.now = deadline - 1
    live_before = world.lists.live(TENANT, None, 10, None)
    queue_before = world.lists.for_representatives(TENANT, Status.OPEN, None, 10, None)
    world.clock.now = deadline
    live_at = world.lists.live(TENANT, None, 10, None)
    queue_at = world.lists.for_representatives(TENANT, Status.OPEN, None, 10, None)
    # Then before, both are listed (newest first live, oldest first in the queue); at it, only the second
    assert [c.conversation_id for c in live_before.conversations] == [second, first]
    assert [c.conversation_id for c in queue_before.conversations] == [first, second]
    assert [c.conversation_id for c in live_at.conversations] == [second]
    assert [c.conversation_id for c in queue_at.conversations] == [second]


def test_the_live_list_pages_on_with_its_token_and_only_for_the_same_since(
    moto_tables: dict[str, str],
) -> None:
    # Given three live conversations
    world = World()
    started = [world.start(f"c{n}") for n in range(3)]
    # When the list is read a page of one at a time
    page = world.lists.live(TENANT, None, 1, None)
    seen = [c.conversation_id for c in page.conversations]
    while page.continuation_token is not None:
        page = world.lists.live(TENANT, None, 1, page.continuation_token)
        seen += [c.conversation_id for c in page.conversations]
    # Then the pages hold each conversation once, newest first
    assert seen == started[::-1]
    # And a token of the list since one time does not continue the list since another
    first = world.lists.live(TENANT, None, 1, None).continuation_token
    with pytest.raises(InvalidContinuationToken, match=f"^{NOT_ISSUED}$"):
        world.lists.live(TENANT, T0, 1, first)
    # Nor another tenant's
    with pytest.raises(InvalidContinuationToken, match=f"^{NOT_ISSUED}$"):
        world.lists.live(Tenant("tenant-b"), None, 1, first)


def test_the_live_list_since_a_time_holds_the_conversations_created_from_then_on(
    moto_tables: dict[str, str],
) -> None:
    # Given three live conversations, created 1 ms apart
    world = World()
    started = [world.start(f"c{n}") for n in range(3)]
    second_created = T0 + 2
    # When the live list is read since the second one's creation, to the millisecond
    page = world.lists.live(TENANT, second_created, 10, None)
    # Then it holds the second and the third, newest first, and not the first
    assert [c.conversation_id for c in page.conversations] == [started[2], started[1]]
    assert [c.created_at_ms for c in page.conversations] == [T0 + 3, second_created]
    assert page.continuation_token is None


def test_the_representatives_lists_page_on_for_their_status_and_representative_only(
    moto_tables: dict[str, str],
) -> None:
    # Given two conversations Ana accepted, one Bo accepted, and two still open
    world = World()
    mine = [world.start(f"c{n}") for n in range(2)]
    theirs = world.start("c2")
    queued = [world.start(f"c{n}") for n in range(3, 5)]
    for conversation_id, representative in [(mine[0], ANA), (mine[1], ANA), (theirs, BO)]:
        world.clock.now += 1
        world.apply(TENANT, conversation_id, Event.ACCEPT, actor=representative)

    def walk(status: Status, rep: str | None) -> tuple[list[str], str | None]:
        page = world.lists.for_representatives(TENANT, status, rep, 1, None)
        ids = [c.conversation_id for c in page.conversations]
        first_token = page.continuation_token
        while page.continuation_token is not None:
            page = world.lists.for_representatives(TENANT, status, rep, 1, page.continuation_token)
            ids += [c.conversation_id for c in page.conversations]
        return ids, first_token

    # Then each list holds its own conversations, oldest first, page by page
    ana, ana_token = walk(Status.ACTIVE, ANA.id)
    active, active_token = walk(Status.ACTIVE, None)
    queue, queue_token = walk(Status.OPEN, None)
    assert ana == mine
    assert active == [*mine, theirs]
    assert queue == queued
    # And the active list names who has each conversation; the queue, nobody
    everyone_active = world.lists.for_representatives(TENANT, Status.ACTIVE, None, 10, None).conversations
    assert [c.representative_id for c in everyone_active] == [ANA.id, ANA.id, BO.id]
    everyone_queued = world.lists.for_representatives(TENANT, Status.OPEN, None, 10, None).conversations
    assert [c.representative_id for c in everyone_queued] == [None, None]
    # And no list's token continues another's
    for status, rep, token in [
        (Status.ACTIVE, BO.id, ana_token),  # another representative
        (Status.ACTIVE, None, ana_token),  # the whole status
        (Status.OPEN, None, active_token),  # another status
        (Status.ACTIVE, ANA.id, active_token),
        (Status.ACTIVE, None, queue_token),
    ]:
        with pytest.raises(InvalidContinuationToken, match=f"^{NOT_ISSUED}$"):
            world.lists.for_representatives(TENANT, status, rep, 1, token)


def test_a_transcript_pages_on_with_its_token_for_that_conversation_only(moto_tables: dict[str, str]) -> None:
    # Given two conversations, the first with three messages
    world = World()
    first, second = world.start("c1"), world.start("c2")
    said = [world.say(first, text) for text in ("one", "two", "three")]
    world.say(second, "other")
    # When the first one's transcript is read a message at a time
    messages: list[StoredMessage] = []
    page = world.transcript(TENANT, first, None, 1, None)
    messages += page.messages
    tokens = [page.continuation_token]
    while page.continuation_token is not None:
        page = world.transcript(TENANT, first, None, 1, page.continuation_token)
        messages += page.messages
        tokens.append(page.continuation_token)
    # Then it holds its three messages in order, and its token continues no other conversation or since
    assert [(m.message_id, m.text) for m in messages] == list(zip(said, ("one", "two", "three"), strict=True))
    assert tokens[0] is not None
    for conversation_id, since in [(second, None), (first, T0)]:
        with pytest.raises(InvalidContinuationToken, match=f"^{NOT_ISSUED}$"):
            world.transcript(TENANT, conversation_id, since, 1, tokens[0])


def test_a_transcript_tells_an_unknown_conversation_from_one_without_more_messages(
    moto_tables: dict[str, str],
) -> None:
    # Given a conversation with one message, and one without any
    world = World()
    talked, silent = world.start("c1"), world.start("c2")
    said = world.say(talked, "hello")
    # Then the silent one's transcript is empty, from the start and since any time
    assert world.transcript(TENANT, silent, None, 10, None).messages == []
    assert world.transcript(TENANT, silent, T0, 10, None).messages == []
    # And the talkative one's since after its message is empty, since before it holds it
    assert world.transcript(TENANT, talked, said + 1, 10, None).messages == []
    assert [m.text for m in world.transcript(TENANT, talked, said, 10, None).messages] == ["hello"]
    # But an unknown conversation, or another tenant's, is not found, from the start or since a time
    unknown = ConversationIds(settings().id_secret).new(TENANT, None)
    for tenant, conversation_id in [(TENANT, unknown), (Tenant("tenant-b"), talked)]:
        for since in (None, T0):
            with pytest.raises(ConversationNotFound):
                world.transcript(tenant, conversation_id, since, 10, None)
