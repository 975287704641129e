"""The webhook pipeline on the local engines, run the way Lambda runs it (README, Webhooks).

DynamoDB Local's stream of the conversations table → DispatchWebhooksFunction → the webhook queue (SQS FIFO on
the local queue engine, created from template.yaml with its redrive policy) → DeliverWebhooksFunction → a
`local.webhook_receiver.WebhookReceiver` on 127.0.0.1. The event source mappings are the dev server's own
emulation (`local.event_sources`: the template's filter, batch size, batching window, retries and
ReportBatchItemFailures for the stream; Lambda's SQS records and deletion of what succeeded for the queue),
and both functions run in execution environments of their own (worker processes,
`local.execution_environments`), which a test may kill as Lambda's would die. `deliver_pollers` > 1 runs
several deliveries at once, as Lambda scales an SQS FIFO mapping out over the queue's active message groups.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from local.dynamodb_local import dynamodb_client, dynamodb_streams_client
from local.event_sources.batches import EventSource
from local.event_sources.definitions import read_definitions
from local.event_sources.dynamodb_stream import DynamoDBStreamSource
from local.event_sources.invoker import Invoker
from local.event_sources.on_failure import OnFailureDestination
from local.event_sources.runner import EventSources
from local.event_sources.sqs import SqsQueueSource
from local.execution_environments import ExecutionEnvironments
from local.sqs_local import sqs_client
from local.webhook_receiver import Delivery
from tests.api import CONSUMER, REPRESENTATIVE, InProcessApi
from tests.harness import REPO, TEMPLATE
from tests.local.event_source_app import eventually

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["Queues", "Tenant", "WebhookPipeline", "eventually", "has_all", "received"]

DISPATCH = "DispatchWebhooksFunction"
DELIVER = "DeliverWebhooksFunction"
FUNCTIONS = REPO / "functions"


@dataclass(frozen=True)
class Queues:
    """The test's webhook queue and its dead-letter queue on the local queue engine."""

    endpoint: str
    url: str
    dead_letter_url: str

    @property
    def client(self) -> SQSClient:
        return sqs_client(self.endpoint)

    def parked(self) -> int:
        """How many activities wait in the dead-letter queue (visible or not)."""
        attributes = self.client.get_queue_attributes(
            QueueUrl=self.dead_letter_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )


@dataclass(frozen=True)
class Code:
    """A function's code as Lambda finds it: the folder (CodeUri) and `module.function` (Handler)."""

    folder: Path
    handler: str = "app.lambda_handler"


class WebhookPipeline:
    """Dispatch and delivery, polled from start() to stop(), each function in processes of its own."""

    def __init__(
        self,
        dynamodb_endpoint: str,
        tables: dict[str, str],
        queues: Queues,
        on_failure_dir: Path,
        *,
        deliver_pollers: int = 1,
        dispatch: Code = Code(FUNCTIONS / "dispatch_webhooks"),
        deliver: Code = Code(FUNCTIONS / "deliver_webhooks"),
    ) -> None:
        definitions = read_definitions(TEMPLATE)
        stream = next(s for s in definitions.streams if s.function_id == DISPATCH)
        queue = next(q for q in definitions.queues if q.function_id == DELIVER)
        self.dispatch = ExecutionEnvironments(dispatch.folder, dispatch.handler, DISPATCH, 1)
        # As many environments as pollers: each poller's batch runs in an environment of its own.
        self.deliver = ExecutionEnvironments(deliver.folder, deliver.handler, DELIVER, deliver_pollers)
        self.deliveries = Recorder(self.deliver)
        table = dynamodb_client(dynamodb_endpoint).describe_table(TableName=tables["ConversationsTable"])
        stream_arn = table["Table"]["LatestStreamArn"]
        destination = OnFailureDestination(
            DISPATCH, stream.on_failure, stream.on_failure_type, on_failure_dir
        )
        sqs = queues.client
        queue_arn = sqs.get_queue_attributes(QueueUrl=queues.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.dispatches = Recorder(self.dispatch)
        dispatcher = Invoker(DISPATCH, self.dispatches, timeout_seconds=60, report_batch_item_failures=True)
        deliverer = Invoker(DELIVER, self.deliveries, timeout_seconds=30, report_batch_item_failures=True)
        sources: list[tuple[EventSource, Invoker]] = [
            (
                DynamoDBStreamSource(
                    stream, dynamodb_streams_client(dynamodb_endpoint), stream_arn, destination
                ),
                dispatcher,
            )
        ]
        sources += [
            (SqsQueueSource(queue, sqs, queues.url, queue_arn), deliverer) for _ in range(deliver_pollers)
        ]
        self._sources = EventSources(sources)

    def start(self) -> Self:
        self._sources.start()
        return self

    def stop(self) -> None:
        self._sources.request_stop()  # an invocation cut short by the stop is not settled
        self.dispatch.close()
        self.deliver.close()
        self._sources.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class Recorder:
    """Passes invocations on to a function's environments and keeps what each returned (or that it died)."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], Any]) -> None:
        self._handler = handler
        self._lock = threading.Lock()
        self.results: list[Any] = []  # an answer, or the exception that ended the invocation

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        try:
            result = self._handler(event, context)
        except Exception as error:
            with self._lock:
                self.results.append(error)
            raise
        with self._lock:
            self.results.append(result)
        return result

    def failed_invocations(self) -> int:
        """How many invocations so far left records to be retried (reported as failed, or by dying)."""
        with self._lock:
            return sum(not isinstance(r, dict) or bool(r.get("batchItemFailures")) for r in self.results)


# ------------------------------------------------------------------------ what the business receives


@dataclass(frozen=True, order=True)
class Expected:
    """An activity the business must receive: its id (the conversation's order) and what it is."""

    message_id: int
    kind: str  # event | message | typing
    name: str | None = None  # an event's name

    def webhook_id(self, conversation_id: str) -> str:
        return f"{conversation_id}-{self.message_id}"


def received(deliveries: list[Delivery], conversation_id: str) -> list[Expected]:
    """A conversation's deliveries as the business sees them once it dropped repeats of a webhook-id."""
    seen: set[str] = set()
    activities: list[Expected] = []
    for delivery in deliveries:
        if delivery.conversation_id != conversation_id or delivery.webhook_id in seen:
            continue
        seen.add(delivery.webhook_id)
        activity = delivery.activity
        assert delivery.webhook_id == f"{conversation_id}-{activity['id']}", delivery
        activities.append(Expected(int(activity["id"]), activity["type"], activity.get("name")))
    return activities


def has_all(conversation_id: str, expected: list[Expected]) -> Callable[[list[Delivery]], bool]:
    """For WebhookReceiver.wait_for: every expected webhook-id of the conversation arrived."""
    wanted = {e.webhook_id(conversation_id) for e in expected}
    return lambda deliveries: wanted <= {d.webhook_id for d in deliveries}


# ------------------------------------------------------------------------ a tenant's side of the API


class Tenant:
    """One tenant: its webhook (PUT /channel) and conversations driven over the in-process API."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.api = InProcessApi(name)

    def set_webhook(self, url: str) -> str:
        """Registers the webhook; returns the signing secret the receiver verifies with."""
        answer = self.api.call("PUT", f"{CONSUMER}/channel", {"webhookUrl": url})
        assert answer.status == 200, answer.body
        secret: str = answer.body["signingSecret"]
        return secret

    def start(self, customerid: str) -> str:
        return self.api.start(customerid)

    def event(self, conversation_id: str, name: str) -> Expected:
        """A representative's event of the state table; the webhook event it must produce."""
        answer = self.api.event(conversation_id, name, representative="rep-7")
        assert answer.status == 200, answer.body
        return Expected(int(answer.body["messageId"]), "event", _EVENT_NAMES[name])

    def say(self, conversation_id: str, text: str) -> Expected:
        """A representative's message."""
        body = {"type": "message", "text": text, "from": {"id": "rep-7", "name": "Rep-7"}}
        answer = self.api.call("POST", f"{REPRESENTATIVE}/conversation/{conversation_id}", body)
        assert answer.status == 200, answer.body
        return Expected(int(answer.body["messageId"]), "message")

    def type(self, conversation_id: str) -> Expected:
        """The representative is typing."""
        body = {"type": "typing", "from": {"id": "rep-7"}}
        answer = self.api.call("POST", f"{REPRESENTATIVE}/conversation/{conversation_id}", body)
        assert answer.status == 200, answer.body
        return Expected(int(answer.body["messageId"]), "typing")

    def customer_says(self, conversation_id: str, text: str) -> None:
        """A customer's message: stored, never sent to the business's own webhook."""
        path = f"{CONSUMER}/conversation/{conversation_id}"
        answer = self.api.call("POST", path, {"type": "message", "text": text})
        assert answer.status == 200, answer.body

    def lifecycle(self, conversation_id: str) -> list[Expected]:
        """Several state changes and representative messages (and customer ones, not delivered)."""
        return [
            self.event(conversation_id, "accept"),
            self.say(conversation_id, "Hello, how can I help?"),
            self.type(conversation_id),
            *self._customer(conversation_id, "My order is late"),
            self.event(conversation_id, "wait"),
            self.event(conversation_id, "resume"),
            self.say(conversation_id, "It ships today."),
            self.event(conversation_id, "end"),
            self.event(conversation_id, "close"),
        ]

    def _customer(self, conversation_id: str, text: str) -> list[Expected]:
        self.customer_says(conversation_id, text)
        return []


_EVENT_NAMES = {
    "accept": "ConversationAccepted",
    "release": "ConversationReleased",
    "wait": "ConversationWaiting",
    "resume": "ConversationResumed",
    "end": "ConversationEnded",
    "close": "ConversationClosed",
}
