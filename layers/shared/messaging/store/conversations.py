"""The DynamoDB implementation of `ConversationStore`: items, conditions, transactions; nothing about HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from messaging.domain.conversation import (
    ActiveLock,
    ContextVariable,
    Conversation,
    ConversationDetails,
    ConversationState,
    context_json,
)
from messaging.domain.errors import StoreBusy
from messaging.domain.state_machine import Effect
from messaging.domain.tenant import Tenant
from messaging.store import activities, changes, items, keys
from messaging.store.calls import Cancellation, Item, attribute_key, call_dynamodb, error_code, plain_key
from messaging.store.protocol import (
    ActivityWrite,
    Change,
    ChangeRefused,
    CreateSnapshot,
    NewConversation,
    Transcript,
    WriteRejected,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_MAX_UNPROCESSED_ROUNDS = 5


class DynamoDBConversations:
    def __init__(
        self, client: DynamoDBClient, conversations_table: str, contacts_table: str, retention_s: int
    ) -> None:
        self._client = client
        self._table = conversations_table
        self._contacts = contacts_table
        self._retention_s = retention_s

    # -------------------------------------------------------------- reads

    def get(self, tenant: Tenant, conversation_id: str) -> Conversation | None:
        """State and details in one consistent Query (both sort keys start with '#', messages do not)."""
        answer = call_dynamodb(
            self._client.query,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :hash)",
            ExpressionAttributeValues={
                ":pk": {"S": keys.conversation_key(tenant, conversation_id)},
                ":hash": {"S": "#"},
            },
            ConsistentRead=True,
        )
        return items.conversation_from_items(answer.get("Items", []))

    # -------------------------------------------------------------- create

    def read_for_create(
        self, tenant: Tenant, fingerprint: str | None, email: str | None, phone: str | None
    ) -> CreateSnapshot:
        lock_key = (keys.active_lock_key(tenant, fingerprint), keys.LOCK) if fingerprint else None
        email_key = (keys.email_key(tenant, email), None) if email is not None else None
        phone_key = (keys.phone_key(tenant, phone), None) if phone is not None else None
        wanted: dict[str, list[tuple[str, str | None]]] = {
            self._table: [lock_key] if lock_key else [],
            self._contacts: [key for key in (email_key, phone_key) if key],
        }
        found = self._batch_get({table: wanted_keys for table, wanted_keys in wanted.items() if wanted_keys})
        lock = found.get(lock_key[0]) if lock_key else None
        email_item = found.get(email_key[0]) if email_key else None
        phone_item = found.get(phone_key[0]) if phone_key else None
        return CreateSnapshot(
            lock=items.active_lock_from_item(lock) if lock else None,
            email_contact=items.contact_from_item(email_item) if email_item else None,
            phone_contact=items.contact_from_item(phone_item) if phone_item else None,
        )

    def _batch_get(self, keys_by_table: Mapping[str, list[tuple[str, str | None]]]) -> dict[str, Item]:
        def key(pk: str, sk: str | None) -> dict[str, Any]:
            return {"pk": {"S": pk}, **({"sk": {"S": sk}} if sk is not None else {})}

        request: Any = {
            table: {"Keys": [key(pk, sk) for pk, sk in wanted], "ConsistentRead": True}
            for table, wanted in keys_by_table.items()
        }
        found: dict[str, Item] = {}
        if not request:  # nothing to look up (DynamoDB refuses an empty BatchGetItem)
            return found
        for _ in range(_MAX_UNPROCESSED_ROUNDS):
            answer = call_dynamodb(self._client.batch_get_item, RequestItems=request)
            for table_items in answer.get("Responses", {}).values():
                for item in table_items:
                    found[item["pk"]["S"]] = item
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise StoreBusy("BatchGetItem left keys unprocessed")

    def insert_conversation(self, new: NewConversation, now_ms: int) -> None:
        state, details = new.conversation.state, new.conversation.details
        tenant, conversation_id = state.tenant, state.conversation_id
        actions: list[Any] = [
            # Present already means botocore retried a transaction that had in fact succeeded.
            _put_new(self._table, items.state_item(state)),
            _put_new(self._table, items.details_item(tenant, conversation_id, details)),
        ]
        if details.start_message is not None and details.start_message_id is not None:
            message = items.start_message_item(
                tenant, conversation_id, int(details.start_message_id), details.start_message
            )
            actions.append(_put_new(self._table, message))
        lock_index = holder_index = email_index = phone_index = -1
        fingerprint = new.fingerprint
        if fingerprint is not None and state.expires_at_ms is not None:
            lock_index = len(actions)
            lock = items.active_lock_item(
                tenant, fingerprint, ActiveLock(conversation_id, state.expires_at_ms)
            )
            actions.append(changes.take_lock(self._table, lock, new.replaced_lock))
            if new.replaced_lock is not None:
                # In the same transaction: no conversation stays "open" in storage once another replaced it.
                holder_index = len(actions)
                replaced = new.replaced_lock.conversation_id
                holder = changes.holder_timeout(self._table, tenant, replaced, now_ms, self._retention_s)
                actions.append({"Update": holder})
        if new.new_contact is not None:
            contact = new.new_contact
            actions.append(_put_new(self._contacts, items.contact_item(tenant, contact, now_ms)))
            if new.email is not None:
                email_index = len(actions)
                lookup = items.contact_lookup_item(
                    keys.email_key(tenant, new.email), items.KIND_EMAIL_LOOKUP, contact
                )
                actions.append(_put_new(self._contacts, lookup))
            if new.phone is not None:
                phone_index = len(actions)
                lookup = items.contact_lookup_item(
                    keys.phone_key(tenant, new.phone), items.KIND_PHONE_LOOKUP, contact
                )
                actions.append(_put_new(self._contacts, lookup))
        try:
            call_dynamodb(self._client.transact_write_items, TransactItems=actions)
        except ClientError as error:
            cancellation = Cancellation.of(error)
            if cancellation is None:
                raise
            lock_item = cancellation.item(lock_index)
            holder_item = cancellation.item(holder_index)
            email_item, phone_item = cancellation.item(email_index), cancellation.item(phone_index)
            raise WriteRejected(
                already_written=cancellation.failed(0),
                conflict=cancellation.conflict,
                lock_checked=cancellation.failed(lock_index),
                lock=items.active_lock_from_item(lock_item) if lock_item else None,
                holder=items.state_from_item(holder_item) if holder_item else None,
                email_contact=items.contact_from_item(email_item) if email_item else None,
                phone_contact=items.contact_from_item(phone_item) if phone_item else None,
            ) from error

    # -------------------------------------------------------------- transitions

    def apply(self, change: Change) -> ConversationState | None:
        """One transaction: the state's transition and what it does to the customer's lock. A transition
        that leaves the lock alone is a single UpdateItem, which also returns the new state."""
        update = changes.state_update(self._table, change, self._retention_s)
        locks = changes.lock_actions(self._table, change, self._retention_s)
        if not locks and change.message is None:
            return self._update(update)
        actions: list[Any] = [{"Update": update}, *locks]
        if change.message is not None:
            actions.append(
                activities.put_message(self._table, change.tenant, change.conversation_id, change.message)
            )
        try:
            call_dynamodb(self._client.transact_write_items, TransactItems=actions)
        except ClientError as error:
            cancellation = Cancellation.of(error)
            if cancellation is None:
                raise
            raise _refusal(cancellation, change.transition.effect is Effect.TAKE) from error
        return None

    # -------------------------------------------------------------- activities

    def record(self, write: ActivityWrite) -> None:
        """An activity: the state's counter (deadline, outbox) and, for a message, its transcript item, in one
        transaction; ChangeRefused (with the stored state) when the conversation does not take it."""
        update = activities.state_update(self._table, write)
        if write.message is None:
            self._update(update, read_back=False)
            return
        message = activities.put_message(self._table, write.tenant, write.conversation_id, write.message)
        try:
            call_dynamodb(self._client.transact_write_items, TransactItems=[{"Update": update}, message])
        except ClientError as error:
            cancellation = Cancellation.of(error)
            if cancellation is None:
                raise
            raise _activity_refusal(cancellation) from error

    def transcript(
        self,
        tenant: Tenant,
        conversation_id: str,
        since_ms: int | None,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Transcript:
        """One page of messages, oldest first. The first page (no start, no since) also reads the state, which
        sorts just before the messages: that tells an empty transcript from an unknown conversation."""
        pk = keys.conversation_key(tenant, conversation_id)
        lower = keys.STATE if start is None and since_ms is None else keys.message_sort_key(since_ms or 0)
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lower AND :upper",
            "ExpressionAttributeValues": {
                ":pk": {"S": pk},
                ":lower": {"S": lower},
                ":upper": {"S": keys.MESSAGE_PREFIX + "~"},
            },
            "Limit": limit + (1 if lower == keys.STATE else 0),
            "ConsistentRead": True,
        }
        if start is not None:
            request["ExclusiveStartKey"] = attribute_key(start)
        answer = call_dynamodb(self._client.query, **request)
        found = answer.get("Items", [])
        state = next((item for item in found if item["sk"]["S"] == keys.STATE), None)
        messages = [activities.message_from_item(item) for item in found if item is not state]
        exists = True if state is not None or messages else (False if lower == keys.STATE else None)
        return Transcript(messages, plain_key(answer.get("LastEvaluatedKey")), exists)

    def details(self, tenant: Tenant, conversation_id: str) -> tuple[ConversationDetails, int] | None:
        """The conversation's details and the version of its context (0 before any event changed it)."""
        answer = call_dynamodb(
            self._client.get_item,
            TableName=self._table,
            Key={"pk": {"S": keys.conversation_key(tenant, conversation_id)}, "sk": {"S": keys.DETAILS}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        if item is None:
            return None
        return items.details_from_item(item), int(item.get("contextVersion", {"N": "0"})["N"])

    def record_context(self, write: ActivityWrite, context: dict[str, ContextVariable], version: int) -> None:
        """A custom event: the state's counter, and the details' context if nobody changed it since `version`
        was read (else ChangeRefused, conflict: read and merge again)."""
        key = {
            "pk": {"S": keys.conversation_key(write.tenant, write.conversation_id)},
            "sk": {"S": keys.DETAILS},
        }
        details_update = {
            "TableName": self._table,
            "Key": key,
            "ConditionExpression": "attribute_exists(pk) AND "
            + ("attribute_not_exists(contextVersion)" if version == 0 else "contextVersion = :version"),
            "UpdateExpression": "SET context = :context, contextVersion = :next",
            "ExpressionAttributeValues": {
                ":context": {"S": context_json(context)},
                ":next": {"N": str(version + 1)},
                **({":version": {"N": str(version)}} if version else {}),
            },
        }
        actions: list[Any] = [
            {"Update": activities.state_update(self._table, write)},
            {"Update": details_update},
        ]
        try:
            call_dynamodb(self._client.transact_write_items, TransactItems=actions)
        except ClientError as error:
            cancellation = Cancellation.of(error)
            if cancellation is None:
                raise
            raise _activity_refusal(cancellation) from error

    def exists(self, tenant: Tenant, conversation_id: str) -> bool:
        answer = call_dynamodb(
            self._client.get_item,
            TableName=self._table,
            Key={"pk": {"S": keys.conversation_key(tenant, conversation_id)}, "sk": {"S": keys.STATE}},
            ProjectionExpression="pk",
            ConsistentRead=True,
        )
        return "Item" in answer

    def _update(self, update: dict[str, Any], *, read_back: bool = True) -> ConversationState | None:
        try:
            answer = call_dynamodb(
                self._client.update_item, **update, ReturnValues="ALL_NEW" if read_back else "NONE"
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            old: Item | None = error.response.get("Item")  # type: ignore[assignment]  # ALL_OLD
            raise _refused_by_state(old) from error
        return items.state_from_item(answer["Attributes"]) if read_back else None


def _refused_by_state(state: Item | None) -> ChangeRefused:
    """The state's own condition failed: the refusal carries the state as it stands (None: no such one)."""
    return ChangeRefused(items.state_from_item(state) if state else None, missing=state is None)


def _activity_refusal(cancellation: Cancellation) -> ChangeRefused:
    """An activity's transaction (the state's update first): refused by the state, or a conflict to retry."""
    if cancellation.failed(0):
        return _refused_by_state(cancellation.item(0))
    return ChangeRefused(conflict=True)


def _refusal(cancellation: Cancellation, takes_lock: bool) -> ChangeRefused:
    if cancellation.failed(0):
        return _refused_by_state(cancellation.item(0))
    if cancellation.conflict:
        return ChangeRefused(conflict=True)
    if not takes_lock:
        # The state was as assumed, yet freeing or keeping its lock failed: an open or active conversation
        # always owns its lock (both change in one transaction only), so this is a broken invariant.
        raise RuntimeError("the conversation's active lock is not its own")
    # Actions 1 (the lock taken) and 2 (its expired holder's timeout, when taking over): what they found.
    lock, holder = cancellation.item(1), cancellation.item(2)
    return ChangeRefused(
        lock=items.active_lock_from_item(lock) if lock else None,
        holder=items.state_from_item(holder) if holder else None,
    )


def _put_new(table: str, item: Item) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }
