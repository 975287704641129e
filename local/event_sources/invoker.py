"""Runs a function for one batch, in its execution environments, and says which items failed.

With ReportBatchItemFailures (a setting of the event source mapping, so one invoker per source), the answer
is read as Lambda reads it: no answer, no `batchItemFailures` or an empty list is a success; each entry
names a failed item by `itemIdentifier`; an entry without one, or naming an item not in the batch, fails
the whole batch. Without that setting the answer is ignored. A function that raises (or whose environment
dies) fails the whole batch either way.
"""

import sys
import traceback
from typing import Any

from local.event_sources.batches import Batch, Outcome
from local.events import lambda_context
from local.execution_environments import InvocationError
from local.lambda_runtime import Handler


class Invoker:
    def __init__(
        self,
        function_id: str,
        handler: Handler,
        *,
        timeout_seconds: float = 3.0,
        report_batch_item_failures: bool = False,
    ) -> None:
        self.function_id = function_id
        self._handler = handler
        self._timeout_seconds = timeout_seconds
        self._report_batch_item_failures = report_batch_item_failures

    def __call__(self, batch: Batch) -> Outcome:
        context = lambda_context(self.function_id, timeout_seconds=self._timeout_seconds)
        try:
            result = self._handler(batch.event, context)
        except InvocationError as error:  # in a worker: its traceback is already on stderr
            return Outcome(failed=batch.item_ids, error=str(error))
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            return Outcome(failed=batch.item_ids, error=f"{self.function_id} failed: {error!r}")
        if not self._report_batch_item_failures:
            return Outcome(result=result)
        return batch_item_failures(result, batch.item_ids)


def batch_item_failures(result: Any, item_ids: tuple[str, ...]) -> Outcome:
    """A ReportBatchItemFailures answer as Lambda reads it (failed ids in batch order)."""
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return Outcome(result=result)
    if not isinstance(failures, list):
        return _whole_batch(item_ids, result, "batchItemFailures is not a list")
    named: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in item_ids:
            return _whole_batch(item_ids, result, f"invalid batch item failure {failure!r}")
        named.add(identifier)
    return Outcome(failed=tuple(item for item in item_ids if item in named), result=result)


def _whole_batch(item_ids: tuple[str, ...], result: Any, why: str) -> Outcome:
    return Outcome(failed=item_ids, error=f"{why}: the whole batch counts as failed", result=result)
