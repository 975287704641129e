"""A custom event merges its variables into the conversation's context, within the context's limits
(CONTRACT.md: at most 100 variables, at most 340 KB as stored, counted in UTF-8): at the limits it is
accepted, one past them refused with the rule in the detail, naming channelData.customEventValue, and
nothing changes. The use case on moto, on a clock the test moves."""

from __future__ import annotations

from typing import Any, cast

import pytest

from messaging import retry
from messaging.config import settings
from messaging.domain.activity import Activity, Kind, Role, Sender
from messaging.domain.conversation import ContextVariable, ConversationRequest, Timeouts, context_json
from messaging.domain.errors import ConversationNotFound, InvalidRequest
from messaging.domain.ids import ConversationIds
from messaging.domain.tenant import Tenant
from messaging.limits import CONTEXT_MAX_BYTES, MAX_CONTEXT_ENTRIES
from messaging.store.protocol import ActivityWrite, ChangeRefused, ConversationStore
from messaging.usecases.activities import ActivityOutcome, ActivityStore, SendActivity
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent
from messaging.usecases.reads import GetContext
from messaging.wiring import conversations

TENANT = Tenant("tenant-a")
MINUTE = 60_000
TIMEOUTS = Timeouts(open_ms=MINUTE, active_ms=2 * MINUTE, waiting_ms=3 * MINUTE, wrapup_ms=4 * MINUTE)
T0 = 1_800_000_000_000
FIELD = ("channelData.customEventValue",)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


class World:
    def __init__(self) -> None:
        store = conversations()
        self.clock = Clock()
        self.create = CreateConversation(
            store, ConversationIds(settings().id_secret), TIMEOUTS, clock=self.clock
        )
        self.send = SendActivity(store, ApplyEvent(store, TIMEOUTS, clock=self.clock), clock=self.clock)
        self.context = GetContext(store)

    def start(self, context: dict[str, ContextVariable]) -> str:
        return self.create(TENANT, ConversationRequest(context=context)).conversation_id

    def event(self, conversation_id: str, updates: dict[str, ContextVariable]) -> ActivityOutcome:
        self.clock.now += 1
        activity = Activity(Kind.EVENT, Sender(Role.CUSTOMER), event_name="context", context=updates)
        return self.send(TENANT, conversation_id, activity)


def numbered(count: int) -> dict[str, ContextVariable]:
    return {f"k{n}": ContextVariable(n) for n in range(count)}


def test_an_event_may_fill_the_context_to_100_variables_and_change_them_after(
    moto_tables: dict[str, str],
) -> None:
    world = World()
    conversation_id = world.start(numbered(MAX_CONTEXT_ENTRIES - 1))
    # The 100th variable, then a change to one of them: each accepted, with the event's messageId
    assert world.event(
        conversation_id, {"new": ContextVariable("v", is_displayable=True)}
    ) == ActivityOutcome(T0 + 1)
    assert world.event(conversation_id, {"k0": ContextVariable("changed")}) == ActivityOutcome(T0 + 2)
    assert world.context(TENANT, conversation_id) == {
        **numbered(MAX_CONTEXT_ENTRIES - 1),
        "new": ContextVariable("v", is_displayable=True),
        "k0": ContextVariable("changed"),
    }


def test_an_event_that_would_bring_the_context_past_100_variables_is_refused_saying_so(
    moto_tables: dict[str, str],
) -> None:
    world = World()
    conversation_id = world.start(numbered(MAX_CONTEXT_ENTRIES - 1))
    with pytest.raises(InvalidRequest) as refused:
        world.event(conversation_id, {"new1": ContextVariable(1), "new2": ContextVariable(2)})
    assert (refused.value.code, refused.value.message, refused.value.fields) == (
        "validation_failed",
        "the context would hold 101 variables; at most 100 in all",
        FIELD,
    )
    assert world.context(TENANT, conversation_id) == numbered(MAX_CONTEXT_ENTRIES - 1)


def sized(total_bytes: int) -> dict[str, ContextVariable]:
    """A context whose stored form is exactly `total_bytes` long in UTF-8 (some two-byte characters in it)."""
    context = {f"k{n}": ContextVariable("x" * 3_700) for n in range(90)}
    context["accents"] = ContextVariable("é" * 100)
    missing = total_bytes - len(context_json({**context, "last": ContextVariable("")}).encode("utf-8"))
    context["last"] = ContextVariable("é" * (missing // 2) + "x" * (missing % 2))
    assert len(context_json(context).encode("utf-8")) == total_bytes
    return context


@pytest.mark.parametrize("past", [0, 1])
def test_the_stored_context_may_reach_340_kb_and_not_one_byte_more(
    moto_tables: dict[str, str], past: int
) -> None:
    # Given a conversation with one variable, and an event whose variables bring its context exactly to the
    # limit (or one byte past): in one event, as moto refuses to replace a large attribute by another
    world = World()
    full = sized(CONTEXT_MAX_BYTES + past)
    first = {"k0": full["k0"]}
    update = {name: variable for name, variable in full.items() if name != "k0"}
    conversation_id = world.start(first)
    # When the event comes
    if not past:
        assert world.event(conversation_id, update) == ActivityOutcome(T0 + 1)
        assert world.context(TENANT, conversation_id) == full
        return
    with pytest.raises(InvalidRequest) as refused:
        world.event(conversation_id, update)
    # Then one byte past is refused, naming the limit, and the context is as it was
    assert (refused.value.code, refused.value.message, refused.value.fields) == (
        "validation_failed",
        f"the context would exceed {CONTEXT_MAX_BYTES} bytes in all",
        FIELD,
    )
    assert world.context(TENANT, conversation_id) == first


def test_an_event_to_an_unknown_conversation_is_not_found(moto_tables: dict[str, str]) -> None:
    world = World()
    known = world.start({})
    unknown = ConversationIds(settings().id_secret).new(TENANT, None)
    with pytest.raises(ConversationNotFound):
        world.event(unknown, {"k": ContextVariable(1)})
    with pytest.raises(ConversationNotFound):
        world.send(Tenant("tenant-b"), known, Activity(Kind.EVENT, Sender(Role.CUSTOMER), context={}))


def test_two_events_in_the_same_millisecond_get_consecutive_message_ids(moto_tables: dict[str, str]) -> None:
    # Given a conversation and an event at T0 + 1
    world = World()
    conversation_id = world.start({})
    assert world.event(conversation_id, {"a": ContextVariable(1)}) == ActivityOutcome(T0 + 1)
    # When a second event comes in the same millisecond
    world.clock.now -= 1  # world.event moves the clock 1 ms on: back to the first event's millisecond
    outcome = world.event(conversation_id, {"b": ContextVariable(2)})
    # Then it takes the next messageId (the store refused the first id; the use case learned the last one)
    assert outcome == ActivityOutcome(T0 + 2)
    assert world.context(TENANT, conversation_id) == {"a": ContextVariable(1), "b": ContextVariable(2)}


class Contended:
    """The conversation store, its context write losing to another event's `losses` times first (a conflict:
    DynamoDB cancelled the transaction for a write in the way)."""

    def __init__(self, store: ActivityStore, losses: int) -> None:
        self._store, self.losses = store, losses

    def record_context(self, write: ActivityWrite, context: dict[str, ContextVariable], version: int) -> None:
        if self.losses:
            self.losses -= 1
            raise ChangeRefused(conflict=True)
        self._store.record_context(write, context, version)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_an_event_keeps_trying_a_contended_context_write_past_the_default_attempts(
    moto_tables: dict[str, str],
) -> None:
    # Given a conversation whose context write loses to other writers more times than a plain operation
    # retries (retry.MAX_ATTEMPTS), but fewer than a conversation's operations do (CONVERSATION_ATTEMPTS)
    world = World()
    conversation_id = world.start({})
    contended = Contended(conversations(), retry.MAX_ATTEMPTS + 1)
    store = cast(ConversationStore, contended)
    send = SendActivity(cast(ActivityStore, contended), ApplyEvent(store, TIMEOUTS), clock=world.clock)
    # When an event is sent
    world.clock.now += 1
    updates = {"a": ContextVariable(1)}
    activity = Activity(Kind.EVENT, Sender(Role.CUSTOMER), event_name="context", context=updates)
    outcome = send(TENANT, conversation_id, activity)
    # Then it lands after the losses
    assert (outcome, contended.losses) == (ActivityOutcome(T0 + 1), 0)
    assert world.context(TENANT, conversation_id) == {"a": ContextVariable(1)}
