"""What must hold in storage whatever happened: read back with a test-only scan (the product never scans)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from local.dynamodb_local import dynamodb_client
from messaging.contact_keys import normalize_email, normalize_phone
from messaging.domain import Tenant
from messaging.store import items, keys

type Item = dict[str, Any]

CONVERSATION_ATTRIBUTES = frozenset(
    {"pk", "kind", "conversationId", "tenant", "status", "createdAt", "expiresAt", "contactMatch", "customer"}
)
CLOSED_ATTRIBUTES = frozenset({"closedAt", "closeReason"})


@dataclass(frozen=True)
class Storage:
    conversations: dict[str, Item]  # by conversationId
    locks: list[Item]
    contacts: dict[str, Item]  # by contactId
    lookups: dict[str, Item]  # email and phone lookup items, by pk

    def is_open(self, conversation: Item, now_ms: int) -> bool:
        expires_at = int(conversation.get("expiresAt", {"N": "0"})["N"])
        return bool(conversation.get("status") == {"S": "open"} and expires_at > now_ms)


def read_storage(endpoint: str, tables: dict[str, str]) -> Storage:
    by_kind: dict[str, list[Item]] = {}
    for table in (tables["ConversationsTable"], tables["ContactsTable"]):
        pages = dynamodb_client(endpoint).get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
        for page in pages:
            for item in page["Items"]:
                by_kind.setdefault(str(item["kind"]["S"]), []).append(item)
    return Storage(
        conversations={c["conversationId"]["S"]: c for c in by_kind.get("conversation", [])},
        locks=by_kind.get("activeLock", []),
        contacts={c["contactId"]["S"]: c for c in by_kind.get("contact", [])},
        lookups={i["pk"]["S"]: i for kind in ("email", "phone") for i in by_kind.get(kind, [])},
    )


def broken_invariants(storage: Storage, now_ms: int) -> list[str]:
    """Every broken rule, as a sentence; an empty list when storage is consistent."""
    return [
        *_half_written_conversations(storage),
        *_customers_with_two_open_conversations(storage, now_ms),
        *_locks_without_their_open_conversation(storage),
        *_open_conversations_without_their_lock(storage, now_ms),
        *_contacts_without_their_lookups(storage),
    ]


def _half_written_conversations(storage: Storage) -> list[str]:
    broken = []
    for conversation_id, item in storage.conversations.items():
        closed = item.get("status") == {"S": "closed"}
        wanted = CONVERSATION_ATTRIBUTES | (CLOSED_ATTRIBUTES if closed else set())
        if "customerid" in item.get("customer", {}).get("M", {}):
            wanted |= {"customerid"}
        if missing := wanted - item.keys():
            broken.append(f"conversation {conversation_id} lacks {sorted(missing)}")
            continue
        conversation = items.conversation_from_item(item)
        if item["pk"]["S"] != keys.conversation_key(conversation.tenant, conversation_id):
            broken.append(f"conversation {conversation_id} is stored under {item['pk']['S']}")
        if conversation.contact_id is not None and conversation.contact_id not in storage.contacts:
            broken.append(f"conversation {conversation_id} links a missing contact {conversation.contact_id}")
    return broken


def _customers_with_two_open_conversations(storage: Storage, now_ms: int) -> list[str]:
    open_per_customer = Counter(
        (c["tenant"]["S"], c["customerid"]["S"])
        for c in storage.conversations.values()
        if "customerid" in c and storage.is_open(c, now_ms)
    )
    return [f"{customer} has {n} open conversations" for customer, n in open_per_customer.items() if n > 1]


def _locks_without_their_open_conversation(storage: Storage) -> list[str]:
    broken = []
    for lock in storage.locks:
        owner = storage.conversations.get(lock["conversationId"]["S"])
        shared = ("tenant", "customerid", "expiresAt")
        same = owner is not None and all(owner.get(name) == lock.get(name) for name in shared)
        if owner is None or owner.get("status") != {"S": "open"} or not same:
            broken.append(f"lock {lock['pk']['S']} points to {owner or lock['conversationId']['S']}")
    return broken


def _open_conversations_without_their_lock(storage: Storage, now_ms: int) -> list[str]:
    locked = {lock["conversationId"]["S"] for lock in storage.locks}
    return [
        f"open conversation {conversation_id} has no lock"
        for conversation_id, c in storage.conversations.items()
        if "customerid" in c and storage.is_open(c, now_ms) and conversation_id not in locked
    ]


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
