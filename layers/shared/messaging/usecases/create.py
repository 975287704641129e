"""Use case: start a conversation, or return the customer's active one (dedupe), identifying the contact.

Concurrency is settled by DynamoDB, not here: the active-lock item is written in the same transaction as the
conversation, on condition that no lock exists (or exactly the lock we saw, whose holder is past its
deadline and is closed by the same transaction). A lost race comes back as `WriteRejected` with the winner's
lock, so the answer is the winner's conversation without another read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from messaging.domain import contact_keys
from messaging.domain.contact import identify_contact, names_from_contact
from messaging.domain.conversation import (
    ActiveLock,
    Conversation,
    ConversationDetails,
    ConversationRequest,
    ConversationState,
    CreateOutcome,
    Timeouts,
)
from messaging.domain.ids import ConversationIds
from messaging.domain.state_machine import Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.retry import attempts, backoff
from messaging.store.protocol import ConversationStore, CreateSnapshot, NewConversation, WriteRejected


class CreateConversation:
    def __init__(
        self,
        store: ConversationStore,
        ids: ConversationIds,
        timeouts: Timeouts,
        *,
        clock: Callable[[], int] = now_ms,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._store = store
        self._ids = ids
        self._timeouts = timeouts
        self._clock = clock
        self._new_id = new_id

    def __call__(self, tenant: Tenant, request: ConversationRequest) -> CreateOutcome:
        customer = request.customer
        email = contact_keys.normalize_email(customer.email) if customer.email else None
        phone = contact_keys.normalize_phone(customer.phonenumber) if customer.phonenumber else None
        fingerprint = self._ids.fingerprint(tenant, customer.customerid) if customer.customerid else None
        needs_read = email is not None or phone is not None
        snapshot = self._read(tenant, fingerprint, email, phone) if needs_read else CreateSnapshot()
        sent: dict[str, Conversation] = {}  # our own attempts: a lost answer may have landed one of them
        for attempt in attempts("create"):
            now = self._clock()
            lock = snapshot.lock
            if lock is not None and lock.conversation_id in sent:
                return _created(sent[lock.conversation_id])
            if lock is not None and lock.is_active(now):
                return CreateOutcome(lock.conversation_id, is_new=False)
            new = self._new_conversation(tenant, request, snapshot, fingerprint, now, email, phone)
            sent[new.conversation.conversation_id] = new.conversation
            try:
                self._store.insert_conversation(new, now)
            except WriteRejected as rejected:
                if rejected.already_written:
                    return _created(new.conversation)
                if rejected.holder is not None and rejected.holder.is_active(now):
                    # The lock's deadline was a lower bound: messages kept its holder alive.
                    return CreateOutcome(rejected.holder.conversation_id, is_new=False)
                if rejected.conflict:
                    backoff(attempt)
                    snapshot = self._read(tenant, fingerprint, email, phone)
                else:
                    snapshot = _learn(snapshot, rejected)
                continue
            return _created(new.conversation)
        raise AssertionError("unreachable: attempts() raises when exhausted")

    def _read(
        self, tenant: Tenant, fingerprint: str | None, email: str | None, phone: str | None
    ) -> CreateSnapshot:
        return self._store.read_for_create(tenant, fingerprint, email, phone)

    def _new_conversation(  # noqa: PLR0917 - the parts of one new conversation
        self,
        tenant: Tenant,
        request: ConversationRequest,
        snapshot: CreateSnapshot,
        fingerprint: str | None,
        now: int,
        email: str | None,
        phone: str | None,
    ) -> NewConversation:
        customer = request.customer
        identification = identify_contact(
            snapshot.email_contact, snapshot.phone_contact, customer, self._new_id()
        )
        if identification.existing is not None:
            customer = names_from_contact(customer, identification.existing)
        conversation_id = self._ids.new(tenant, customer.customerid)
        state = ConversationState(
            conversation_id=conversation_id,
            tenant=tenant,
            status=Status.OPEN,
            created_at_ms=now,
            entered_at_ms=now,
            expires_at_ms=self._timeouts.deadline(Status.OPEN, now),
            last_message_id=now,  # the start message's id, when there is one: the next activity's is later
            customerid=customer.customerid,
        )
        details = ConversationDetails(
            customer=customer,
            contact_id=identification.contact_id,
            contact_match=identification.match,
            context=request.context,
            start_message=request.start_message,
            start_message_id=str(now) if request.start_message is not None else None,
            skip_deflection_bot=request.skip_deflection_bot,
        )
        return NewConversation(
            conversation=Conversation(state, details),
            fingerprint=fingerprint,
            replaced_lock=snapshot.lock,  # only ever one past its (lower-bound) deadline here
            new_contact=identification.new_contact,
            email=email,
            phone=phone,
        )


def _created(conversation: Conversation) -> CreateOutcome:
    return CreateOutcome(
        conversation.conversation_id,
        is_new=True,
        message_id=conversation.details.start_message_id,
        contact_match=conversation.details.contact_match.value,
    )


def _learn(snapshot: CreateSnapshot, rejected: WriteRejected) -> CreateSnapshot:
    """Folds what the failed transaction returned (ALL_OLD) into what we know, so no re-read is needed."""
    lock: ActiveLock | None = rejected.lock if rejected.lock_checked else snapshot.lock
    return CreateSnapshot(
        lock=lock,
        email_contact=rejected.email_contact or snapshot.email_contact,
        phone_contact=rejected.phone_contact or snapshot.phone_contact,
    )
