"""The timeout sweeper's report on DynamoDB Local: the counts the sweeper function logs and returns
(timedOut, refiled, unchanged) add up every shard's, with several conversations due in the same shard."""

from __future__ import annotations

from messaging.config import settings
from messaging.domain.activity import Activity, Kind, Role, Sender
from messaging.domain.conversation import ConversationRequest, CustomerDetails, Timeouts
from messaging.domain.ids import ConversationIds
from messaging.domain.state_machine import CloseReason, Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store.client import dynamodb_client
from messaging.store.keys import DUE_SHARDS
from messaging.store.lists import DynamoDBDueConversations
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
