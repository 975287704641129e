"""How a batch's outcome is read (ReportBatchItemFailures) and what a stream then retries or gives up."""

from datetime import UTC, datetime
from typing import Any

import pytest

from local.event_sources.batches import Batch, Outcome
from local.event_sources.invoker import Invoker, batch_item_failures
from local.event_sources.retries import Attempt, RetryPolicy, after_invocation
from local.event_sources.stream_records import lambda_record

IDS = ("1", "2", "3")


def record(sequence: str) -> dict[str, Any]:
    return {"dynamodb": {"SequenceNumber": sequence}}


RECORDS = tuple(record(sequence) for sequence in IDS)


@pytest.mark.parametrize("answer", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}, "ok"])
def test_no_reported_failures_is_a_success(answer: Any) -> None:
    assert batch_item_failures(answer, IDS).succeeded


def test_reported_failures_are_the_failed_items_in_batch_order() -> None:
    answer = {"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}
    assert batch_item_failures(answer, IDS) == Outcome(failed=("2", "3"), result=answer)


@pytest.mark.parametrize(
    "failures",
    [[{"itemIdentifier": "9"}], [{"itemIdentifier": ""}], [{"itemIdentifier": None}], [{"id": "1"}], "1"],
)
def test_an_invalid_failure_report_fails_the_whole_batch(failures: Any) -> None:
    outcome = batch_item_failures({"batchItemFailures": failures}, IDS)
    assert outcome.failed == IDS and outcome.error is not None


def test_an_exception_fails_the_whole_batch_and_without_the_setting_the_answer_is_ignored() -> None:
    def explode(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("boom")

    def report_all(event: dict[str, Any], context: Any) -> Any:
        return {"batchItemFailures": [{"itemIdentifier": "1"}]}

    batch = Batch({"Records": []}, IDS)
    failed = Invoker("Fn", explode, report_batch_item_failures=True)(batch)
    assert failed.failed == IDS and "boom" in (failed.error or "")
    assert Invoker("Fn", report_all)(batch).succeeded


def test_a_partial_failure_is_retried_from_the_first_failed_record() -> None:
    decision = after_invocation(RetryPolicy(2), Attempt(RECORDS), Outcome(failed=("2", "3")))
    assert decision.retry == (Attempt(RECORDS[1:], retries=1),) and not decision.give_up


def test_a_function_error_is_retried_whole_or_bisected() -> None:
    error = Outcome(failed=IDS, error="boom")
    assert after_invocation(RetryPolicy(2), Attempt(RECORDS), error).retry == (Attempt(RECORDS, 1),)
    halves = after_invocation(RetryPolicy(2, bisect_on_function_error=True), Attempt(RECORDS), error).retry
    assert halves == (Attempt(RECORDS[:1], 1), Attempt(RECORDS[1:], 1))


def test_records_are_given_up_once_the_retries_are_spent_and_never_with_minus_one() -> None:
    outcome = Outcome(failed=("2",))
    decision = after_invocation(RetryPolicy(2), Attempt(RECORDS, retries=2), outcome)
    assert (decision.retry, decision.give_up, decision.retries) == ((), RECORDS[1:], 2)
    assert after_invocation(RetryPolicy(-1), Attempt(RECORDS, retries=10_000), outcome).retry
    assert after_invocation(RetryPolicy(0), Attempt(RECORDS), outcome).give_up == RECORDS[1:]


def test_a_success_settles_the_batch() -> None:
    assert after_invocation(RetryPolicy(2), Attempt(RECORDS), Outcome()) == after_invocation(
        RetryPolicy(0), Attempt(RECORDS), Outcome(result={"batchItemFailures": []})
    )


def test_stream_records_take_lambdas_shape_json_safe() -> None:
    raw = {
        "eventID": "e",
        "eventName": "INSERT",
        "awsRegion": "ddblocal",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2030, 1, 1, tzinfo=UTC),
            "NewImage": {"b": {"B": b"\x00\x01"}, "bs": {"BS": [b"\xff"]}},
            "SequenceNumber": "5",
        },
    }
    converted = lambda_record(raw, "arn:s")
    assert converted["awsRegion"] == "us-east-1" and converted["eventSourceARN"] == "arn:s"
    assert converted["dynamodb"]["ApproximateCreationDateTime"] == 1893456000.0
    assert converted["dynamodb"]["NewImage"] == {"b": {"B": "AAE="}, "bs": {"BS": ["/w=="]}}
    assert "userIdentity" not in converted
