"""The timeout sweeper's report on DynamoDB Local: the counts the sweeper function logs and returns
(timedOut, refiled, unchanged) add up every shard's, with several conversations due in the same shard."""

from __future__ import annotations

from typing import Any

from messaging.config import settings
from messaging.domain.activity import Activity, Kind, Role, Sender
from messaging.domain.conversation import ConversationRequest, CustomerDetails, Representative, Timeouts
from messaging.domain.ids import ConversationIds
from messaging.domain.state_machine import CloseReason, Event, Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store.client import dynamodb_client
from messaging.store.keys import DUE_SHARDS
from messaging.store.lists import DynamoDBDueConversations
from messaging.store.protocol import DueConversation, Page
from messaging.usecases.activities import SendActivity
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent
from messaging.usecases.reads import GetConversation
from messaging.usecases.timeouts import SweepReport, SweepTimeouts
from messaging.wiring import conversations

TENANT = Tenant("tenant-a")
MINUTE = 60_000
TIMEOUTS = Timeouts(open_ms=MINUTE, active_ms=2 * MINUTE, waiting_ms=3 * MINUTE, wrapup_ms=4 * MINUTE)
QUIET, TALKING = DUE_SHARDS + 4, 3  # more quiet ones than shards: some shard holds two or more


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class AcceptedOnceRead:
    """The due index as the sweeper reads it, with the given conversations accepted by a representative
    just after their page was read: what the index's eventual consistency and a sweep started at the
    deadline look like together."""

    def __init__(self, due: DynamoDBDueConversations, accepted: set[str], accept: ApplyEvent) -> None:
        self._due, self._accepted, self._accept = due, accepted, accept

    def due(self, shard: int, now_ms: int, start: dict[str, Any] | None) -> Page[DueConversation]:
        page = self._due.due(shard, now_ms, start)
        for item in page.items:
            if item.conversation_id in self._accepted:
                self._accept(item.tenant, item.conversation_id, Event.ACCEPT, actor=Representative("rep-1"))
        return page

    def refile(
        self, tenant: Tenant, conversation_id: str, status: Status, due_at_ms: int, expires_at_ms: int
    ) -> bool:
        return self._due.refile(tenant, conversation_id, status, due_at_ms, expires_at_ms)


def test_a_sweep_reports_every_timeout_and_every_refiled_deadline_of_all_shards(
    local_env: dict[str, str],
) -> None:
    # Given open conversations created together, a few of them with a customer's message half a minute later
    # (which moves their deadline on without touching the due index)
    clock = Clock(now_ms())
    store = conversations()
    create = CreateConversation(store, ConversationIds(settings().id_secret), TIMEOUTS, clock=clock)
    apply = ApplyEvent(store, TIMEOUTS, clock=clock)
    send = SendActivity(store, apply, clock=clock)
    get = GetConversation(store, clock=clock)
    due = DynamoDBDueConversations(dynamodb_client(), settings().conversations_table)
    sweep = SweepTimeouts(due, apply, clock=clock)
    started = clock.now
    quiet = [
        create(TENANT, ConversationRequest(CustomerDetails(customerid=f"q{n}"))).conversation_id
        for n in range(QUIET)
    ]
    talking = [
        create(TENANT, ConversationRequest(CustomerDetails(customerid=f"t{n}"))).conversation_id
        for n in range(TALKING)
    ]
    clock.now = started + MINUTE // 2
    for conversation_id in talking:
        send(TENANT, conversation_id, Activity(Kind.MESSAGE, Sender(Role.CUSTOMER), "still there?"))
    # When the sweeper runs at the open timeout, and again once the talking ones' deadline has passed
    clock.now = started + MINUTE
    first = sweep()
    clock.now = started + MINUTE // 2 + MINUTE
    second = sweep()
    # Then the first sweep timed out every quiet one and refiled the talking ones; the second timed those out
    assert first == SweepReport(timed_out=QUIET, refiled=TALKING, unchanged=0)
    assert second == SweepReport(timed_out=TALKING, refiled=0, unchanged=0)
    for conversation_id in quiet + talking:
        stored = store.get(TENANT, conversation_id)
        assert stored is not None
        assert (stored.state.status, stored.state.close_reason) == (Status.CLOSED, CloseReason.TIMEOUT)
        assert get(TENANT, conversation_id).state.status is Status.CLOSED
    # And a third sweep finds nothing left to do
    assert sweep() == SweepReport()


def test_a_sweep_counts_as_unchanged_what_was_accepted_after_it_read_the_due_index(
    local_env: dict[str, str],
) -> None:
    # Given open conversations created together, three of which a representative accepts just before their
    # open deadline, once the sweeper has read them from the due index
    clock = Clock(now_ms())
    started = clock.now
    store = conversations()
    create = CreateConversation(store, ConversationIds(settings().id_secret), TIMEOUTS, clock=clock)
    apply = ApplyEvent(store, TIMEOUTS, clock=clock)
    accept = ApplyEvent(store, TIMEOUTS, clock=lambda: started + MINUTE - 1)
    ids = [
        create(TENANT, ConversationRequest(CustomerDetails(customerid=f"c{n}"))).conversation_id
        for n in range(QUIET)
    ]
    accepted = set(ids[:3])
    due = AcceptedOnceRead(
        DynamoDBDueConversations(dynamodb_client(), settings().conversations_table), accepted, accept
    )
    # When the sweeper runs at the open timeout
    clock.now = started + MINUTE
    report = SweepTimeouts(due, apply, clock=clock)()
    # Then it timed out the others and counted the accepted ones as unchanged, which stay active
    assert report == SweepReport(timed_out=QUIET - 3, refiled=0, unchanged=3)
    for conversation_id in ids:
        stored = store.get(TENANT, conversation_id)
        assert stored is not None
        expected = Status.ACTIVE if conversation_id in accepted else Status.CLOSED
        assert stored.state.status is expected
