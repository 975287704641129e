"""The one place that creates the Logger and Metrics (service and namespace come from the template's env).

No Powertools Tracer: it adds ~200 ms to a cold start (measured here); Lambda's own active tracing
(`Tracing: Active` in the template) still traces every invocation and its AWS SDK calls' timing.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from messaging.domain import CreateOutcome

logger = Logger()
metrics = Metrics()

_CONTACT_METRICS = {
    "matched": "ContactsMatched",
    "created": "ContactsCreated",
    "ambiguous": "ContactsAmbiguous",
}


def count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def record_create_metrics(outcome: CreateOutcome) -> None:
    """Counts and logs a create's outcome: ids and categories only, never the customer's data."""
    logger.append_keys(conversation_id=outcome.conversation_id)
    if outcome.replayed:
        count("IdempotentReplays")
        logger.info("idempotent replay of a create")
        return
    count("ConversationsCreated" if outcome.is_new else "ConversationsReused")
    if outcome.contact_match in _CONTACT_METRICS:
        count(_CONTACT_METRICS[outcome.contact_match])
    message = "conversation created" if outcome.is_new else "active conversation returned"
    logger.info(message, extra={"contact_match": outcome.contact_match})
