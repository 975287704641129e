"""Calling DynamoDB: the retry budget's end as StoreBusy, and reading a cancelled transaction's reasons.

The one place that knows DynamoDB's error codes; the stores build requests and read answers through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from messaging.domain.errors import StoreBusy

type Item = dict[str, Any]

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
_CONDITION_FAILED = "ConditionalCheckFailed"


def call_dynamodb[T](operation: Callable[..., T], /, **kwargs: Any) -> T:
    """Runs one DynamoDB call, turning exhaustion of the retry budget into the domain's StoreBusy."""
    try:
        return operation(**kwargs)
    except ClientError as error:
        if error_code(error) in _BUSY_CODES:
            raise StoreBusy(str(error)) from error
        raise
    except (ConnectionError, HTTPClientError) as error:  # timeouts, refused or reset connections
        raise StoreBusy(str(error)) from error


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def plain_key(key: Item | None) -> dict[str, str] | None:
    """A LastEvaluatedKey of string attributes as plain strings (what a continuation token carries)."""
    return None if key is None else {name: str(value["S"]) for name, value in key.items()}


def attribute_key(key: dict[str, str] | None) -> Item | None:
    """A plain key back as an ExclusiveStartKey."""
    return None if key is None else {name: {"S": value} for name, value in key.items()}


@dataclass(frozen=True, slots=True)
class Cancellation:
    """Why a TransactWriteItems was cancelled, action by action (the request's order)."""

    reasons: Sequence[Item]

    @classmethod
    def of(cls, error: ClientError) -> Cancellation | None:
        """The cancellation, or None when the error is not a cancelled transaction."""
        if error_code(error) != "TransactionCanceledException":
            return None
        reasons: list[Item] = list(error.response.get("CancellationReasons", []))  # type: ignore[arg-type]
        return cls(reasons)

    @property
    def conflict(self) -> bool:
        """Another transaction was in the way (TransactionConflict, throttling): worth a retry as is."""
        return any(reason.get("Code") not in (None, "None", _CONDITION_FAILED) for reason in self.reasons)

    def failed(self, index: int) -> bool:
        """Action `index`'s condition failed."""
        return 0 <= index < len(self.reasons) and self.reasons[index].get("Code") == _CONDITION_FAILED

    def item(self, index: int) -> Item | None:
        """What action `index` found (ALL_OLD), when its condition failed."""
        if not self.failed(index):
            return None
        found: Item | None = self.reasons[index].get("Item")
        return found
