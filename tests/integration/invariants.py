"""What must hold in storage whatever happened: read back with a test-only scan (the product never scans)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from local.dynamodb_local import dynamodb_client
from messaging.domain.contact_keys import normalize_email, normalize_phone
from messaging.domain.ids import is_conversation_id, lock_fingerprint
from messaging.domain.state_machine import HOLDS_CUSTOMER, Status
from messaging.domain.tenant import Tenant
from messaging.store import items, keys

type Item = dict[str, Any]

STATE_ATTRIBUTES = frozenset(
    {"pk", "sk", "kind", "conversationId", "tenant", "status", "createdAt", "enteredAt", "lastMessageId"}
)
DETAILS_ATTRIBUTES = frozenset({"pk", "sk", "kind", "contactMatch", "customer"})
# What each status's state must carry beyond the common attributes.
STATUS_ATTRIBUTES = {
    Status.OPEN: frozenset({"expiresAt", "statusKey", "liveKey", "dueAt"}),
    Status.ACTIVE: frozenset({"expiresAt", "statusKey", "liveKey", "dueAt", "representative", "repKey"}),
    Status.WAITING: frozenset({"expiresAt", "statusKey", "liveKey", "dueAt"}),
    Status.WRAPUP: frozenset({"expiresAt", "statusKey", "dueAt", "endedAt", "endedBy"}),
    Status.CLOSED: frozenset({"closedAt", "closeReason"}),
}
# What each status's state must not carry: the index keys of lists it is not on.
STATUS_ABSENT = {
    Status.OPEN: frozenset({"repKey", "endedAt", "closedAt"}),
    Status.ACTIVE: frozenset({"endedAt", "closedAt"}),
    Status.WAITING: frozenset({"endedAt", "closedAt"}),
    Status.WRAPUP: frozenset({"liveKey", "closedAt"}),
    Status.CLOSED: frozenset(items.INDEX_ATTRIBUTES),
}


@dataclass(frozen=True)
class Storage:
    states: dict[str, Item]  # by conversationId
    details: dict[str, Item]  # by conversationId
    locks: list[Item]
    contacts: dict[str, Item]  # by contactId
    lookups: dict[str, Item]  # email and phone lookup items, by pk

    def holds_customer(self, state: Item) -> bool:
        return "status" in state and Status(state["status"]["S"]) in HOLDS_CUSTOMER


def _conversation_id(item: Item) -> str:
    return str(item["pk"]["S"]).rsplit("#CONVERSATION#", 1)[1]


def read_storage(endpoint: str, tables: dict[str, str]) -> Storage:
    by_kind: dict[str, list[Item]] = {}
    for table in (tables["ConversationsTable"], tables["ContactsTable"]):
        pages = dynamodb_client(endpoint).get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
        for page in pages:
            for item in page["Items"]:
                by_kind.setdefault(str(item["kind"]["S"]), []).append(item)
    return Storage(
        states={_conversation_id(c): c for c in by_kind.get(items.KIND_CONVERSATION, [])},
        details={_conversation_id(c): c for c in by_kind.get(items.KIND_DETAILS, [])},
        locks=by_kind.get(items.KIND_LOCK, []),
        contacts={c["contactId"]["S"]: c for c in by_kind.get(items.KIND_CONTACT, [])},
        lookups={i["pk"]["S"]: i for kind in ("email", "phone") for i in by_kind.get(kind, [])},
    )


def broken_invariants(storage: Storage) -> list[str]:
    """Every broken rule, as a sentence; an empty list when storage is consistent."""
    return [
        *_half_written_conversations(storage),
        *_states_the_table_cannot_reach(storage),
        *_index_keys_that_misplace_a_conversation(storage),
        *_close_reasons_that_contradict_the_ending(storage),
        *_customers_with_two_active_conversations(storage),
        *_locks_without_their_active_conversation(storage),
        *_active_conversations_without_their_lock(storage),
        *_locks_outliving_their_holder(storage),
        *_contacts_without_their_lookups(storage),
    ]


def _half_written_conversations(storage: Storage) -> list[str]:
    broken = []
    for conversation_id in storage.states.keys() ^ storage.details.keys():
        broken.append(f"conversation {conversation_id} has only one of its state and details")
    for conversation_id, state in storage.states.items():
        if missing := STATE_ATTRIBUTES - state.keys():
            broken.append(f"conversation {conversation_id}'s state lacks {sorted(missing)}")
            continue
        tenant = Tenant(state["tenant"]["S"])
        if state["pk"]["S"] != keys.conversation_key(tenant, conversation_id):
            broken.append(f"conversation {conversation_id} is stored under {state['pk']['S']}")
        details = storage.details.get(conversation_id)
        if details is None:
            continue
        if missing := DETAILS_ATTRIBUTES - details.keys():
            broken.append(f"conversation {conversation_id}'s details lack {sorted(missing)}")
        elif (contact_id := details.get("contactId", {}).get("S")) and contact_id not in storage.contacts:
            broken.append(f"conversation {conversation_id} links a missing contact {contact_id}")
    return broken


def _states_the_table_cannot_reach(storage: Storage) -> list[str]:
    broken = []
    for conversation_id, state in storage.states.items():
        if STATE_ATTRIBUTES - state.keys():
            continue  # half written: reported as such
        status = Status(state["status"]["S"])
        if missing := STATUS_ATTRIBUTES[status] - state.keys():
            broken.append(f"{status} conversation {conversation_id} lacks {sorted(missing)}")
        if present := STATUS_ABSENT[status] & state.keys():
            broken.append(f"{status} conversation {conversation_id} carries {sorted(present)}")
        parsed = items.state_from_item(state)
        if status is not Status.CLOSED and state["statusKey"]["S"] != keys.status_key(parsed.tenant, status):
            broken.append(f"conversation {conversation_id} is listed under {state['statusKey']['S']}")
        if status is Status.CLOSED and parsed.close_reason is None:
            broken.append(f"closed conversation {conversation_id} has no close reason")
    return broken


def _index_keys_that_misplace_a_conversation(storage: Storage) -> list[str]:
    """A live conversation carries exactly the index keys its state gives it (items.index_attributes, the
    layout a create writes), so every list and the sweeper find it where they look. `dueAt` alone may be
    earlier than the deadline (a lower bound: messages push `expiresAt` on without touching the index), never
    later: a timeout would be swept late."""
    broken = []
    for conversation_id, state in storage.states.items():
        if STATE_ATTRIBUTES - state.keys():
            continue  # half written: reported as such
        parsed = items.state_from_item(state)
        if parsed.status is Status.CLOSED or "expiresAt" not in state:
            continue  # closed: _states_the_table_cannot_reach checks it carries no index key at all
        expected = {
            name: value for name, value in items.index_attributes(parsed).items() if value is not None
        }
        stored = {name: state[name] for name in items.INDEX_ATTRIBUTES if name in state}
        if stored.keys() != expected.keys():
            broken.append(
                f"{parsed.status} conversation {conversation_id} has index keys {sorted(stored)}, "
                f"not {sorted(expected)}"
            )
            continue
        for name, value in expected.items():
            if name != "dueAt" and stored[name] != value:
                broken.append(f"conversation {conversation_id}'s {name} is {stored[name]}, not {value}")
        if int(stored["dueAt"]["N"]) > int(state["expiresAt"]["N"]):
            broken.append(f"conversation {conversation_id} is due after its deadline")
    return broken


def _close_reasons_that_contradict_the_ending(storage: Storage) -> list[str]:
    """Once ended (wrapup: `endedBy`), a conversation closes for the reason of who ended it, whether closed
    or timed out (CONTRACT.md); any other reason is two transitions half applied over each other."""
    broken = []
    for conversation_id, state in storage.states.items():
        ended_by, reason = state.get("endedBy", {}).get("S"), state.get("closeReason", {}).get("S")
        if ended_by is not None and reason is not None and reason != ended_by:
            broken.append(f"conversation {conversation_id} ended by {ended_by} closed as {reason}")
    return broken


def _customers_with_two_active_conversations(storage: Storage) -> list[str]:
    active_per_customer = Counter(
        (s["tenant"]["S"], s["customerid"]["S"])
        for s in storage.states.values()
        if "customerid" in s and storage.holds_customer(s)
    )
    return [
        f"{customer} has {n} open or active conversations"
        for customer, n in active_per_customer.items()
        if n > 1
    ]


def _locks_without_their_active_conversation(storage: Storage) -> list[str]:
    broken = []
    for lock in storage.locks:
        holder_id = lock["conversationId"]["S"]
        holder = storage.states.get(holder_id)
        fingerprint = lock_fingerprint(holder_id) if is_conversation_id(holder_id) else None
        expected_key = keys.active_lock_key(Tenant(lock["tenant"]["S"]), fingerprint or "")
        if holder is None or not storage.holds_customer(holder) or lock["pk"]["S"] != expected_key:
            broken.append(f"lock {lock['pk']['S']} points to {holder or holder_id}")
    return broken


def _active_conversations_without_their_lock(storage: Storage) -> list[str]:
    locked = {lock["conversationId"]["S"] for lock in storage.locks}
    return [
        f"{state['status']['S']} conversation {conversation_id} has no lock"
        for conversation_id, state in storage.states.items()
        if "customerid" in state and storage.holds_customer(state) and conversation_id not in locked
    ]


def _locks_outliving_their_holder(storage: Storage) -> list[str]:
    """A lock's deadline is a lower bound of its holder's: later, a create would dedupe to a conversation
    that has already timed out (reads say closed) instead of starting a new one."""
    broken = []
    for lock in storage.locks:
        holder = storage.states.get(lock["conversationId"]["S"])
        if (
            holder is not None
            and "expiresAt" in holder
            and (int(lock["expiresAt"]["N"]) > int(holder["expiresAt"]["N"]))
        ):
            broken.append(f"lock {lock['pk']['S']} outlives its holder's deadline")
    return broken


def _contacts_without_their_lookups(storage: Storage) -> list[str]:
    broken = []
    for contact_id, contact in storage.contacts.items():
        tenant = Tenant(contact["pk"]["S"].removeprefix("TENANT#").partition("#CONTACT#")[0])
        expected = []
        if "email" in contact:
            expected.append(keys.email_key(tenant, normalize_email(contact["email"]["S"])))
        if "phonenumber" in contact:
            expected.append(keys.phone_key(tenant, normalize_phone(contact["phonenumber"]["S"])))
        for pk in expected:
            lookup = storage.lookups.get(pk)
            if lookup is None or lookup["contactId"]["S"] != contact_id:
                broken.append(f"contact {contact_id} lacks its lookup {pk} (found {lookup})")
    for pk, lookup in storage.lookups.items():
        if lookup["contactId"]["S"] not in storage.contacts:
            broken.append(f"lookup {pk} points to a missing contact")
    return broken
