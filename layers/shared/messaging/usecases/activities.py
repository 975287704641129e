"""Use case: an activity in a conversation — a message, typing, or a custom event updating the context.

Open, active and waiting conversations take activities; wrapup and closed answer 409 conversation_ended.
A customer's message to a waiting conversation revives it (waiting → open, taking the customerid back),
through the state machine, in the same transaction as the message. Every activity takes the next messageId:
`max(now, last + 1)`, checked by the write's condition, so ids are unique and increasing even for activities
in one millisecond; the first attempt writes blind (`now`), a refusal returns the stored state to learn from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from messaging.domain.activity import Activity, Kind, Role, StoredMessage
from messaging.domain.conversation import (
    ContextVariable,
    ConversationDetails,
    ConversationState,
    context_json,
)
from messaging.domain.errors import ConversationEnded, ConversationNotFound, InvalidRequest, InvalidTransition
from messaging.domain.state_machine import Event, Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.limits import CONTEXT_MAX_BYTES, MAX_CONTEXT_ENTRIES
from messaging.retry import CONVERSATION_ATTEMPTS, attempts, backoff
from messaging.store.protocol import ActivityWrite, ChangeRefused
from messaging.usecases.events import ApplyEvent

TAKES_ACTIVITIES = frozenset({Status.OPEN, Status.ACTIVE, Status.WAITING})
# A customer's message goes in directly only while the conversation holds the customerid; to a waiting one
# it is a transition (the revival).
_CUSTOMER_MESSAGE_DIRECTLY = frozenset({Status.OPEN, Status.ACTIVE})


class ActivityStore(Protocol):
    def record(self, write: ActivityWrite) -> None: ...

    def details(self, tenant: Tenant, conversation_id: str) -> tuple[ConversationDetails, int] | None: ...

    def record_context(
        self, write: ActivityWrite, context: dict[str, ContextVariable], version: int
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class ActivityOutcome:
    """What sending an activity came to: its messageId, and whether it revived the conversation."""

    message_id: int
    revived: bool = False  # a customer's message brought a waiting conversation back to the queue


class SendActivity:
    def __init__(
        self, store: ActivityStore, apply_event: ApplyEvent, *, clock: Callable[[], int] = now_ms
    ) -> None:
        self._store = store
        self._apply_event = apply_event
        self._clock = clock

    def __call__(self, tenant: Tenant, conversation_id: str, activity: Activity) -> ActivityOutcome:
        if activity.kind is Kind.EVENT:
            return self._custom_event(tenant, conversation_id, activity)
        customer_message = activity.kind is Kind.MESSAGE and activity.sender.role is Role.CUSTOMER
        accepted = _CUSTOMER_MESSAGE_DIRECTLY if customer_message else TAKES_ACTIVITIES
        state: ConversationState | None = None
        for attempt in attempts(activity.kind.value, CONVERSATION_ATTEMPTS):
            now = self._clock()
            if state is not None:
                status = _accepting(state, now)
                if customer_message and status is Status.WAITING:
                    return self._revive(tenant, conversation_id, activity)
            message_id = _next_id(state, now)
            write = ActivityWrite(
                tenant=tenant,
                conversation_id=conversation_id,
                kind=activity.kind,
                now_ms=now,
                message_id=message_id,
                accepted_in=accepted,
                message=_stored(activity, message_id) if activity.kind is Kind.MESSAGE else None,
                delivered=activity.delivered,
            )
            try:
                self._store.record(write)
            except ChangeRefused as refused:
                state = _learn(conversation_id, refused, state, attempt, message_id)
                continue
            return ActivityOutcome(message_id)
        raise AssertionError("unreachable: attempts() raises when exhausted")

    def _revive(self, tenant: Tenant, conversation_id: str, activity: Activity) -> ActivityOutcome:
        try:
            outcome = self._apply_event(
                tenant,
                conversation_id,
                Event.CUSTOMER_MESSAGE,
                assumed=Status.WAITING,
                message=lambda message_id: _stored(activity, message_id),
            )
        except InvalidTransition:
            # It left waiting before the revival (resumed, or revived by another message): nothing was
            # written, and a message is no transition of the state it is in now.
            return self(tenant, conversation_id, activity)
        if outcome.status is not Status.OPEN or not outcome.changed:
            # Between our read and the revival the conversation changed: it accepts the message directly now.
            return self(tenant, conversation_id, activity)
        return ActivityOutcome(outcome.message_id, revived=True)

    def _custom_event(self, tenant: Tenant, conversation_id: str, activity: Activity) -> ActivityOutcome:
        state: ConversationState | None = None
        for attempt in attempts("event", CONVERSATION_ATTEMPTS):
            found = self._store.details(tenant, conversation_id)
            if found is None:
                raise ConversationNotFound(conversation_id)
            details, version = found
            now = self._clock()
            if state is not None:
                _accepting(state, now)
            context = _merged(details.context, activity.context)
            message_id = _next_id(state, now)
            write = ActivityWrite(tenant, conversation_id, Kind.EVENT, now, message_id, TAKES_ACTIVITIES)
            try:
                self._store.record_context(write, context, version)
            except ChangeRefused as refused:
                # A conflict is also another event's context landing first: read and merge again.
                state = _learn(conversation_id, refused, state, attempt, message_id)
                continue
            return ActivityOutcome(message_id)
        raise AssertionError("unreachable: attempts() raises when exhausted")


def _accepting(state: ConversationState, now: int) -> Status:
    status = state.as_seen_at(now).status
    if status not in TAKES_ACTIVITIES:
        raise ConversationEnded(status.value)
    return status


def _next_id(state: ConversationState | None, now: int) -> int:
    return now if state is None else max(now, state.last_message_id + 1)


def _learn(
    conversation_id: str, refused: ChangeRefused, state: ConversationState | None, attempt: int, tried: int
) -> ConversationState | None:
    if refused.conflict:
        backoff(attempt)
        return state
    if refused.missing:
        raise ConversationNotFound(conversation_id)
    if refused.current is not None and refused.current.last_message_id >= tried:
        # Another writer took the messageId first: let the queue drain. (A refusal by the state, e.g. a
        # customer's message to a waiting conversation, goes on at once.)
        backoff(attempt)
    return refused.current


def _stored(activity: Activity, message_id: int) -> StoredMessage:
    return StoredMessage(message_id, activity.sender, activity.text, activity.attachments)


def _merged(
    context: dict[str, ContextVariable], updates: dict[str, ContextVariable]
) -> dict[str, ContextVariable]:
    merged = {**context, **updates}
    field = ("channelData.customEventValue",)
    if len(merged) > MAX_CONTEXT_ENTRIES:
        raise InvalidRequest(
            "validation_failed",
            f"the context would hold {len(merged)} variables; at most {MAX_CONTEXT_ENTRIES} in all",
            field,
        )
    if len(context_json(merged).encode("utf-8")) > CONTEXT_MAX_BYTES:
        raise InvalidRequest(
            "validation_failed", f"the context would exceed {CONTEXT_MAX_BYTES} bytes in all", field
        )
    return merged
