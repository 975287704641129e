"""Use case: an event changes a conversation's status, exactly as the state machine's table says.

The representative's events (accept, release, wait, resume, end, close), the consumer's endOfConversation
and the timeout sweeper all come through `ApplyEvent`. It writes blind first, assuming the status the event
most often finds (one round trip); a wrong guess comes back with the stored state (ALL_OLD) and the next
attempt uses it. Taking the customerid from a holder past its deadline closes that holder in the same
transaction; a holder still alive is a 409 naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from messaging.domain.activity import StoredMessage
from messaging.domain.conversation import ActiveLock, ConversationState, Representative, Timeouts
from messaging.domain.errors import ConversationNotFound, CustomerHasActiveConversation, InvalidTransition
from messaging.domain.state_machine import (
    REPRESENTATIVE_EVENTS,
    SETS_REPRESENTATIVE,
    CloseReason,
    Effect,
    EndedBy,
    Event,
    Status,
    allowed_events,
    is_retry,
    transition,
)
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.retry import CONVERSATION_ATTEMPTS, attempts, backoff
from messaging.store.protocol import Change, ChangeRefused, ConversationStore

# The status each event most often finds: the first, blind attempt assumes it.
_LIKELY_SOURCE = {
    Event.ACCEPT: Status.OPEN,
    Event.RELEASE: Status.ACTIVE,
    Event.WAIT: Status.ACTIVE,
    Event.RESUME: Status.WAITING,
    Event.END: Status.ACTIVE,
    Event.CLOSE: Status.WRAPUP,
    Event.END_OF_CONVERSATION: Status.OPEN,  # one round trip for the close the API always had
    Event.CUSTOMER_MESSAGE: Status.WAITING,
    Event.TIMEOUT: Status.OPEN,
}
_CONSUMER_EVENTS = (Event.END_OF_CONVERSATION,)


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """What an event left: the conversation's status and what the transition settled. `changed` is False
    for a retry (its result already stood). Fields the event did not settle and the store did not return
    (a blind transaction returns nothing) are None."""

    conversation_id: str
    status: Status
    changed: bool
    message_id: int  # the event's activity id (a retry: the conversation's latest, nothing new was recorded)
    representative: Representative | None = None
    ended_by: EndedBy | None = None
    closed_at_ms: int | None = None
    close_reason: CloseReason | None = None
    expires_at_ms: int | None = None

    @classmethod
    def of(cls, state: ConversationState, *, changed: bool, message_id: int) -> EventOutcome:
        return cls(
            state.conversation_id,
            state.status,
            changed,
            message_id,
            state.representative,
            state.ended_by,
            state.closed_at_ms,
            state.close_reason,
            state.expires_at_ms,
        )


class ApplyEvent:
    def __init__(
        self, store: ConversationStore, timeouts: Timeouts, *, clock: Callable[[], int] = now_ms
    ) -> None:
        self._store = store
        self._timeouts = timeouts
        self._clock = clock

    def __call__(
        self,
        tenant: Tenant,
        conversation_id: str,
        event: Event,
        *,
        actor: Representative | None = None,
        channel_id: str | None = None,
        assumed: Status | None = None,
        message: Callable[[int], StoredMessage] | None = None,
    ) -> EventOutcome:
        """`assumed`: the status the caller believes the conversation is in (else the event's likeliest).
        `message`: the customer's message that comes with the event (a revival), given its messageId."""
        state: ConversationState | None = None
        replaced: ActiveLock | None = None
        for attempt in attempts(event.value, CONVERSATION_ATTEMPTS):
            now = self._clock()
            source = _source(state, event, actor, assumed, now)
            if isinstance(source, EventOutcome):
                return source
            step = transition(source, event)
            if step is None:
                side = REPRESENTATIVE_EVENTS if event in REPRESENTATIVE_EVENTS else _CONSUMER_EVENTS
                raise InvalidTransition(source.value, event.value, allowed_events(source, side))
            change = Change(
                tenant=tenant,
                conversation_id=conversation_id,
                transition=step,
                now_ms=now,
                message_id=max(now, state.last_message_id + 1) if state is not None else now,
                deadline_ms=self._timeouts.deadline(step.target, now),
                actor=actor,
                channel_id=channel_id,
                replaced_lock=replaced if step.effect is Effect.TAKE else None,
            )
            if message is not None:
                change = replace(change, message=message(change.message_id))
            try:
                stored = self._store.apply(change)
            except ChangeRefused as refused:
                if refused.conflict:
                    backoff(attempt)
                else:
                    state, replaced = _learn(conversation_id, refused, state, now)
                    if state is not None and state.status is source:
                        # Only the messageId was taken, by another writer: let the queue drain.
                        backoff(attempt)
                continue
            if stored is not None:
                return EventOutcome.of(stored, changed=True, message_id=change.message_id)
            return _settled(state, change)
        raise AssertionError("unreachable: attempts() raises when exhausted")


def _source(
    state: ConversationState | None,
    event: Event,
    actor: Representative | None,
    assumed: Status | None,
    now: int,
) -> Status | EventOutcome:
    """The status the next attempt starts from, or the outcome when there is nothing to change."""
    if state is None:
        return assumed or _LIKELY_SOURCE[event]
    if event is Event.TIMEOUT:
        # The stored status times out, once its real deadline has passed (messages move it on).
        if state.status is Status.CLOSED or not state.expired(now):
            return EventOutcome.of(state, changed=False, message_id=state.last_message_id)
        return state.status
    seen = state.as_seen_at(now)
    if is_retry(event, seen.status, same_representative=_same(seen, actor), ended_by=seen.ended_by):
        # Nothing new is recorded; the id is the conversation's latest activity's.
        return EventOutcome.of(seen, changed=False, message_id=seen.last_message_id)
    return seen.status


def _learn(
    conversation_id: str, refused: ChangeRefused, state: ConversationState | None, now: int
) -> tuple[ConversationState | None, ActiveLock | None]:
    """What a refused change teaches the next attempt: the stored state, or the lock to take over."""
    if refused.missing:
        raise ConversationNotFound(conversation_id)
    if refused.current is not None:
        return refused.current, None
    # The state was as assumed; taking the customerid was refused.
    if refused.holder is not None and refused.holder.is_active(now):
        # We tried to take over a lock past its (lower-bound) deadline, but messages kept its holder alive.
        raise CustomerHasActiveConversation(refused.holder.conversation_id)
    if refused.lock is not None and refused.lock.is_active(now):
        raise CustomerHasActiveConversation(refused.lock.conversation_id)
    # The lock now held past its (lower-bound) deadline: taken over next, its holder closed (timeout) in the
    # same transaction if that deadline has really passed. No lock (its holder timed out or ended
    # meanwhile): the customerid is free, taken next.
    return state, refused.lock


def _same(state: ConversationState, actor: Representative | None) -> bool:
    return actor is not None and state.representative is not None and state.representative.id == actor.id


def _settled(before: ConversationState | None, change: Change) -> EventOutcome:
    """What a blind transaction settled, from the transition, its actor and what was known before."""
    t = change.transition
    known = before.representative if before is not None else None
    if t.target is Status.OPEN:
        representative = None  # back in the queue
    elif t.event in SETS_REPRESENTATIVE and change.actor is not None:
        representative = change.actor
    else:
        representative = known
    close_reason = t.close_reason
    if t.target is Status.CLOSED and close_reason is None and before is not None and before.ended_by:
        close_reason = CloseReason(before.ended_by.value)
    return EventOutcome(
        change.conversation_id,
        t.target,
        changed=True,
        message_id=change.message_id,
        representative=representative,
        ended_by=t.ended_by or (before.ended_by if before is not None else None),
        closed_at_ms=change.now_ms if t.target is Status.CLOSED else None,
        close_reason=close_reason,
        expires_at_ms=change.deadline_ms,
    )
