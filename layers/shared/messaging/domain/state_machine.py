"""The conversation state machine, as data: CONTRACT.md's transition table, in one place.

Every use case that changes a conversation's status (the API's events, a customer message reviving a waiting
conversation, the timeout sweeper) looks its transition up here. Nothing else spells a transition: the store
turns "take or free the customerid" into conditions (derived from which statuses hold it), the delivery turns
`emits` into webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"  # created, queued for a representative
    ACTIVE = "active"  # a representative accepted it
    WAITING = "waiting"  # set aside by the representative
    WRAPUP = "wrapup"  # ended; the representative finishes their work on it
    CLOSED = "closed"  # final


# "One active conversation per tenant + customerid" = at most one in these statuses (`isActive`).
HOLDS_CUSTOMER = frozenset({Status.OPEN, Status.ACTIVE})


class EndedBy(StrEnum):
    CUSTOMER = "customer"
    REPRESENTATIVE = "representative"


class CloseReason(StrEnum):
    CUSTOMER = "customer"
    REPRESENTATIVE = "representative"
    TIMEOUT = "timeout"


class Event(StrEnum):
    ACCEPT = "accept"
    RELEASE = "release"
    WAIT = "wait"
    RESUME = "resume"
    END = "end"
    CLOSE = "close"
    END_OF_CONVERSATION = "endOfConversation"  # the consumer's
    CUSTOMER_MESSAGE = "customerMessage"  # a customer message to a waiting conversation revives it
    TIMEOUT = "timeout"  # its state's timeout passed


REPRESENTATIVE_EVENTS = (Event.ACCEPT, Event.RELEASE, Event.WAIT, Event.RESUME, Event.END, Event.CLOSE)
# The events whose representative becomes the conversation's (it is theirs to work); a close records none.
SETS_REPRESENTATIVE = frozenset({Event.ACCEPT, Event.RESUME, Event.WAIT, Event.END})


class Effect(StrEnum):
    """What a transition does to the customer's active lock, derived from the statuses on both sides."""

    KEEP = "keep"  # held before and after
    TAKE = "take"
    FREE = "free"
    NONE = "none"  # held neither before nor after


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the state table: from a status, on an event, to a status, and what it emits."""

    source: Status
    event: Event
    target: Status
    emits: str  # the webhook event name (CONTRACT.md, "Webhook delivery")
    ended_by: EndedBy | None = None  # set when the target is wrapup
    close_reason: CloseReason | None = None  # set when the target is closed; None: who ended it (wrapup)

    @property
    def effect(self) -> Effect:
        before, after = self.source in HOLDS_CUSTOMER, self.target in HOLDS_CUSTOMER
        if before and after:
            return Effect.KEEP
        if after:
            return Effect.TAKE
        return Effect.FREE if before else Effect.NONE


def _table() -> dict[tuple[Status, Event], Transition]:
    o, a, w, u, c = Status.OPEN, Status.ACTIVE, Status.WAITING, Status.WRAPUP, Status.CLOSED
    e = Event
    rows = [
        Transition(o, e.ACCEPT, a, "ConversationAccepted"),
        Transition(a, e.RELEASE, o, "ConversationReleased"),
        Transition(a, e.WAIT, w, "ConversationWaiting"),
        Transition(w, e.RESUME, a, "ConversationResumed"),
        Transition(w, e.CUSTOMER_MESSAGE, o, "ConversationResumed"),
        Transition(a, e.END, u, "ConversationEnded", ended_by=EndedBy.REPRESENTATIVE),
        Transition(w, e.END, u, "ConversationEnded", ended_by=EndedBy.REPRESENTATIVE),
        Transition(a, e.END_OF_CONVERSATION, u, "ConversationEnded", ended_by=EndedBy.CUSTOMER),
        Transition(o, e.END_OF_CONVERSATION, c, "ConversationClosed", close_reason=CloseReason.CUSTOMER),
        Transition(w, e.END_OF_CONVERSATION, c, "ConversationClosed", close_reason=CloseReason.CUSTOMER),
        Transition(u, e.CLOSE, c, "ConversationClosed"),  # reason: who ended it
        Transition(u, e.TIMEOUT, c, "ConversationClosed"),  # the wrap-up timeout: reason, who ended it
    ]
    for source in (o, a, w):
        rows.append(
            Transition(source, e.CLOSE, c, "ConversationClosed", close_reason=CloseReason.REPRESENTATIVE)
        )
        rows.append(
            Transition(source, e.TIMEOUT, c, "ConversationTimedOut", close_reason=CloseReason.TIMEOUT)
        )
    return {(row.source, row.event): row for row in rows}


TRANSITIONS = _table()

# Repeating an event whose result already stands is a retry: 200, nothing changed (CONTRACT.md). The status
# each event leaves a conversation in; `accept`/`resume` also need the same representative, `end` a
# representative's ending (see is_retry).
_RESULTS: dict[Event, frozenset[Status]] = {
    Event.ACCEPT: frozenset({Status.ACTIVE}),
    Event.RELEASE: frozenset({Status.OPEN}),
    Event.WAIT: frozenset({Status.WAITING}),
    Event.RESUME: frozenset({Status.ACTIVE}),
    Event.END: frozenset({Status.WRAPUP}),
    Event.CLOSE: frozenset({Status.CLOSED}),
    Event.END_OF_CONVERSATION: frozenset({Status.WRAPUP, Status.CLOSED}),
}


def transition(status: Status, event: Event) -> Transition | None:
    return TRANSITIONS.get((status, event))


def is_retry(
    event: Event,
    status: Status,
    *,
    same_representative: bool,
    ended_by: EndedBy | None,
) -> bool:
    if status not in _RESULTS.get(event, frozenset()):
        return False
    if event in (Event.ACCEPT, Event.RESUME):
        return same_representative
    if event is Event.END:
        return ended_by is EndedBy.REPRESENTATIVE
    return True


def allowed_events(status: Status, events: tuple[Event, ...]) -> list[str]:
    """Of `events` (one side's), those that apply to a conversation in `status`."""
    return [event.value for event in events if (status, event) in TRANSITIONS]
