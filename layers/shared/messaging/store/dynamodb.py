"""The DynamoDB implementation of `ConversationStore`: conditions and transactions, nothing about HTTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from messaging.conversation_ids import customer_fingerprint
from messaging.domain import ActiveLock, Tenant
from messaging.errors import StoreBusy
from messaging.store import items, keys
from messaging.store.protocol import CreateSnapshot, NewConversation, WriteRejected

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Errors that mean "DynamoDB is busy or unreachable", left after botocore's own retries: the caller may retry.
_BUSY_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
_MAX_UNPROCESSED_ROUNDS = 5


def call_dynamodb[T](operation: Callable[..., T], /, **kwargs: Any) -> T:
    """Runs one DynamoDB call, turning exhaustion of the retry budget into the domain's StoreBusy."""
    try:
        return operation(**kwargs)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _BUSY_CODES:
            raise StoreBusy(str(error)) from error
        raise
    except (ConnectionError, HTTPClientError) as error:  # timeouts, refused or reset connections
        raise StoreBusy(str(error)) from error


class DynamoDBConversationStore:
    def __init__(
        self, client: DynamoDBClient, conversations_table: str, contacts_table: str, retention_s: int
    ):
        self._client = client
        self._conversations = conversations_table
        self._contacts = contacts_table
        self._retention_s = retention_s

    # -------------------------------------------------------------- create

    def read_for_create(
        self, tenant: Tenant, customerid: str | None, email: str | None, phone: str | None
    ) -> CreateSnapshot:
        wanted: dict[str, list[str]] = {self._conversations: [], self._contacts: []}
        lock_pk = keys.active_lock_key(tenant, customer_fingerprint(customerid)) if customerid else None
        email_pk = keys.email_key(tenant, email) if email is not None else None
        phone_pk = keys.phone_key(tenant, phone) if phone is not None else None
        if lock_pk:
            wanted[self._conversations].append(lock_pk)
        wanted[self._contacts] += [pk for pk in (email_pk, phone_pk) if pk]
        found = self._batch_get({table: pks for table, pks in wanted.items() if pks})
        lock = found.get(lock_pk) if lock_pk else None
        email_item = found.get(email_pk) if email_pk else None
        phone_item = found.get(phone_pk) if phone_pk else None
        return CreateSnapshot(
            lock=items.active_lock_from_item(lock) if lock else None,
            email_contact=items.contact_from_item(email_item) if email_item else None,
            phone_contact=items.contact_from_item(phone_item) if phone_item else None,
        )

    def _batch_get(self, pks_by_table: Mapping[str, list[str]]) -> dict[str, items.Item]:
        request: Any = {
            table: {"Keys": [{"pk": {"S": pk}} for pk in pks], "ConsistentRead": True}
            for table, pks in pks_by_table.items()
        }
        found: dict[str, items.Item] = {}
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
        conversation = new.conversation
        tenant = conversation.tenant
        actions: list[Any] = [
            {
                "Put": {
                    "TableName": self._conversations,
                    "Item": items.conversation_item(
                        conversation, items.purge_time(conversation.expires_at_ms, self._retention_s)
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    # Present already means botocore retried a transaction that had in fact succeeded.
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        ]
        lock_index = email_index = phone_index = -1
        customerid = conversation.customer.customerid
        if customerid is not None:
            lock_index = len(actions)
            actions.append(self._lock_put(tenant, customerid, new))
            if new.replaced_lock is not None:
                # In the same transaction: no conversation stays "open" in storage once another replaced it.
                replaced = new.replaced_lock.conversation_id
                actions.append({"Update": items.timeout_close(self._conversations, tenant, replaced, now_ms)})
        if new.new_contact is not None:
            contact = new.new_contact
            actions.append(self._put_new(self._contacts, items.contact_item(tenant, contact, now_ms)))
            if new.email is not None:
                email_index = len(actions)
                pk = keys.email_key(tenant, new.email)
                actions.append(self._put_new(self._contacts, items.contact_lookup_item(pk, "email", contact)))
            if new.phone is not None:
                phone_index = len(actions)
                pk = keys.phone_key(tenant, new.phone)
                actions.append(self._put_new(self._contacts, items.contact_lookup_item(pk, "phone", contact)))
        try:
            call_dynamodb(self._client.transact_write_items, TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            raise _rejection(error, lock_index, email_index, phone_index) from error

    def _lock_put(self, tenant: Tenant, customerid: str, new: NewConversation) -> dict[str, Any]:
        conversation = new.conversation
        lock = items.active_lock_item(
            tenant,
            ActiveLock(customerid, conversation.conversation_id, conversation.expires_at_ms),
        )
        put: dict[str, Any] = {
            "TableName": self._conversations,
            "Item": lock,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if new.replaced_lock is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            # Take over exactly the expired lock we saw; any other writer in between makes us look again.
            put["ConditionExpression"] = "conversationId = :replaced"
            put["ExpressionAttributeValues"] = {":replaced": {"S": new.replaced_lock.conversation_id}}
        return {"Put": put}

    @staticmethod
    def _put_new(table: str, item: items.Item) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }


def _rejection(error: ClientError, lock_index: int, email_index: int, phone_index: int) -> WriteRejected:
    reasons: list[Any] = list(error.response.get("CancellationReasons", []))

    def failed(index: int) -> tuple[bool, items.Item | None]:
        if index < 0 or index >= len(reasons):
            return False, None
        reason = reasons[index]
        return reason.get("Code") == "ConditionalCheckFailed", reason.get("Item")

    written, _ = failed(0)
    lock_failed, lock_item = failed(lock_index)
    _, email_item = failed(email_index)
    _, phone_item = failed(phone_index)
    return WriteRejected(
        already_written=written,
        conflict=any(r.get("Code") not in (None, "None", "ConditionalCheckFailed") for r in reasons),
        lock_checked=lock_failed,
        lock=items.active_lock_from_item(lock_item) if lock_item else None,
        email_contact=items.contact_from_item(email_item) if email_item else None,
        phone_contact=items.contact_from_item(phone_item) if phone_item else None,
    )
