"""What DynamoDB's errors mean to the stores (messaging/store/calls.py): a busy or unreachable DynamoDB is
StoreBusy (the API's 503, the caller may retry), any other error stays what it is; a cancelled transaction
tells, action by action, whose condition failed and what that action found; continuation keys survive the
trip through a token."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from messaging.domain.errors import StoreBusy
from messaging.store.calls import Cancellation, attribute_key, call_dynamodb, error_code, plain_key

BUSY_CODES = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
]


def _error(code: str, operation: str = "TransactWriteItems", **response: Any) -> ClientError:
    """The error botocore raises for DynamoDB's answer `code`."""
    body: Any = {"Error": {"Code": code, "Message": f"{code} happened"}, **response}
    return ClientError(body, operation)


def _failing(error: Exception) -> Any:
    def operation(**_: Any) -> Any:
        raise error

    return operation


def test_a_call_answers_what_dynamodb_answered() -> None:
    assert call_dynamodb(lambda **kwargs: {"Item": kwargs}, TableName="t") == {"Item": {"TableName": "t"}}


@pytest.mark.parametrize("code", BUSY_CODES)
def test_dynamodb_still_busy_after_botocores_retries_is_store_busy_saying_why(code: str) -> None:
    error = _error(code)
    with pytest.raises(StoreBusy) as raised:
        call_dynamodb(_failing(error))
    # the operator's log says what DynamoDB said
    assert (str(raised.value), raised.value.__cause__) == (str(error), error)


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="http://dynamodb"),
        ReadTimeoutError(endpoint_url="http://dynamodb"),
    ],
    ids=["refused", "timed out"],
)
def test_an_unreachable_dynamodb_is_store_busy_saying_why(error: Exception) -> None:
    with pytest.raises(StoreBusy) as raised:
        call_dynamodb(_failing(error))
    assert (str(raised.value), raised.value.__cause__) == (str(error), error)


@pytest.mark.parametrize(
    "code", ["ConditionalCheckFailedException", "TransactionCanceledException", "ValidationException"]
)
def test_any_other_error_stays_what_it_is(code: str) -> None:
    error = _error(code)
    with pytest.raises(ClientError) as raised:
        call_dynamodb(_failing(error))
    assert raised.value is error and error_code(raised.value) == code


def test_an_error_without_a_code_has_an_empty_one() -> None:
    assert error_code(ClientError({"Error": {"Message": "?"}}, "GetItem")) == ""
    assert error_code(ClientError({}, "GetItem")) == ""


def test_a_cancelled_transaction_tells_whose_condition_failed_and_what_it_found() -> None:
    # Given a transaction of four actions cancelled by the conditions of the first and third
    state = {"pk": {"S": "a"}, "status": {"S": "open"}}
    lock = {"pk": {"S": "b"}, "conversationId": {"S": "c"}}
    reasons = [
        {"Code": "ConditionalCheckFailed", "Item": state},
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Item": lock},
        {"Code": "None"},
    ]
    cancellation = Cancellation.of(_error("TransactionCanceledException", CancellationReasons=reasons))
    # When it is read, Then each action's part is as DynamoDB said; no other transaction was in the way
    assert cancellation is not None
    assert [cancellation.failed(index) for index in range(-1, 5)] == [False, True, False, True, False, False]
    assert [cancellation.item(index) for index in range(-1, 5)] == [None, state, None, lock, None, None]
    assert not cancellation.conflict


def test_a_condition_that_failed_without_returning_the_item_found_nothing() -> None:
    reasons = [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}]
    cancellation = Cancellation.of(_error("TransactionCanceledException", CancellationReasons=reasons))
    assert cancellation is not None and cancellation.failed(1) and cancellation.item(1) is None


def test_a_cancelled_transaction_without_reasons_has_no_failed_action_and_no_conflict() -> None:
    cancellation = Cancellation.of(_error("TransactionCanceledException"))
    assert cancellation is not None and list(cancellation.reasons) == []
    assert (cancellation.failed(0), cancellation.item(0), cancellation.conflict) == (False, None, False)


@pytest.mark.parametrize("code", ["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"])
def test_a_transaction_cancelled_by_another_is_a_conflict_worth_a_retry(code: str) -> None:
    reasons = [{"Code": "None"}, {"Code": code}]
    cancellation = Cancellation.of(_error("TransactionCanceledException", CancellationReasons=reasons))
    assert cancellation is not None and cancellation.conflict and not cancellation.failed(1)


@pytest.mark.parametrize("code", ["ConditionalCheckFailedException", "ValidationException", ""])
def test_an_error_that_is_no_cancelled_transaction_has_no_cancellation(code: str) -> None:
    assert Cancellation.of(_error(code, CancellationReasons=[{"Code": "ConditionalCheckFailed"}])) is None


def test_continuation_keys_go_through_a_token_and_back() -> None:
    stored = {"pk": {"S": "TENANT#t#CONVERSATION#1"}, "sk": {"S": "MESSAGE#0000000000042"}}
    plain = plain_key(stored)
    assert plain == {"pk": "TENANT#t#CONVERSATION#1", "sk": "MESSAGE#0000000000042"}
    assert attribute_key(plain) == stored
    assert (plain_key(None), attribute_key(None)) == (None, None)
