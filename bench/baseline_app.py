"""The warm-request floor: the benchmarked operations written by hand on boto3, no framework, no validation.

Each operation makes the product's DynamoDB calls with the product's shapes (same operations, tables,
indexes, keys, items, expressions, conditions; bench.warm checks it on every run), so that the warm ratio
measures the product's overhead, not a different design:

- create (POST /consumer/conversations/create, customerid, no email/phone): one TransactWriteItems, four
  Puts, each `attribute_not_exists(pk)` with ALL_OLD on failure: the conversation's #STATE (with the index
  keys of an open conversation: byStatus, live, due), its #DETAILS, the start message, the customer's lock.
- endOfConversation (POST /consumer/conversation/{id}) on an open conversation: one TransactWriteItems, the
  state's conditional Update open → closed (every index key removed, the purge time set) + the conditional
  Delete of its lock.
- accept (POST /representative/conversation/{id}, open → active): one TransactWriteItems, the state's
  Update (byStatus moved to active, byRepresentative entered, due moved to the active deadline) + the
  lock's Update (its deadline).
- end (active → wrapup): one TransactWriteItems, the state's Update (leaves the live index) + the lock's
  Delete. close (wrapup → closed): one UpdateItem returning ALL_NEW (no lock to change).
- get (GET /consumer/conversation/{id}): one consistent Query for the #STATE and #DETAILS items.
- list (GET /consumer/conversations): one Query on the live index, newest first, a signed continuation token.
- representative list (GET /representative/conversations, the queue): one Query on the byStatus index.
- message (POST /consumer/conversation/{id}, type message) and representative message (POST
  /representative/conversation/{id}, type message): one TransactWriteItems, the state's conditional Update
  (the status takes it, the id is the conversation's next; lastMessageId, the deadline moved on by the
  state's timeoutMs; the representative's sets the outbox the webhook is delivered from, the customer's
  removes it) + the conditional Put of the transcript's MESSAGE#<id> item.
- transcript (GET /consumer/conversation/{id}/messages, first page): one consistent Query from the #STATE
  item to the last message, Limit = PageSize + 1, a signed continuation token.

The first attempt of an event assumes the status the product assumes (open for accept and
endOfConversation, active for end, wrapup for close); a refusal because the event came in the same
millisecond as the previous activity is retried once with the next id, as the product does (a message
likewise). Ids are the
product's (messaging.domain.ids: stdlib only): the id scheme is data layout, and the lock's key depends on
it. Only for the benchmark: it trusts its input.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from messaging.domain.ids import ConversationIds, lock_fingerprint
from messaging.domain.tenant import Tenant

TABLE = os.environ["CONVERSATIONS_TABLE"]
MINUTE_MS = 60_000
DEADLINES_MS = {
    "open": int(os.environ.get("OPEN_TIMEOUT_MINUTES") or 1440) * MINUTE_MS,
    "active": int(os.environ.get("ACTIVE_TIMEOUT_MINUTES") or 1440) * MINUTE_MS,
    "wrapup": int(os.environ.get("WRAPUP_TIMEOUT_MINUTES") or 60) * MINUTE_MS,
}
RETENTION_S = int(os.environ.get("RETENTION_DAYS", "90")) * 86_400
SECRET = os.environ["ID_SECRET"].encode("utf-8")
IDS = ConversationIds(SECRET)
TOKEN_KEY = hmac.new(SECRET, b"continuation-token", hashlib.sha256).digest()
# Every index key and the state's timeout: what a closed conversation no longer has.
CLOSED_REMOVALS = "statusKey, statusSince, repKey, repSort, liveKey, createdSort, dueShard, dueAt, timeoutMs"
client = boto3.client(
    "dynamodb",
    config=Config(
        retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=4, tcp_keepalive=True
    ),
)
_JSON = {"Content-Type": "application/json"}


def _escape(value: str) -> str:
    return value.replace("%", "%25").replace("#", "%23")


def _prefix(tenant: str) -> str:
    return "TENANT#" + _escape(tenant)


def _conversation_key(tenant: str, conversation_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{_prefix(tenant)}#CONVERSATION#{conversation_id}"}, "sk": {"S": "#STATE"}}


def _lock_key(tenant: str, conversation_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{_prefix(tenant)}#LOCK#{lock_fingerprint(conversation_id)}"}, "sk": {"S": "#LOCK"}}


def _since(epoch_ms: int, conversation_id: str) -> str:
    return f"{epoch_ms:013d}#{conversation_id}"


def _shard(conversation_id: str) -> str:
    return f"DUE#{int(conversation_id[-4:], 16) % 8}"


def _iso(epoch_ms: int | None) -> str | None:
    if epoch_ms is None:
        return None
    return (
        datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": _JSON, "body": json.dumps(body), "isBase64Encoded": False}


def _now() -> int:
    return time.time_ns() // 1_000_000


def _strings(values: dict[str, Any]) -> dict[str, Any]:
    return {"M": {name: {"S": value} for name, value in values.items() if value is not None}}


# ------------------------------------------------------------------ create


def _create(tenant: str, body: dict[str, Any]) -> dict[str, Any]:
    customer = body.get("customercontext") or {}
    customerid = customer["customerid"]
    now = _now()
    expires = now + DEADLINES_MS["open"]
    conversation_id = IDS.new(Tenant(tenant), customerid)
    pk = {"S": f"{_prefix(tenant)}#CONVERSATION#{conversation_id}"}
    state = {
        "pk": pk,
        "sk": {"S": "#STATE"},
        "kind": {"S": "conversation"},
        "conversationId": {"S": conversation_id},
        "tenant": {"S": tenant},
        "status": {"S": "open"},
        "createdAt": {"N": str(now)},
        "enteredAt": {"N": str(now)},
        "lastMessageId": {"N": str(now)},
        "expiresAt": {"N": str(expires)},
        "timeoutMs": {"N": str(DEADLINES_MS["open"])},
        "customerid": {"S": customerid},
        "statusKey": {"S": f"{_prefix(tenant)}#STATUS#open"},
        "statusSince": {"S": _since(now, conversation_id)},
        "liveKey": {"S": f"{_prefix(tenant)}#LIVE"},
        "createdSort": {"S": _since(now, conversation_id)},
        "dueShard": {"S": _shard(conversation_id)},
        "dueAt": {"N": str(expires)},
    }
    fields = ("customerid", "firstname", "lastname", "preferredname", "email", "phonenumber")
    details: dict[str, Any] = {
        "pk": pk,
        "sk": {"S": "#DETAILS"},
        "kind": {"S": "details"},
        "contactMatch": {"S": "none"},
        "customer": _strings({name: customer.get(name) for name in fields}),
    }
    context = body.get("conversationcontext") or {}
    if context:
        compact = {
            k: {"value": v["value"], "isDisplayable": bool(v.get("isDisplayable"))}
            for k, v in context.items()
        }
        details["context"] = {"S": json.dumps(compact, ensure_ascii=False, separators=(",", ":"))}
    start = body.get("startmessage")
    actions: list[Any] = [_put_new(state), _put_new(details)]
    if start:
        details["startMessageId"] = {"S": str(now)}
        details["startMessage"] = _strings(
            {"message": start["message"], "displayname": start.get("displayname")}
        )
        message = {
            "pk": pk,
            "sk": {"S": f"MESSAGE#{now:013d}"},
            "kind": {"S": "message"},
            "messageId": {"S": str(now)},
            "timestamp": {"N": str(now)},
            "from": _strings({"role": "customer", "name": start.get("displayname")}),
            "text": {"S": start["message"]},
        }
        actions.append(_put_new(message))
    if "skipdeflectionbot" in body:
        details["skipDeflectionBot"] = {"BOOL": bool(body["skipdeflectionbot"])}
    lock = {
        **_lock_key(tenant, conversation_id),
        "kind": {"S": "activeLock"},
        "tenant": {"S": tenant},
        "conversationId": {"S": conversation_id},
        "expiresAt": {"N": str(expires)},
    }
    actions.append(_put_new(lock))
    try:
        client.transact_write_items(TransactItems=actions)
    except ClientError as error:
        response: Any = error.response
        reasons: list[Any] = list(response.get("CancellationReasons") or [])
        existing = reasons[-1].get("Item") if reasons else None
        if existing is None:
            raise
        return _answer(200, {"conversationId": existing["conversationId"]["S"], "isNew": False})
    answer = {"conversationId": conversation_id, "isNew": True}
    if start:
        answer["messageId"] = str(now)
    return _answer(201, answer)


def _put_new(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": TABLE,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


# ------------------------------------------------------------------ events


def _values(source: str, target: str, emits: str, now: int, mid: int) -> dict[str, Any]:
    return {
        ":from": {"S": source},
        ":to": {"S": target},
        ":now": {"N": str(now)},
        ":mid": {"N": str(mid)},
        ":outbox": {
            "M": {
                "kind": {"S": "event"},
                "name": {"S": emits},
                "status": {"S": target},
                "at": {"N": str(now)},
            }
        },
    }


_CONDITION = "#status = :from AND lastMessageId < :mid AND expiresAt > :now"
_SET = "SET #status = :to, enteredAt = :now, lastMessageId = :mid, outbox = :outbox"
_FILED = (
    "expiresAt = :deadline, timeoutMs = :timeout, statusKey = :statusKey, statusSince = :since, "
    "repSort = :repSort, dueShard = :shard, dueAt = :deadline"
)


def _filed(tenant: str, conversation_id: str, target: str, now: int) -> dict[str, Any]:
    """The values that file a live conversation under its new status in the indexes."""
    return {
        ":deadline": {"N": str(now + DEADLINES_MS[target])},
        ":timeout": {"N": str(DEADLINES_MS[target])},
        ":statusKey": {"S": f"{_prefix(tenant)}#STATUS#{target}"},
        ":since": {"S": _since(now, conversation_id)},
        ":repSort": {"S": f"{target}#{_since(now, conversation_id)}"},
        ":shard": {"S": _shard(conversation_id)},
    }


def _state_update(tenant: str, conversation_id: str, update: str, values: dict[str, Any]) -> dict[str, Any]:
    names = {"#status": "status"}
    if "#ttl" in update:
        names["#ttl"] = "ttl"
    return {
        "TableName": TABLE,
        "Key": _conversation_key(tenant, conversation_id),
        "ConditionExpression": _CONDITION,
        "UpdateExpression": update,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _end_of_conversation(tenant: str, conversation_id: str, body: dict[str, Any], mid: int) -> list[Any]:
    """open → closed (reason customer): the state's update and its lock's delete."""
    now = _now()
    values = _values("open", "closed", "ConversationClosed", now, mid)
    channel = ""
    if body.get("channelId") is not None:
        values[":channel"] = {"S": body["channelId"]}
        channel = ", channelId = :channel"
    values[":reason"] = {"S": "customer"}
    values[":purge"] = {"N": str(-(-now // 1000) + RETENTION_S)}
    update = (
        f"{_SET}{channel}, closedAt = :now, closeReason = :reason, #ttl = :purge REMOVE {CLOSED_REMOVALS}"
    )
    return [
        {"Update": _state_update(tenant, conversation_id, update, values)},
        _lock_delete(tenant, conversation_id),
    ]


def _lock_delete(tenant: str, conversation_id: str) -> dict[str, Any]:
    return {
        "Delete": {
            "TableName": TABLE,
            "Key": _lock_key(tenant, conversation_id),
            "ConditionExpression": "conversationId = :id",
            "ExpressionAttributeValues": {":id": {"S": conversation_id}},
        }
    }


def _representative(sender: dict[str, Any]) -> dict[str, Any]:
    return _strings({"id": sender["id"], "name": sender.get("name")})


def _accept(tenant: str, conversation_id: str, sender: dict[str, Any], mid: int) -> list[Any]:
    """open → active: the state's update (the representative's now) and the lock's new deadline."""
    now = _now()
    values = {
        **_values("open", "active", "ConversationAccepted", now, mid),
        **_filed(tenant, conversation_id, "active", now),
        ":rep": _representative(sender),
        ":repKey": {"S": f"{_prefix(tenant)}#REP#{_escape(sender['id'])}"},
    }
    update = f"{_SET}, {_FILED}, representative = :rep, repKey = :repKey"
    lock = {
        "Update": {
            "TableName": TABLE,
            "Key": _lock_key(tenant, conversation_id),
            "ConditionExpression": "conversationId = :id",
            "UpdateExpression": "SET expiresAt = :deadline",
            "ExpressionAttributeValues": {":id": {"S": conversation_id}, ":deadline": values[":deadline"]},
        }
    }
    return [{"Update": _state_update(tenant, conversation_id, update, values)}, lock]


def _end(tenant: str, conversation_id: str, sender: dict[str, Any], mid: int) -> list[Any]:
    """active → wrapup (ended by the representative): the state leaves the live list, the lock goes."""
    now = _now()
    values = {
        **_values("active", "wrapup", "ConversationEnded", now, mid),
        ":endedBy": {"S": "representative"},
        **_filed(tenant, conversation_id, "wrapup", now),
        ":rep": _representative(sender),
        ":repKey": {"S": f"{_prefix(tenant)}#REP#{_escape(sender['id'])}"},
    }
    update = (
        f"{_SET}, endedAt = :now, endedBy = :endedBy, {_FILED}, representative = :rep, repKey = :repKey "
        "REMOVE liveKey, createdSort"
    )
    return [
        {"Update": _state_update(tenant, conversation_id, update, values)},
        _lock_delete(tenant, conversation_id),
    ]


def _close(tenant: str, conversation_id: str, mid: int) -> dict[str, Any]:
    """wrapup → closed (reason: who ended it): one UpdateItem, the lock went at the end."""
    now = _now()
    values = {
        **_values("wrapup", "closed", "ConversationClosed", now, mid),
        ":purge": {"N": str(-(-now // 1000) + RETENTION_S)},
    }
    update = f"{_SET}, closedAt = :now, closeReason = endedBy, #ttl = :purge REMOVE {CLOSED_REMOVALS}"
    return _state_update(tenant, conversation_id, update, values)


def _retry_id(source: str, mid: int, old: dict[str, Any] | None) -> int | None:
    """The next activity id when the refusal was only the id (same millisecond as the last activity)."""
    if old is None or old["status"]["S"] != source:
        return None
    last = int(old["lastMessageId"]["N"])
    return last + 1 if last >= mid else None


def _event(tenant: str, conversation_id: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    source = {"accept": "open", "end": "active", "close": "wrapup", "endOfConversation": "open"}[name]
    mid = _now()
    for _ in range(2):
        try:
            if name == "close":
                stored = client.update_item(**_close(tenant, conversation_id, mid), ReturnValues="ALL_NEW")
                return _event_answer(conversation_id, name, mid, body, stored["Attributes"])
            if name == "accept":
                actions = _accept(tenant, conversation_id, body["from"], mid)
            elif name == "end":
                actions = _end(tenant, conversation_id, body["from"], mid)
            else:
                actions = _end_of_conversation(tenant, conversation_id, body, mid)
            client.transact_write_items(TransactItems=actions)
            return _event_answer(conversation_id, name, mid, body, None)
        except ClientError as error:
            response: Any = error.response
            reasons = response.get("CancellationReasons")
            old = reasons[0].get("Item") if reasons else response.get("Item")
            retry = _retry_id(source, mid, old)
            if retry is None:
                return _answer(409, {"error": {"code": "invalid_transition"}})
            mid = retry
    return _answer(409, {"error": {"code": "invalid_transition"}})


def _event_answer(
    conversation_id: str, name: str, mid: int, body: dict[str, Any], stored: dict[str, Any] | None
) -> dict[str, Any]:
    answer: dict[str, Any] = {"conversationId": conversation_id, "messageId": str(mid)}
    if name == "accept":
        answer |= {"status": "active", "isActive": True, "representative": body["from"]}
    elif name == "end":
        answer |= {"status": "wrapup", "isActive": False, "representative": body["from"]}
        answer["endedBy"] = "representative"
    elif name == "endOfConversation":
        answer |= {"status": "closed", "isActive": False, "closedAt": _iso(mid), "closeReason": "customer"}
    else:
        assert stored is not None
        rep = stored.get("representative")
        answer |= {"status": "closed", "isActive": False}
        if rep:
            answer["representative"] = {name: value["S"] for name, value in rep["M"].items()}
        answer["endedBy"] = stored["endedBy"]["S"]
        answer["closedAt"] = _iso(int(stored["closedAt"]["N"]))
        answer["closeReason"] = stored["closeReason"]["S"]
    return _answer(200, answer)


# ------------------------------------------------------------------ messages

# The statuses that take a message directly, as the product's condition lists them (sorted): the customer's
# only while the conversation holds its customerid (to a waiting one it is the revival, not benchmarked);
# the representative's in every live status.
_TAKES_MESSAGE = {"customer": ("active", "open"), "representative": ("active", "open", "waiting")}


def _message_actions(
    tenant: str, conversation_id: str, role: str, body: dict[str, Any], *, now: int, mid: int
) -> list[Any]:
    """The state's counter and deadline (and, for the representative's, the outbox the webhook delivers
    from) with the transcript's item, in one transaction."""
    placeholders = {f":s{index}": {"S": status} for index, status in enumerate(_TAKES_MESSAGE[role])}
    values: dict[str, Any] = {**placeholders, ":now": {"N": str(now)}, ":mid": {"N": str(mid)}}
    update = "SET lastMessageId = :mid, expiresAt = :now + timeoutMs"
    if role == "representative":
        values[":outbox"] = {"M": {"kind": {"S": "message"}, "at": {"N": str(now)}}}
        update += ", outbox = :outbox"
    else:
        update += " REMOVE outbox"
    sender = body.get("from") or {}
    message = {
        "pk": {"S": f"{_prefix(tenant)}#CONVERSATION#{conversation_id}"},
        "sk": {"S": f"MESSAGE#{mid:013d}"},
        "kind": {"S": "message"},
        "messageId": {"S": str(mid)},
        "timestamp": {"N": str(mid)},
        "from": _strings({"role": role, "id": sender.get("id"), "name": sender.get("name")}),
        "text": {"S": body["text"]},
    }
    state = {
        "TableName": TABLE,
        "Key": _conversation_key(tenant, conversation_id),
        "ConditionExpression": f"#status IN ({', '.join(placeholders)}) AND expiresAt > :now "
        "AND lastMessageId < :mid",
        "UpdateExpression": update,
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    put = {"TableName": TABLE, "Item": message, "ConditionExpression": "attribute_not_exists(pk)"}
    return [{"Update": state}, {"Put": put}]


def _message(tenant: str, conversation_id: str, role: str, body: dict[str, Any]) -> dict[str, Any]:
    """A text message (consumer_activity or representative_activity, type message): the id is now, or the
    one after the conversation's last when the first attempt was refused for it (same millisecond)."""
    now = _now()
    mid = now
    for _ in range(2):
        try:
            client.transact_write_items(
                TransactItems=_message_actions(tenant, conversation_id, role, body, now=now, mid=mid)
            )
            return _answer(200, {"messageId": str(mid)})
        except ClientError as error:
            response: Any = error.response
            reasons = response.get("CancellationReasons") or [{}]
            old = reasons[0].get("Item")
            if old is None or old["status"]["S"] not in _TAKES_MESSAGE[role]:
                return _answer(409, {"error": {"code": "conversation_ended"}})
            now = _now()
            mid = max(now, int(old["lastMessageId"]["N"]) + 1)
    return _answer(503, {"error": {"code": "busy"}})


# ------------------------------------------------------------------ reads


def _get(tenant: str, conversation_id: str) -> dict[str, Any]:
    found = client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :hash)",
        ExpressionAttributeValues={
            ":pk": {"S": f"{_prefix(tenant)}#CONVERSATION#{conversation_id}"},
            ":hash": {"S": "#"},
        },
        ConsistentRead=True,
    )["Items"]
    by_sort_key = {item["sk"]["S"]: item for item in found}
    state, details = by_sort_key.get("#STATE"), by_sort_key.get("#DETAILS")
    if state is None or details is None:
        return _answer(404, {"error": {"code": "conversation_not_found"}})
    status = state["status"]["S"]
    expires = int(state["expiresAt"]["N"]) if "expiresAt" in state else None
    closed_at = int(state["closedAt"]["N"]) if "closedAt" in state else None
    reason = state["closeReason"]["S"] if "closeReason" in state else None
    if expires is not None and status != "closed" and _now() >= expires:
        status, closed_at, reason, expires = "closed", expires, "timeout", None
    rep = state.get("representative")
    context = json.loads(details["context"]["S"]) if "context" in details else {}
    return _answer(
        200,
        {
            "conversationId": conversation_id,
            "status": status,
            "isActive": status in ("open", "active"),
            "customerid": state["customerid"]["S"] if "customerid" in state else None,
            "contactId": details["contactId"]["S"] if "contactId" in details else None,
            "contactMatch": details["contactMatch"]["S"],
            "representative": {k: v["S"] for k, v in rep["M"].items()} if rep else None,
            "createdAt": _iso(int(state["createdAt"]["N"])),
            "expiresAt": _iso(expires) if status != "closed" else None,
            "endedAt": _iso(int(state["endedAt"]["N"])) if "endedAt" in state else None,
            "endedBy": state["endedBy"]["S"] if "endedBy" in state else None,
            "closedAt": _iso(closed_at),
            "closeReason": reason,
            "conversationcontext": context,
        },
    )


def _transcript(tenant: str, conversation_id: str, query: dict[str, str]) -> dict[str, Any]:
    """The transcript's first page, oldest first: one consistent Query from the state item (it sorts just
    before the messages: an empty transcript is told from an unknown conversation) to the last message."""
    page_size = int(query.get("PageSize", 50))
    answer = client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :lower AND :upper",
        ExpressionAttributeValues={
            ":pk": {"S": f"{_prefix(tenant)}#CONVERSATION#{conversation_id}"},
            ":lower": {"S": "#STATE"},
            ":upper": {"S": "MESSAGE#~"},
        },
        Limit=page_size + 1,
        ConsistentRead=True,
    )
    found = answer["Items"]
    if not found:
        return _answer(404, {"error": {"code": "conversation_not_found"}})
    messages = []
    for item in found:
        if item["sk"]["S"] == "#STATE":
            continue
        sender = {name: value["S"] for name, value in item["from"]["M"].items()}
        view: dict[str, Any] = {
            "type": "message",
            "id": item["messageId"]["S"],
            "messageId": item["messageId"]["S"],
            "timestamp": _iso(int(item["messageId"]["S"])),
            "from": {"id": sender.get("id"), "name": sender.get("name"), "role": sender["role"]},
        }
        if "text" in item:
            view["text"] = item["text"]["S"]
        messages.append(view)
    token = _token(tenant, f"transcript:{conversation_id}:None", answer.get("LastEvaluatedKey"))
    return _answer(200, {"messages": messages, "continuationToken": token})


def _token(tenant: str, query: str, last: dict[str, Any] | None) -> str | None:
    if not last:
        return None
    key = {name: value["S"] for name, value in last.items()}
    payload = json.dumps(key, separators=(",", ":"), sort_keys=True).encode("utf-8")
    message = json.dumps([tenant, query], separators=(",", ":")).encode("utf-8") + b"\x00" + payload
    signature = hmac.new(TOKEN_KEY, message, hashlib.sha256).digest()[:16]
    return b".".join(base64.urlsafe_b64encode(part).rstrip(b"=") for part in (payload, signature)).decode()


def _page(index: str, condition: str, key: str, limit: int, newest_first: bool) -> tuple[list[Any], Any]:
    answer = client.query(
        TableName=TABLE,
        IndexName=index,
        KeyConditionExpression=condition,
        ExpressionAttributeValues={":key": {"S": key}},
        Limit=limit,
        ScanIndexForward=not newest_first,
    )
    now = _now()
    live = [item for item in answer["Items"] if "expiresAt" not in item or now < int(item["expiresAt"]["N"])]
    return live, answer.get("LastEvaluatedKey")


def _list(tenant: str, query: dict[str, str]) -> dict[str, Any]:
    items, last = _page(
        "live", "liveKey = :key", f"{_prefix(tenant)}#LIVE", int(query.get("PageSize", 50)), True
    )
    conversations = [
        {
            "conversationid": item["conversationId"]["S"],
            "timestamp": _iso(int(item["createdAt"]["N"])),
            "status": item["status"]["S"],
        }
        for item in items
    ]
    return _answer(
        200, {"conversations": conversations, "continuationtoken": _token(tenant, "live:None", last)}
    )


def _queue(tenant: str, query: dict[str, str]) -> dict[str, Any]:
    status = query.get("status", "open")
    key = f"{_prefix(tenant)}#STATUS#{status}"
    items, last = _page("byStatus", "statusKey = :key", key, int(query.get("PageSize", 50)), False)
    conversations = [
        {
            "conversationId": item["conversationId"]["S"],
            "status": item["status"]["S"],
            "createdAt": _iso(int(item["createdAt"]["N"])),
            "statusSince": _iso(int(item["enteredAt"]["N"])),
            "representativeId": item["representative"]["M"]["id"]["S"] if "representative" in item else None,
        }
        for item in items
    ]
    token = _token(tenant, f"representative:{status}:None", last)
    return _answer(200, {"conversations": conversations, "continuationToken": token})


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    tenant = event["requestContext"]["authorizer"]["jwt"]["claims"]["client_id"]
    method, path = event["routeKey"].split(" ", 1)
    representative = path.startswith("/api/v1.0/representative/")
    query = event.get("queryStringParameters") or {}
    if method == "GET":
        if path.endswith("/conversations"):
            return _queue(tenant, query) if representative else _list(tenant, query)
        if path.endswith("/messages"):
            return _transcript(tenant, event["pathParameters"]["conversationId"], query)
        return _get(tenant, event["pathParameters"]["conversationId"])
    body = json.loads(event.get("body") or "{}")
    if path.endswith("/create"):
        return _create(tenant, body)
    conversation_id = event["pathParameters"]["conversationId"]
    if body["type"] == "message":
        return _message(tenant, conversation_id, "representative" if representative else "customer", body)
    name = body["name"] if representative else body["type"]
    return _event(tenant, conversation_id, name, body)
