"""Consumes the conversations table's stream: every state image with an outbox entry (a state change, a
representative's message or typing) is enqueued, in order, on the webhook queue (SQS FIFO, one message
group per conversation).

Not Powertools' batch processor: it handles records one by one, and enqueuing ten at a time (SendMessageBatch)
is a tenth of the requests; a partial failure reports the first failed record, from which Lambda retries.
"""

from __future__ import annotations

from typing import Any

from messaging import wiring
from messaging.observability import Metric, count, logger, metrics
from messaging.store.outbox import outgoing_of

dispatch_webhooks = wiring.dispatch_webhooks()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    records = event.get("Records", [])
    pending = [
        (record, outgoing)
        for record in records
        if (outgoing := outgoing_of(record.get("dynamodb", {}).get("NewImage") or {})) is not None
    ]
    failed = dispatch_webhooks([outgoing for _, outgoing in pending]) if pending else None
    if failed is None:
        count(Metric.WEBHOOKS_ENQUEUED, len(pending))
        return {"batchItemFailures": []}
    count(Metric.WEBHOOKS_ENQUEUED, failed)
    first = pending[failed][0]
    logger.warning(
        "enqueuing stopped; the stream retries from it",
        extra={"sequence": first["dynamodb"]["SequenceNumber"]},
    )
    return {"batchItemFailures": [{"itemIdentifier": first["dynamodb"]["SequenceNumber"]}]}
