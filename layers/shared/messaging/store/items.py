"""Storage items: how domain types are laid out as DynamoDB attribute values, and back.

Attribute `ttl` is the table's TTL attribute, set only on a closed conversation's state: its purge time,
`RetentionDays` after it closed (the purge consumer then deletes the rest of the conversation). Locks and
live conversations have no TTL: the timeout sweeper ends them on time (CONTRACT.md, "Timeout rules").
"""

from __future__ import annotations

import json
from typing import Any

from messaging.domain.activity import Role
from messaging.domain.contact import Contact
from messaging.domain.conversation import (
    ActiveLock,
    ContactMatch,
    ContextVariable,
    Conversation,
    ConversationDetails,
    ConversationState,
    CustomerDetails,
    Representative,
    StartMessage,
    context_json,
)
from messaging.domain.state_machine import CloseReason, EndedBy, Status
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.calls import Item

KIND_CONVERSATION = "conversation"
KIND_DETAILS = "details"
KIND_MESSAGE = "message"
KIND_LOCK = "activeLock"
KIND_CONTACT = "contact"
KIND_EMAIL_LOOKUP = "email"
KIND_PHONE_LOOKUP = "phone"

_CUSTOMER_FIELDS = ("customerid", "firstname", "lastname", "preferredname", "email", "phonenumber")
_NAME_FIELDS = ("firstname", "lastname", "preferredname")
_LISTED = frozenset({Status.OPEN, Status.ACTIVE, Status.WAITING})  # the consumer's list (GET /conversations)
_WORKED = frozenset({Status.ACTIVE, Status.WAITING, Status.WRAPUP})  # on a representative's list
INDEX_ATTRIBUTES = (
    "statusKey",
    "statusSince",
    "repKey",
    "repSort",
    "liveKey",
    "createdSort",
    "dueShard",
    "dueAt",
)


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _optional_s(item: Item, name: str) -> str | None:
    attribute = item.get(name)
    return None if attribute is None else str(attribute["S"])


def _optional_n(item: Item, name: str) -> int | None:
    attribute = item.get(name)
    return None if attribute is None else int(attribute["N"])


def _string_map(values: dict[str, str | None]) -> dict[str, Any]:
    return {"M": {name: s(value) for name, value in values.items() if value is not None}}


def epoch_seconds_ceil(ms: int) -> int:
    return -(-ms // 1000)


def purge_time(ended_at_ms: int, retention_s: int) -> int | None:
    """When TTL may delete a conversation: its close plus the retention period (0 = never)."""
    return None if retention_s == 0 else epoch_seconds_ceil(ended_at_ms) + retention_s


# ------------------------------------------------------------------ conversation state


def representative_value(representative: Representative) -> dict[str, Any]:
    return _string_map({"id": representative.id, "name": representative.name})


def index_attributes(state: ConversationState) -> dict[str, dict[str, str] | None]:
    """The index keys the state item carries in this state (None: the attribute must be absent)."""
    tenant, conversation_id, status = state.tenant, state.conversation_id, state.status
    since = keys.since_key(state.entered_at_ms, conversation_id)
    open_ = status is not Status.CLOSED
    worked = state.representative is not None and status in _WORKED
    listed = status in _LISTED
    return {
        "statusKey": s(keys.status_key(tenant, status.value)) if open_ else None,
        "statusSince": s(since) if open_ else None,
        "repKey": (
            s(keys.representative_key(tenant, state.representative.id))
            if worked and state.representative is not None
            else None
        ),
        "repSort": (
            s(keys.representative_sort_key(status.value, state.entered_at_ms, conversation_id))
            if worked
            else None
        ),
        "liveKey": s(keys.live_key(tenant)) if listed else None,
        "createdSort": s(keys.since_key(state.created_at_ms, conversation_id)) if listed else None,
        "dueShard": s(keys.due_shard(conversation_id)) if state.expires_at_ms is not None else None,
        "dueAt": n(state.expires_at_ms) if state.expires_at_ms is not None else None,
    }


def state_item(state: ConversationState, purge_at_s: int | None = None) -> Item:
    c = state
    item: Item = {
        "pk": s(keys.conversation_key(c.tenant, c.conversation_id)),
        "sk": s(keys.STATE),
        "kind": s(KIND_CONVERSATION),
        "conversationId": s(c.conversation_id),
        "tenant": s(c.tenant.id),
        "status": s(c.status.value),
        "createdAt": n(c.created_at_ms),
        "enteredAt": n(c.entered_at_ms),
        "lastMessageId": n(c.last_message_id),
    }
    optional: dict[str, dict[str, Any] | None] = {
        "expiresAt": n(c.expires_at_ms) if c.expires_at_ms is not None else None,
        # The state's timeout, so that a message can move the deadline on without knowing the status.
        "timeoutMs": n(c.expires_at_ms - c.entered_at_ms) if c.expires_at_ms is not None else None,
        "customerid": s(c.customerid) if c.customerid is not None else None,
        "representative": representative_value(c.representative) if c.representative else None,
        "endedAt": n(c.ended_at_ms) if c.ended_at_ms is not None else None,
        "endedBy": s(c.ended_by.value) if c.ended_by is not None else None,
        "closedAt": n(c.closed_at_ms) if c.closed_at_ms is not None else None,
        "closeReason": s(c.close_reason.value) if c.close_reason is not None else None,
        "channelId": s(c.channel_id) if c.channel_id is not None else None,
        "ttl": n(purge_at_s) if purge_at_s is not None else None,
        **index_attributes(state),
    }
    item.update({name: value for name, value in optional.items() if value is not None})
    return item


def state_from_item(item: Item) -> ConversationState:
    representative = item.get("representative")
    ended_by, close_reason = _optional_s(item, "endedBy"), _optional_s(item, "closeReason")
    return ConversationState(
        conversation_id=item["conversationId"]["S"],
        tenant=Tenant(item["tenant"]["S"]),
        status=Status(item["status"]["S"]),
        created_at_ms=int(item["createdAt"]["N"]),
        entered_at_ms=int(item["enteredAt"]["N"]),
        expires_at_ms=_optional_n(item, "expiresAt"),
        last_message_id=int(item["lastMessageId"]["N"]),
        customerid=_optional_s(item, "customerid"),
        representative=(
            Representative(id=representative["M"]["id"]["S"], name=_optional_s(representative["M"], "name"))
            if representative
            else None
        ),
        ended_at_ms=_optional_n(item, "endedAt"),
        ended_by=None if ended_by is None else EndedBy(ended_by),
        closed_at_ms=_optional_n(item, "closedAt"),
        close_reason=None if close_reason is None else CloseReason(close_reason),
        channel_id=_optional_s(item, "channelId"),
    )


# ------------------------------------------------------------------ conversation details


def details_item(tenant: Tenant, conversation_id: str, details: ConversationDetails) -> Item:
    d = details
    item: Item = {
        "pk": s(keys.conversation_key(tenant, conversation_id)),
        "sk": s(keys.DETAILS),
        "kind": s(KIND_DETAILS),
        "contactMatch": s(d.contact_match.value),
        "customer": _string_map({name: getattr(d.customer, name) for name in _CUSTOMER_FIELDS}),
    }
    if d.contact_id is not None:
        item["contactId"] = s(d.contact_id)
    if d.context:
        # One JSON string: exact numbers without DynamoDB's Decimal range, and a compact item.
        item["context"] = s(context_json(d.context))
    if d.start_message is not None and d.start_message_id is not None:
        item["startMessageId"] = s(d.start_message_id)
        item["startMessage"] = _string_map(
            {"message": d.start_message.message, "displayname": d.start_message.displayname}
        )
    if d.skip_deflection_bot is not None:
        item["skipDeflectionBot"] = {"BOOL": d.skip_deflection_bot}
    return item


def details_from_item(item: Item) -> ConversationDetails:
    customer = {name: str(v["S"]) for name, v in item.get("customer", {"M": {}})["M"].items()}
    start_message = None
    if "startMessage" in item:
        sm = item["startMessage"]["M"]
        start_message = StartMessage(message=sm["message"]["S"], displayname=_optional_s(sm, "displayname"))
    context = (
        {
            k: ContextVariable(value=v["value"], is_displayable=bool(v["isDisplayable"]))
            for k, v in json.loads(item["context"]["S"]).items()
        }
        if "context" in item
        else {}
    )
    skip = item.get("skipDeflectionBot")
    return ConversationDetails(
        customer=CustomerDetails(**customer),
        contact_id=_optional_s(item, "contactId"),
        contact_match=ContactMatch(item["contactMatch"]["S"]),
        context=context,
        start_message=start_message,
        start_message_id=_optional_s(item, "startMessageId"),
        skip_deflection_bot=None if skip is None else bool(skip["BOOL"]),
    )


def conversation_from_items(found: list[Item]) -> Conversation | None:
    """The conversation from its state and details items (None when either is missing)."""
    by_sort_key = {item["sk"]["S"]: item for item in found}
    state, details = by_sort_key.get(keys.STATE), by_sort_key.get(keys.DETAILS)
    if state is None or details is None:
        return None
    return Conversation(state_from_item(state), details_from_item(details))


def start_message_item(tenant: Tenant, conversation_id: str, message_id: int, message: StartMessage) -> Item:
    """The start message as the transcript's first message, from the customer."""
    sender = _string_map({"role": Role.CUSTOMER.value, "name": message.displayname})
    return {
        "pk": s(keys.conversation_key(tenant, conversation_id)),
        "sk": s(keys.message_sort_key(message_id)),
        "kind": s(KIND_MESSAGE),
        "messageId": s(str(message_id)),
        "timestamp": n(message_id),
        "from": sender,
        "text": s(message.message),
    }


# ------------------------------------------------------------------ active locks


def active_lock_item(tenant: Tenant, fingerprint: str, lock: ActiveLock) -> Item:
    return {
        "pk": s(keys.active_lock_key(tenant, fingerprint)),
        "sk": s(keys.LOCK),
        "kind": s(KIND_LOCK),
        "tenant": s(tenant.id),
        "conversationId": s(lock.conversation_id),
        "expiresAt": n(lock.expires_at_ms),
    }


def active_lock_from_item(item: Item) -> ActiveLock:
    return ActiveLock(
        conversation_id=item["conversationId"]["S"],
        expires_at_ms=int(item["expiresAt"]["N"]),
    )


# ------------------------------------------------------------------ contacts


def _contact_attributes(contact: Contact) -> Item:
    values = {name: getattr(contact, name) for name in (*_NAME_FIELDS, "email", "phonenumber")}
    attributes: Item = {name: s(value) for name, value in values.items() if value is not None}
    attributes["contactId"] = s(contact.contact_id)
    return attributes


def contact_item(tenant: Tenant, contact: Contact, created_at_ms: int) -> Item:
    return {
        "pk": s(keys.contact_key(tenant, contact.contact_id)),
        "kind": s(KIND_CONTACT),
        "createdAt": n(created_at_ms),
        **_contact_attributes(contact),
    }


def contact_lookup_item(pk: str, kind: str, contact: Contact) -> Item:
    """An email or phone lookup item: unique per tenant, carrying a copy of the contact (contacts are never
    updated), so that one key lookup identifies the record."""
    return {"pk": s(pk), "kind": s(kind), **_contact_attributes(contact)}


def contact_from_item(item: Item) -> Contact:
    return Contact(
        contact_id=item["contactId"]["S"],
        firstname=_optional_s(item, "firstname"),
        lastname=_optional_s(item, "lastname"),
        preferredname=_optional_s(item, "preferredname"),
        email=_optional_s(item, "email"),
        phonenumber=_optional_s(item, "phonenumber"),
    )
