"""Consumes the webhook queue (SQS FIFO): posts each activity to its tenant's webhook, signed; a failure goes
back to the queue with an exponential backoff (the queue's redrive policy ends it in the dead-letter queue
after at least 24 h of retries)."""

from __future__ import annotations

from typing import Any

from messaging import wiring
from messaging.observability import Metric, count, logger, metrics
from messaging.store.outbox import outgoing_from_body
from messaging.usecases.webhooks import queued_from_sqs

deliver_webhooks = wiring.deliver_webhooks()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    batch = [
        queued_from_sqs(record, outgoing_from_body(record["body"])) for record in event.get("Records", [])
    ]
    failed = deliver_webhooks(batch)
    count(Metric.WEBHOOKS_DELIVERED, len(batch) - len(failed))
    count(Metric.WEBHOOKS_DEFERRED, len(failed))
    if failed:
        logger.info("deliveries deferred", extra={"deferred": len(failed), "batch": len(batch)})
    return {"batchItemFailures": [{"itemIdentifier": record_id} for record_id in failed]}
