"""An SQS event source mapping, emulated: receive a batch from the local queue engine, invoke the function,
delete what succeeded.

As Lambda's poller: a batch of up to BatchSize messages with their attributes (ApproximateReceiveCount,
MessageGroupId…); with ReportBatchItemFailures the named messages stay in the queue (visible again when
their visibility timeout ends: the function may set it, as our delivery does for its backoff), the others are
deleted; a function error leaves the whole batch. FIFO order, receive counts and the redrive to the
dead-letter queue are the queue engine's own. No long polling (the engine serves one request at a time): an
empty receive waits a short poll interval here.
"""

import hashlib
import threading
from typing import TYPE_CHECKING, Any

from local.event_sources.batches import Batch, Outcome
from local.event_sources.definitions import QueueDefinition

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_POLL_SECONDS = 0.25


class SqsQueueSource:
    def __init__(
        self, definition: QueueDefinition, client: "SQSClient", queue_url: str, queue_arn: str
    ) -> None:
        self.function_id = definition.function_id
        self._definition = definition
        self._client = client
        self._url = queue_url
        self._arn = queue_arn

    def describe(self) -> str:
        d = self._definition
        failures = ", ReportBatchItemFailures" if d.report_batch_item_failures else ""
        return f"{d.function_id}.{d.event_name}: SQS {self._url} (batches of {d.batch_size}{failures})"

    def start(self) -> None:
        """Nothing to position: a queue hands out what it holds."""

    def next_batch(self, stop: threading.Event) -> Batch | None:
        answer = self._client.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=min(self._definition.batch_size, 10),
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            stop.wait(_POLL_SECONDS)
            return None
        records = [self._record(dict(message)) for message in messages]
        return Batch(
            event={"Records": records},
            item_ids=tuple(record["messageId"] for record in records),
            context={record["messageId"]: record["receiptHandle"] for record in records},
        )

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        body = str(message["Body"])
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": dict(message.get("Attributes") or {}),
            "messageAttributes": dict(message.get("MessageAttributes") or {}),
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": "us-east-1",
        }

    def settle(self, batch: Batch, outcome: Outcome) -> None:
        if outcome.error is not None:
            return  # the whole batch becomes visible again when its visibility timeout ends
        failed = set(outcome.failed)
        receipts: dict[str, str] = batch.context
        done = [(message_id, handle) for message_id, handle in receipts.items() if message_id not in failed]
        for start in range(0, len(done), 10):
            entries: Any = [
                {"Id": str(index), "ReceiptHandle": handle}
                for index, (_, handle) in enumerate(done[start : start + 10])
            ]
            self._client.delete_message_batch(QueueUrl=self._url, Entries=entries)
