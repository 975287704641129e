"""A state-machine transition as DynamoDB actions: the state's update and what it does to the active lock.

Written "blind": built from the transition, the event's actor and the clock alone, without reading the
conversation first, so that an event is one TransactWriteItems. Whatever the change needs from the stored
item is taken from it inside the update (`closeReason = endedBy`, `closedAt = expiresAt`) or kept where it is
(the live index's sort key, the representative when the actor is not named). The condition checks the
assumed source status; when it was wrong, ALL_OLD returns the real state and the use case retries with it.
"""

from __future__ import annotations

from typing import Any

from messaging.domain.activity import Kind
from messaging.domain.conversation import ActiveLock
from messaging.domain.ids import lock_fingerprint
from messaging.domain.state_machine import (
    SETS_REPRESENTATIVE,
    TRANSITIONS,
    CloseReason,
    Effect,
    Event,
    Status,
)
from messaging.domain.tenant import Tenant
from messaging.store import keys
from messaging.store.items import INDEX_ATTRIBUTES, KIND_LOCK, n, purge_time, representative_value, s
from messaging.store.protocol import Change

_LISTED = frozenset({Status.OPEN, Status.ACTIVE, Status.WAITING})
# A closed conversation is on no list and due for nothing: every index key goes, with the state's timeout.
_CLOSED_REMOVALS = (*INDEX_ATTRIBUTES, "timeoutMs")
# A lock's holder times out of open or active alike (the state table: same event, status and reason).
_HOLDER_TIMEOUT = TRANSITIONS[(Status.OPEN, Event.TIMEOUT)]


def event_outbox(name: str, status: Status, now_ms: int) -> dict[str, Any]:
    """What a state change leaves for the webhook: the stream carries it to delivery (README, Webhooks);
    the event's id is the state's lastMessageId in the same image."""
    return {"M": {"kind": s(Kind.EVENT.value), "name": s(name), "status": s(status.value), "at": n(now_ms)}}


def state_update(table: str, change: Change, retention_s: int) -> dict[str, Any]:
    t, now = change.transition, change.now_ms
    tenant, conversation_id = change.tenant, change.conversation_id
    names = {"#status": "status"}
    values: dict[str, Any] = {
        ":from": s(t.source.value),
        ":to": s(t.target.value),
        ":now": n(now),
        ":mid": n(change.message_id),
        ":outbox": event_outbox(t.emits, t.target, now),
    }
    deadline = "expiresAt <= :now" if t.event is Event.TIMEOUT else "expiresAt > :now"
    condition = f"#status = :from AND lastMessageId < :mid AND {deadline}"
    assignments = ["#status = :to", "enteredAt = :now", "lastMessageId = :mid", "outbox = :outbox"]
    removals: list[str] = []
    if change.channel_id is not None:
        values[":channel"] = s(change.channel_id)
        assignments.append("channelId = :channel")
    if t.target is Status.WRAPUP:
        values[":endedBy"] = s(t.ended_by.value if t.ended_by else "")
        assignments += ["endedAt = :now", "endedBy = :endedBy"]
    if t.target is Status.CLOSED:
        # A timeout closes at the deadline; a close from wrapup keeps who ended it as the reason.
        assignments.append("closedAt = expiresAt" if t.event is Event.TIMEOUT else "closedAt = :now")
        if t.close_reason is None:
            assignments.append("closeReason = endedBy")
        else:
            values[":reason"] = s(t.close_reason.value)
            assignments.append("closeReason = :reason")
        purge_at = purge_time(now, retention_s)
        if purge_at is not None:
            names["#ttl"] = "ttl"
            values[":purge"] = n(purge_at)
            assignments.append("#ttl = :purge")
        removals += _CLOSED_REMOVALS
    else:
        assert change.deadline_ms is not None
        values |= {
            ":deadline": n(change.deadline_ms),
            ":statusKey": s(keys.status_key(tenant, t.target.value)),
            ":since": s(keys.since_key(now, conversation_id)),
            ":repSort": s(keys.representative_sort_key(t.target.value, now, conversation_id)),
            ":shard": s(keys.due_shard(conversation_id)),
        }
        values[":timeout"] = n(change.deadline_ms - now)
        assignments += [
            "expiresAt = :deadline",
            "timeoutMs = :timeout",
            "statusKey = :statusKey",
            "statusSince = :since",
            "repSort = :repSort",
            "dueShard = :shard",
            "dueAt = :deadline",
        ]
        if t.target not in _LISTED:
            removals += ["liveKey", "createdSort"]
        if t.target is Status.OPEN:
            # Back in the queue (a release, or a customer's message reviving a waiting conversation): no
            # representative has it, so it leaves every representative's list.
            removals += ["representative", "repKey", "repSort"]
            assignments.remove("repSort = :repSort")
            del values[":repSort"]
        elif t.event in SETS_REPRESENTATIVE and change.actor is not None:
            values[":rep"] = representative_value(change.actor)
            values[":repKey"] = s(keys.representative_key(tenant, change.actor.id))
            assignments += ["representative = :rep", "repKey = :repKey"]
    update: dict[str, Any] = {
        "TableName": table,
        "Key": {"pk": s(keys.conversation_key(tenant, conversation_id)), "sk": s(keys.STATE)},
        "ConditionExpression": condition,
        "UpdateExpression": "SET "
        + ", ".join(assignments)
        + (" REMOVE " + ", ".join(removals) if removals else ""),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    return update


def lock_actions(table: str, change: Change, retention_s: int) -> list[dict[str, Any]]:
    """What the transition does to the customer's lock (none for a conversation without a customerid)."""
    fingerprint = lock_fingerprint(change.conversation_id)
    effect = change.transition.effect
    if fingerprint is None or effect is Effect.NONE:
        return []
    key = {"pk": s(keys.active_lock_key(change.tenant, fingerprint)), "sk": s(keys.LOCK)}
    ours = {":id": s(change.conversation_id)}
    if effect is Effect.FREE:
        return [{"Delete": {"TableName": table, "Key": key, "ConditionExpression": "conversationId = :id",
                            "ExpressionAttributeValues": ours}}]  # fmt: skip
    assert change.deadline_ms is not None
    if effect is Effect.KEEP:
        # Keeps the lock's deadline (a lower bound of the holder's) close, so that creates answer in one call.
        return [
            {
                "Update": {
                    "TableName": table,
                    "Key": key,
                    "ConditionExpression": "conversationId = :id",
                    "UpdateExpression": "SET expiresAt = :deadline",
                    "ExpressionAttributeValues": {**ours, ":deadline": n(change.deadline_ms)},
                }
            }
        ]
    item = {
        **key,
        "kind": s(KIND_LOCK),
        "tenant": s(change.tenant.id),
        "conversationId": s(change.conversation_id),
        "expiresAt": n(change.deadline_ms),
    }
    return [take_lock(table, item, change.replaced_lock), *takeover(table, change, retention_s)]


def take_lock(table: str, item: dict[str, Any], replaced: ActiveLock | None) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table, "Item": item, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    if replaced is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        # Take over exactly the lock we saw; any other writer in between makes us look again.
        put["ConditionExpression"] = "conversationId = :replaced"
        put["ExpressionAttributeValues"] = {":replaced": s(replaced.conversation_id)}
    return {"Put": put}


def takeover(table: str, change: Change, retention_s: int) -> list[dict[str, Any]]:
    """Taking a lock whose holder is past its deadline closes the holder (timeout) in the same transaction."""
    if change.replaced_lock is None:
        return []
    holder = change.replaced_lock.conversation_id
    return [{"Update": holder_timeout(table, change.tenant, holder, change.now_ms, retention_s)}]


def holder_timeout(
    table: str, tenant: Tenant, conversation_id: str, now_ms: int, retention_s: int
) -> dict[str, Any]:
    """The timeout of a lock's holder (open or active, whichever), at its deadline, if it has passed.

    Its source status is not known here, and need not be: from open and from active a timeout does the same.
    The purge time counts from now rather than from the deadline (an update cannot divide): minutes later.
    """
    names, purge = {"#status": "status"}, ""
    values: dict[str, Any] = {}
    purge_at = purge_time(now_ms, retention_s)
    if purge_at is not None:
        names["#ttl"], values[":purge"], purge = "ttl", n(purge_at), ", #ttl = :purge"
    return {
        "TableName": table,
        "Key": {"pk": s(keys.conversation_key(tenant, conversation_id)), "sk": s(keys.STATE)},
        "ConditionExpression": "#status IN (:open, :active) AND expiresAt <= :now",
        "UpdateExpression": "SET #status = :closed, closedAt = expiresAt, closeReason = :timeout, "
        f"enteredAt = :now, lastMessageId = lastMessageId + :one, outbox = :outbox{purge} REMOVE "
        + ", ".join(_CLOSED_REMOVALS),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values
        | {
            ":open": s(Status.OPEN.value),
            ":active": s(Status.ACTIVE.value),
            ":closed": s(Status.CLOSED.value),
            ":timeout": s(CloseReason.TIMEOUT.value),
            ":now": n(now_ms),
            ":one": n(1),
            ":outbox": event_outbox(_HOLDER_TIMEOUT.emits, _HOLDER_TIMEOUT.target, now_ms),
        },
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
