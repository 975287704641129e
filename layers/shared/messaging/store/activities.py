"""Activities as DynamoDB actions: the state's counter (and deadline, and outbox) and the transcript's item.

A message is one TransactWriteItems: the state's update, on condition that the conversation is in a status
that accepts it and that no activity took this messageId yet, with the message's put. Both land or neither,
so a transcript never shows message N+1 without message N. Typing touches only the state.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from messaging.domain.activity import Attachment, Role, Sender, StoredMessage
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.calls import Item
from messaging.store.items import KIND_MESSAGE, n, s
from messaging.store.protocol import ActivityWrite


def state_update(table: str, write: ActivityWrite) -> dict[str, Any]:
    statuses = sorted(status.value for status in write.accepted_in)
    placeholders = {f":s{index}": s(status) for index, status in enumerate(statuses)}
    values: dict[str, Any] = {**placeholders, ":now": n(write.now_ms), ":mid": n(write.message_id)}
    assignments = ["lastMessageId = :mid"]
    if write.message is not None:
        # "Once messages exist, from the last message": the state's own timeout, from now.
        assignments.append("expiresAt = :now + timeoutMs")
    if write.delivered:
        values[":outbox"] = {"M": {"kind": s(write.kind.value), "at": n(write.now_ms)}}
        assignments.append("outbox = :outbox")
    expression = "SET " + ", ".join(assignments)
    if not write.delivered:
        expression += " REMOVE outbox"  # the stream must not deliver an earlier event again
    return {
        "TableName": table,
        "Key": {"pk": s(keys.conversation_key(write.tenant, write.conversation_id)), "sk": s(keys.STATE)},
        "ConditionExpression": f"#status IN ({', '.join(placeholders)}) AND expiresAt > :now "
        "AND lastMessageId < :mid",
        "UpdateExpression": expression,
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def message_item(tenant: Tenant, conversation_id: str, message: StoredMessage) -> Item:
    sender = {"role": s(message.sender.role.value)}
    sender |= {
        name: s(value) for name, value in (("id", message.sender.id), ("name", message.sender.name)) if value
    }
    item: Item = {
        "pk": s(keys.conversation_key(tenant, conversation_id)),
        "sk": s(keys.message_sort_key(message.message_id)),
        "kind": s(KIND_MESSAGE),
        "messageId": s(str(message.message_id)),
        "timestamp": n(message.message_id),
        "from": {"M": sender},
    }
    if message.text is not None:
        item["text"] = s(message.text)
    if message.attachments:
        item["attachments"] = s(attachments_json(message.attachments))
    return item


def put_message(table: str, tenant: Tenant, conversation_id: str, message: StoredMessage) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table,
            "Item": message_item(tenant, conversation_id, message),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def attachments_json(attachments: Iterable[Attachment]) -> str:
    return json.dumps(
        [{"contentType": a.content_type, "contentUrl": a.content_url, "name": a.name} for a in attachments],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def message_from_item(item: Item) -> StoredMessage:
    sender = item["from"]["M"]
    attachments = json.loads(item["attachments"]["S"]) if "attachments" in item else []
    return StoredMessage(
        message_id=int(item["messageId"]["S"]),
        sender=Sender(
            role=Role(sender["role"]["S"]),
            id=sender["id"]["S"] if "id" in sender else None,
            name=sender["name"]["S"] if "name" in sender else None,
        ),
        text=item["text"]["S"] if "text" in item else None,
        attachments=tuple(Attachment(a["contentType"], a["contentUrl"], a.get("name")) for a in attachments),
    )
