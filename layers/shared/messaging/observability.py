"""The one place that creates the Logger and Metrics (service and namespace come from the template's env).

No Powertools Tracer: it adds ~200 ms to a cold start (measured here); Lambda's own active tracing
(`Tracing: Active` in the template) still traces every invocation and its AWS SDK calls' timing.
"""

from __future__ import annotations

from enum import StrEnum

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from messaging.domain.conversation import ContactMatch, CreateOutcome

logger = Logger()
metrics = Metrics()


class Metric(StrEnum):
    """Every metric the API emits (EMF, namespace MessagingApi, the service as the only dimension)."""

    CONVERSATIONS_CREATED = "ConversationsCreated"
    CONVERSATIONS_REUSED = "ConversationsReused"
    CONVERSATIONS_CLOSED = "ConversationsClosed"
    CONVERSATIONS_TIMED_OUT = "ConversationsTimedOut"
    CONVERSATION_EVENTS = "ConversationEvents"
    ACTIVITIES = "Activities"
    WEBHOOKS_ENQUEUED = "WebhooksEnqueued"
    WEBHOOKS_DELIVERED = "WebhooksDelivered"
    WEBHOOKS_DEFERRED = "WebhooksDeferred"
    CONTACTS_MATCHED = "ContactsMatched"
    CONTACTS_CREATED = "ContactsCreated"
    CONTACTS_AMBIGUOUS = "ContactsAmbiguous"
    VALIDATION_FAILURES = "ValidationFailures"
    IDEMPOTENT_REPLAYS = "IdempotentReplays"


_CONTACT_METRICS: dict[str, Metric] = {
    ContactMatch.MATCHED: Metric.CONTACTS_MATCHED,
    ContactMatch.CREATED: Metric.CONTACTS_CREATED,
    ContactMatch.AMBIGUOUS: Metric.CONTACTS_AMBIGUOUS,
}


def count(metric: Metric, value: int = 1) -> None:
    if value:
        metrics.add_metric(name=metric.value, unit=MetricUnit.Count, value=value)


def record_create_metrics(outcome: CreateOutcome) -> None:
    """Counts and logs a create's outcome: ids and categories only, never the customer's data."""
    logger.append_keys(conversation_id=outcome.conversation_id)
    if outcome.replayed:
        count(Metric.IDEMPOTENT_REPLAYS)
        logger.info("idempotent replay of a create")
        return
    count(Metric.CONVERSATIONS_CREATED if outcome.is_new else Metric.CONVERSATIONS_REUSED)
    if outcome.contact_match in _CONTACT_METRICS:
        count(_CONTACT_METRICS[outcome.contact_match])
    message = "conversation created" if outcome.is_new else "active conversation returned"
    logger.info(message, extra={"contact_match": outcome.contact_match})
