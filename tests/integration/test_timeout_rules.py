"""Timeout rules on DynamoDB Local (CONTRACT.md): reads and creates see a deadline at once; the sweeper
stores the timeout of every state through the state machine; closed conversations are purged RetentionDays
after they close, by TTL and the purge consumer, their details and transcript with them."""

from __future__ import annotations

from typing import Any

import pytest

from messaging.config import settings
from messaging.domain.activity import Activity, Kind, Role, Sender
from messaging.domain.conversation import (
    ConversationRequest,
    CustomerDetails,
    Representative,
    StartMessage,
    Timeouts,
)
from messaging.domain.ids import ConversationIds
from messaging.domain.state_machine import CloseReason, EndedBy, Event, Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store import keys
from messaging.store.client import dynamodb_client
from messaging.store.lists import DynamoDBDueConversations
from messaging.store.outbox import outgoing_of
from messaging.usecases.activities import SendActivity
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent
from messaging.usecases.reads import GetConversation
from messaging.usecases.timeouts import SweepTimeouts
from messaging.wiring import conversations
from tests.harness import environment, invoke_raw, load_handler
from tests.integration.invariants import broken_invariants, read_storage
from tests.integration.streams import TTL_IDENTITY, stream_records

TENANT = Tenant("tenant-a")
MINUTE = 60_000
TIMEOUTS = Timeouts(open_ms=MINUTE, active_ms=2 * MINUTE, waiting_ms=3 * MINUTE, wrapup_ms=4 * MINUTE)
REP = Representative("rep-1", "Ana")


class Clock:
    """A time source the test moves: timeouts are about time, not about waiting for it."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class World:
    """The use cases on one clock, with their real DynamoDB stores."""

    def __init__(self, clock: Clock, timeouts: Timeouts = TIMEOUTS) -> None:
        store = conversations()
        self.clock = clock
        self.create = CreateConversation(store, ConversationIds(settings().id_secret), timeouts, clock=clock)
        self.apply = ApplyEvent(store, timeouts, clock=clock)
        self.send = SendActivity(store, self.apply, clock=clock)
        self.get = GetConversation(store, clock=clock)
        self.sweep = SweepTimeouts(
            DynamoDBDueConversations(dynamodb_client(), settings().conversations_table),
            self.apply,
            clock=clock,
        )

    def start(self, customerid: str = "c1") -> str:
        return self.create(
            TENANT, ConversationRequest(CustomerDetails(customerid=customerid))
        ).conversation_id


def _into(world: World, conversation_id: str, status: Status, ended_by: EndedBy = EndedBy.CUSTOMER) -> None:
    """Brings an open conversation into `status` by the events a representative (or customer) would send."""
    path = {
        Status.OPEN: [],
        Status.ACTIVE: [Event.ACCEPT],
        Status.WAITING: [Event.ACCEPT, Event.WAIT],
        Status.WRAPUP: [
            Event.ACCEPT,
            Event.END if ended_by is EndedBy.REPRESENTATIVE else Event.END_OF_CONVERSATION,
        ],
    }[status]
    for event in path:
        world.apply(TENANT, conversation_id, event, actor=REP)


def test_a_read_shows_the_timeout_at_the_deadline_before_the_sweeper_stores_it(
    local_env: dict[str, str],
) -> None:
    # Given an open conversation with a one-minute timeout
    world = World(Clock(now_ms()))
    conversation_id = world.start()
    # When it is read 1 ms before, and exactly at, its deadline
    world.clock.now += MINUTE - 1
    before = world.get(TENANT, conversation_id).state
    world.clock.now += 1
    after = world.get(TENANT, conversation_id).state
    # Then it is open, then closed (timeout) at its deadline; storage still says open until the sweeper runs
    assert before.status is Status.OPEN
    assert (after.status, after.close_reason, after.closed_at_ms) == (
        Status.CLOSED,
        CloseReason.TIMEOUT,
        before.expires_at_ms,
    )
    stored = conversations().get(TENANT, conversation_id)
    assert stored is not None and stored.state.status is Status.OPEN


def test_a_create_at_the_deadline_starts_a_new_conversation_and_closes_the_old_one(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given a conversation for c1 with a one-minute open timeout
    world = World(Clock(now_ms()))
    first = world.start()
    # When c1 comes back one millisecond before, and then at, the deadline
    world.clock.now += MINUTE - 1
    before = world.create(TENANT, ConversationRequest(CustomerDetails(customerid="c1")))
    world.clock.now += 1
    after = world.create(TENANT, ConversationRequest(CustomerDetails(customerid="c1")))
    # Then before the deadline it is the same conversation; at it, a new one starts
    assert (before.conversation_id, before.is_new) == (first, False)
    assert after.is_new and after.conversation_id != first
    # And the old one is stored closed (timeout) at its deadline, in the same transaction
    old = conversations().get(TENANT, first)
    assert old is not None
    assert (old.state.status, old.state.close_reason) == (Status.CLOSED, CloseReason.TIMEOUT)
    assert old.state.closed_at_ms == old.state.expires_at_ms
    assert broken_invariants(read_storage(dynamodb_endpoint, local_env)) == []


def test_a_create_after_the_lock_s_deadline_answers_the_holder_a_message_kept_alive(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given a conversation for c1 with a one-minute open timeout, and the customer's message half a minute
    # later: the conversation's deadline moves on, its lock's stays (a lower bound)
    world = World(Clock(now_ms()))
    first = world.start()
    world.clock.now += MINUTE // 2
    hello = Activity(Kind.MESSAGE, Sender(Role.CUSTOMER, "c1", None), text="Hello?")
    said = world.send(TENANT, first, hello)
    # When c1 comes back after the lock's deadline, before the conversation's
    world.clock.now = said.message_id + MINUTE - 1
    again = world.create(TENANT, ConversationRequest(CustomerDetails(customerid="c1")))
    # Then it is the same conversation, still open: the takeover found its holder alive
    assert (again.conversation_id, again.is_new) == (first, False)
    held = conversations().get(TENANT, first)
    assert held is not None and held.state.status is Status.OPEN
    assert broken_invariants(read_storage(dynamodb_endpoint, local_env)) == []


@pytest.mark.parametrize(
    ("status", "ended_by", "reason", "timeout_ms"),
    [
        (Status.OPEN, None, CloseReason.TIMEOUT, TIMEOUTS.open_ms),
        (Status.ACTIVE, None, CloseReason.TIMEOUT, TIMEOUTS.active_ms),
        (Status.WAITING, None, CloseReason.TIMEOUT, TIMEOUTS.waiting_ms),
        (Status.WRAPUP, EndedBy.CUSTOMER, CloseReason.CUSTOMER, TIMEOUTS.wrapup_ms),
        (Status.WRAPUP, EndedBy.REPRESENTATIVE, CloseReason.REPRESENTATIVE, TIMEOUTS.wrapup_ms),
    ],
    ids=["open", "active", "waiting", "wrapup ended by the customer", "wrapup ended by a representative"],
)
def test_the_sweeper_stores_each_state_s_timeout_from_its_deadline_on(
    dynamodb_endpoint: str,
    local_env: dict[str, str],
    status: Status,
    ended_by: EndedBy | None,
    reason: CloseReason,
    timeout_ms: int,
) -> None:
    # Given a conversation brought into `status`, whose state's timeout counts from entering it
    world = World(Clock(now_ms()))
    conversation_id = world.start()
    world.clock.now += 1_000
    _into(world, conversation_id, status, ended_by or EndedBy.CUSTOMER)
    entered = world.get(TENANT, conversation_id).state
    assert entered.status is status and entered.expires_at_ms == entered.entered_at_ms + timeout_ms
    # When the sweeper runs 1 ms before the deadline, nothing happens; at the deadline, it times out
    world.clock.now = entered.expires_at_ms - 1
    assert world.sweep().timed_out == 0
    world.clock.now += 1
    assert world.sweep().timed_out == 1
    # Then storage says closed, with the reason of the table (wrapup: who ended it), at the deadline
    stored = conversations().get(TENANT, conversation_id)
    assert stored is not None
    assert (stored.state.status, stored.state.close_reason) == (Status.CLOSED, reason)
    assert stored.state.closed_at_ms == entered.expires_at_ms
    # And a second sweep changes nothing; the customer is free again
    assert world.sweep().timed_out == 0
    assert world.create(TENANT, ConversationRequest(CustomerDetails(customerid="c1"))).is_new
    assert broken_invariants(read_storage(dynamodb_endpoint, local_env)) == []


def test_a_sweeper_running_late_closes_the_conversation_at_its_deadline(local_env: dict[str, str]) -> None:
    # Given an open conversation whose deadline passed a minute before the sweeper came
    world = World(Clock(now_ms()))
    conversation_id = world.start("late")
    deadline = world.get(TENANT, conversation_id).state.expires_at_ms
    assert deadline is not None
    world.clock.now = deadline + MINUTE
    # When the sweeper times it out
    assert world.sweep().timed_out == 1
    # Then storage says it closed at its deadline, as every read showed it since, not at the sweeper's time
    stored = conversations().get(TENANT, conversation_id)
    assert stored is not None
    assert (stored.state.close_reason, stored.state.closed_at_ms) == (CloseReason.TIMEOUT, deadline)


@pytest.mark.parametrize(
    ("status", "timeout_ms"),
    [(Status.ACTIVE, TIMEOUTS.active_ms), (Status.WAITING, TIMEOUTS.waiting_ms)],
    ids=["active", "waiting"],
)
def test_a_message_after_a_transition_moves_the_deadline_on_by_the_new_state_s_timeout(
    local_env: dict[str, str], status: Status, timeout_ms: int
) -> None:
    # Given a conversation brought into `status` (its timeout differs from open's)
    world = World(Clock(now_ms()))
    conversation_id = world.start("moved")
    _into(world, conversation_id, status)
    # When the representative says something half a minute later
    world.clock.now += 30_000
    reply = Activity(Kind.MESSAGE, Sender(Role.REPRESENTATIVE, REP.id, REP.name), text="Still there?")
    said = world.send(TENANT, conversation_id, reply)
    # Then the deadline is that state's timeout from the message on
    state = world.get(TENANT, conversation_id).state
    assert (state.status, state.expires_at_ms) == (status, said.message_id + timeout_ms)


def test_a_sweeper_finds_a_conversation_whose_new_state_times_out_sooner_than_its_last(
    local_env: dict[str, str],
) -> None:
    # Given an open conversation with a long timeout, accepted into a state with a short one
    long_open = Timeouts(open_ms=60 * MINUTE, active_ms=MINUTE, waiting_ms=MINUTE, wrapup_ms=MINUTE)
    world = World(Clock(now_ms()), long_open)
    conversation_id = world.start("sooner")
    world.apply(TENANT, conversation_id, Event.ACCEPT, actor=REP)
    active = world.get(TENANT, conversation_id).state
    assert active.expires_at_ms is not None
    # When the sweeper runs at the active state's deadline
    world.clock.now = active.expires_at_ms
    # Then it times the conversation out there, not at the open state's later deadline
    assert world.sweep().timed_out == 1
    stored = conversations().get(TENANT, conversation_id)
    assert stored is not None
    assert (stored.state.status, stored.state.closed_at_ms) == (Status.CLOSED, active.expires_at_ms)


def test_the_sweeper_files_again_a_conversation_whose_deadline_moved_on(local_env: dict[str, str]) -> None:
    # Given an open conversation whose real deadline moved past its indexed one (as a message moves it)
    world = World(Clock(now_ms()))
    conversation_id = world.start()
    table, client = local_env["ConversationsTable"], dynamodb_client()
    key = {"pk": {"S": keys.conversation_key(TENANT, conversation_id)}, "sk": {"S": keys.STATE}}
    indexed = int(client.get_item(TableName=table, Key=key)["Item"]["dueAt"]["N"])
    moved = indexed + MINUTE
    client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET expiresAt = :moved",
        ExpressionAttributeValues={":moved": {"N": str(moved)}},
    )
    # When the sweeper finds it at its indexed deadline
    world.clock.now = indexed
    report = world.sweep()
    # Then it is not timed out but filed again under its real deadline, and timed out there
    assert (report.timed_out, report.refiled) == (0, 1)
    assert int(client.get_item(TableName=table, Key=key)["Item"]["dueAt"]["N"]) == moved
    world.clock.now = moved
    assert world.sweep().timed_out == 1


def test_filing_a_conversation_again_delivers_nothing_again(local_env: dict[str, str]) -> None:
    # Given an active conversation whose last activity is its representative's message (delivered through the
    # state's outbox), which moved its deadline past the indexed one
    world = World(Clock(now_ms()))
    conversation_id = world.start()
    _into(world, conversation_id, Status.ACTIVE)
    world.clock.now += MINUTE
    reply = Activity(Kind.MESSAGE, Sender(Role.REPRESENTATIVE, REP.id, REP.name), text="How can I help?")
    sent = world.send(TENANT, conversation_id, reply)
    table, client = local_env["ConversationsTable"], dynamodb_client()
    key = {"pk": {"S": keys.conversation_key(TENANT, conversation_id)}, "sk": {"S": keys.STATE}}
    state = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    delivered = outgoing_of(state)
    assert delivered is not None and delivered.message_id == sent.message_id

    # When the sweeper finds it at its indexed deadline and files it again
    world.clock.now = int(state["dueAt"]["N"])
    assert world.sweep().refiled == 1

    # Then the state's new image (what the stream carries to dispatch) asks for no delivery: the message is
    # not sent to the business a second time
    refiled = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert int(refiled["dueAt"]["N"]) == int(state["expiresAt"]["N"])
    assert outgoing_of(refiled) is None


@pytest.mark.parametrize("change", ["accepted", "filed again"])
def test_filing_again_a_conversation_that_changed_meanwhile_changes_nothing_and_says_so(
    local_env: dict[str, str], change: str
) -> None:
    # Given an open conversation the sweeper found at its indexed deadline, which then changed before the
    # sweeper filed it again: a representative accepted it (its transition filed it anew), or another sweep
    # already filed it again under a later deadline
    world = World(Clock(now_ms()))
    conversation_id = world.start()
    table = local_env["ConversationsTable"]
    found = _state(table, conversation_id)
    indexed, moved = int(found["dueAt"]["N"]), int(found["dueAt"]["N"]) + MINUTE
    due = DynamoDBDueConversations(dynamodb_client(), table)
    if change == "accepted":
        _into(world, conversation_id, Status.ACTIVE)
    else:
        assert due.refile(TENANT, conversation_id, Status.OPEN, indexed, moved)
    changed = _state(table, conversation_id)
    # When the sweeper files it again as it found it
    refiled = due.refile(TENANT, conversation_id, Status.OPEN, indexed, moved + MINUTE)
    # Then it is told the conversation changed, and the conversation is as the change left it
    assert refiled is False
    assert _state(table, conversation_id) == changed


def _state(table: str, conversation_id: str) -> dict[str, Any]:
    key = {"pk": {"S": keys.conversation_key(TENANT, conversation_id)}, "sk": {"S": keys.STATE}}
    item: dict[str, Any] = dynamodb_client().get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    return item


@pytest.mark.parametrize("retention_days", [90, 0])
def test_a_closed_conversation_is_purged_retention_days_after_it_closed(
    local_env: dict[str, str], retention_days: int
) -> None:
    with environment({"RETENTION_DAYS": str(retention_days)}):
        world = World(Clock(now_ms()))
        conversation_id = world.start()
        opened = _state(local_env["ConversationsTable"], conversation_id)
        ended = world.apply(TENANT, conversation_id, Event.END_OF_CONVERSATION)
        closed = _state(local_env["ConversationsTable"], conversation_id)
    # A live conversation has no purge time; a closed one is purged RetentionDays after it closed (0: never)
    assert "ttl" not in opened
    assert ended.closed_at_ms is not None
    if retention_days == 0:
        assert "ttl" not in closed
    else:
        assert int(closed["ttl"]["N"]) == -(-ended.closed_at_ms // 1000) + retention_days * 86_400


def _is_state_removal(record: dict[str, Any]) -> bool:
    return bool(record["eventName"] == "REMOVE" and record["dynamodb"]["Keys"]["sk"]["S"] == keys.STATE)


def test_when_ttl_purges_a_closed_conversation_its_details_and_transcript_go_with_it(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given a closed conversation with a start message, whose state TTL has just deleted. DynamoDB Local runs
    # no TTL on a table with a global secondary index (measured: an item whose ttl passed is still there
    # after 90 s, where a table without one loses it in ~10 s), so the test deletes the state itself and the
    # stream's REMOVE record is presented with TTL's identity, as real DynamoDB sends it.
    world = World(Clock(now_ms()))
    request = ConversationRequest(CustomerDetails(customerid="c-purge"), start_message=StartMessage("Hello"))
    created = world.create(TENANT, request)
    world.apply(TENANT, created.conversation_id, Event.END_OF_CONVERSATION)
    table, client = local_env["ConversationsTable"], dynamodb_client()
    key = {"pk": {"S": keys.conversation_key(TENANT, created.conversation_id)}, "sk": {"S": keys.STATE}}
    client.delete_item(TableName=table, Key=key)
    records = stream_records(dynamodb_endpoint, table, _is_state_removal)
    removals = [{**record, "userIdentity": TTL_IDENTITY} for record in records if _is_state_removal(record)]
    # When the stream delivers the removal (with the other records of the table) to the purge consumer
    consumer = load_handler("purge_conversations")
    others = [record for record in records if not _is_state_removal(record)]
    assert invoke_raw(consumer, {"Records": [*others, *removals]}) == {"batchItemFailures": []}
    # Then nothing is left of the conversation; a redelivered batch changes nothing
    left = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": key["pk"]},
        ConsistentRead=True,
    )["Items"]
    assert left == []
    assert invoke_raw(consumer, {"Records": removals}) == {"batchItemFailures": []}


def test_our_own_deletes_never_purge_a_conversation(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given a live conversation whose (only) deletable item, its lock, goes when it ends
    world = World(Clock(now_ms()))
    conversation_id = world.start("c-kept")
    world.apply(TENANT, conversation_id, Event.END_OF_CONVERSATION)
    table = local_env["ConversationsTable"]
    records = stream_records(dynamodb_endpoint, table, lambda record: record["eventName"] == "REMOVE")
    # When the consumer sees our own REMOVE records (no TTL identity)
    assert invoke_raw(load_handler("purge_conversations"), {"Records": records}) == {"batchItemFailures": []}
    # Then the conversation is intact
    assert conversations().get(TENANT, conversation_id) is not None
