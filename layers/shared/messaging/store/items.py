"""Storage items: how domain types are laid out as DynamoDB attribute values, and back.

Attribute `ttl` is the table's TTL attribute: on an active lock it is the conversation's expiry (TTL removes
the lock, never the conversation); on a conversation it is the purge time after the retention period.
"""

from __future__ import annotations

import json
from typing import Any

from messaging.conversation_ids import customer_fingerprint
from messaging.domain import (
    ActiveLock,
    CloseReason,
    Contact,
    ContactMatch,
    ContextVariable,
    Conversation,
    ConversationStatus,
    CustomerDetails,
    StartMessage,
    Tenant,
)
from messaging.store import keys

type Item = dict[str, Any]

_CUSTOMER_FIELDS = ("customerid", "firstname", "lastname", "preferredname", "email", "phonenumber")
_NAME_FIELDS = ("firstname", "lastname", "preferredname")


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _optional_s(item: Item, name: str) -> str | None:
    attribute = item.get(name)
    return None if attribute is None else str(attribute["S"])


def _optional_n(item: Item, name: str) -> int | None:
    attribute = item.get(name)
    return None if attribute is None else int(attribute["N"])


def _string_map(values: dict[str, str | None]) -> dict[str, Any]:
    return {"M": {name: _s(value) for name, value in values.items() if value is not None}}


def epoch_seconds_ceil(ms: int) -> int:
    return -(-ms // 1000)


def purge_time(ended_at_ms: int, retention_s: int) -> int | None:
    """When TTL may delete a conversation record: its end plus the retention period (0 = never)."""
    return None if retention_s == 0 else epoch_seconds_ceil(ended_at_ms) + retention_s


# ------------------------------------------------------------------ conversations


def conversation_item(conversation: Conversation, purge_at_s: int | None) -> Item:
    c = conversation
    item: Item = {
        "pk": _s(keys.conversation_key(c.tenant, c.conversation_id)),
        "kind": _s("conversation"),
        "conversationId": _s(c.conversation_id),
        "tenant": _s(c.tenant.id),
        "status": _s(c.status.value),
        "createdAt": _n(c.created_at_ms),
        "expiresAt": _n(c.expires_at_ms),
        "contactMatch": _s(c.contact_match.value),
        "customer": _string_map({name: getattr(c.customer, name) for name in _CUSTOMER_FIELDS}),
    }
    if c.customer.customerid is not None:
        item["customerid"] = _s(c.customer.customerid)
    if c.contact_id is not None:
        item["contactId"] = _s(c.contact_id)
    if c.context:
        # One JSON string: exact numbers without DynamoDB's Decimal range, and a compact item.
        item["context"] = _s(context_json(c.context))
    if c.start_message is not None and c.message_id is not None:
        item["messageId"] = _s(c.message_id)
        item["startMessage"] = _string_map(
            {"message": c.start_message.message, "displayname": c.start_message.displayname}
        )
    if c.skip_deflection_bot is not None:
        item["skipDeflectionBot"] = {"BOOL": c.skip_deflection_bot}
    if purge_at_s is not None:
        item["ttl"] = _n(purge_at_s)
    return item


def context_json(context: dict[str, ContextVariable]) -> str:
    return json.dumps(
        {k: {"value": v.value, "isDisplayable": v.is_displayable} for k, v in context.items()},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def conversation_from_item(item: Item) -> Conversation:
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
    close_reason = _optional_s(item, "closeReason")
    skip = item.get("skipDeflectionBot")
    return Conversation(
        conversation_id=item["conversationId"]["S"],
        tenant=Tenant(item["tenant"]["S"]),
        customer=CustomerDetails(**customer),
        created_at_ms=int(item["createdAt"]["N"]),
        expires_at_ms=int(item["expiresAt"]["N"]),
        contact_id=_optional_s(item, "contactId"),
        contact_match=ContactMatch(item["contactMatch"]["S"]),
        context=context,
        start_message=start_message,
        message_id=_optional_s(item, "messageId"),
        skip_deflection_bot=None if skip is None else bool(skip["BOOL"]),
        status=ConversationStatus(item["status"]["S"]),
        closed_at_ms=_optional_n(item, "closedAt"),
        close_reason=None if close_reason is None else CloseReason(close_reason),
        channel_id=_optional_s(item, "channelId"),
    )


def timeout_close(table: str, tenant: Tenant, conversation_id: str, now_ms: int) -> dict[str, Any]:
    """The update that records an expired conversation as closed (timeout) at its expiry, if still open.
    Both a create that replaces its lock and the TTL stream consumer use it; the purge time needs no change,
    it has counted from the expiry since creation."""
    return {
        "TableName": table,
        "Key": {"pk": _s(keys.conversation_key(tenant, conversation_id))},
        "ConditionExpression": "#status = :open AND expiresAt <= :now",
        "UpdateExpression": "SET #status = :closed, closedAt = expiresAt, closeReason = :timeout",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {
            ":open": _s("open"),
            ":closed": _s("closed"),
            ":timeout": _s("timeout"),
            ":now": _n(now_ms),
        },
    }


# ------------------------------------------------------------------ active locks


def active_lock_item(tenant: Tenant, lock: ActiveLock) -> Item:
    return {
        "pk": _s(keys.active_lock_key(tenant, customer_fingerprint(lock.customerid))),
        "kind": _s("activeLock"),
        "tenant": _s(tenant.id),
        "customerid": _s(lock.customerid),
        "conversationId": _s(lock.conversation_id),
        "expiresAt": _n(lock.expires_at_ms),
        "ttl": _n(epoch_seconds_ceil(lock.expires_at_ms)),
    }


def active_lock_from_item(item: Item) -> ActiveLock:
    return ActiveLock(
        customerid=item["customerid"]["S"],
        conversation_id=item["conversationId"]["S"],
        expires_at_ms=int(item["expiresAt"]["N"]),
    )


# ------------------------------------------------------------------ contacts


def _contact_attributes(contact: Contact) -> Item:
    values = {name: getattr(contact, name) for name in (*_NAME_FIELDS, "email", "phonenumber")}
    attributes: Item = {name: _s(value) for name, value in values.items() if value is not None}
    attributes["contactId"] = _s(contact.contact_id)
    return attributes


def contact_item(tenant: Tenant, contact: Contact, created_at_ms: int) -> Item:
    return {
        "pk": _s(keys.contact_key(tenant, contact.contact_id)),
        "kind": _s("contact"),
        "createdAt": _n(created_at_ms),
        **_contact_attributes(contact),
    }


def contact_lookup_item(pk: str, kind: str, contact: Contact) -> Item:
    """An email or phone lookup item: unique per tenant, carrying a copy of the contact (contacts are never
    updated), so that one key lookup identifies the record."""
    return {"pk": _s(pk), "kind": _s(kind), **_contact_attributes(contact)}


def contact_from_item(item: Item) -> Contact:
    return Contact(
        contact_id=item["contactId"]["S"],
        firstname=_optional_s(item, "firstname"),
        lastname=_optional_s(item, "lastname"),
        preferredname=_optional_s(item, "preferredname"),
        email=_optional_s(item, "email"),
        phonenumber=_optional_s(item, "phonenumber"),
    )
