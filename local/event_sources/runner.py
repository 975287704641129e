"""Runs the template's event sources in the dev server: one thread per source, one batch in flight each.

The loop is the same for every kind of source: take the next batch, invoke the function (in its execution
environments), hand the outcome back to the source. A batch cut short by the dev server stopping is not
settled: it is not a failure of the function, and nothing is retried or given up for it.
"""

import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local.dynamodb_local import RUN_DIR, dynamodb_client, dynamodb_streams_client
from local.event_sources.batches import EventSource
from local.event_sources.definitions import Definitions, EventSourceError
from local.event_sources.dynamodb_stream import DynamoDBStreamSource
from local.event_sources.invoker import Invoker
from local.event_sources.on_failure import OnFailureDestination
from local.event_sources.schedule import ScheduleSource
from local.event_sources.sqs import SqsQueueSource
from local.lambda_runtime import Handler
from local.sqs_local import sqs_client
from local.template import Template, function_properties

DEFAULT_ON_FAILURE_DIR = RUN_DIR / "on-failure"
_JOIN_SECONDS = 15.0
_RETRY_POLL_ERROR_SECONDS = 1.0


class EventSources:
    def __init__(self, sources: list[tuple[EventSource, Invoker]], not_run: list[str] | None = None) -> None:
        self._sources = sources
        self._not_run = not_run or []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @classmethod
    def from_template(
        cls,
        template: Template,
        definitions: Definitions,
        handlers: Mapping[str, Handler],
        *,
        dynamodb_endpoint: str,
        table_names: Mapping[str, str],
        schedule_seconds: Mapping[str, float] | None = None,
        on_failure_dir: Path = DEFAULT_ON_FAILURE_DIR,
        sqs_endpoint: str | None = None,
        queue_urls: Mapping[str, str] | None = None,
    ) -> "EventSources":
        periods = dict(schedule_seconds or {})
        sources: list[tuple[EventSource, Invoker]] = []
        for schedule in definitions.schedules:
            name = f"{schedule.function_id}.{schedule.event_name}"
            period = periods.pop(name, None) or periods.pop(schedule.function_id, None)
            if schedule.enabled:
                invoker = _invoker(template, schedule.function_id, handlers, report_failures=False)
                sources.append((ScheduleSource(schedule, period), invoker))
        if periods:
            known = [f"{s.function_id}[.{s.event_name}]" for s in definitions.schedules] or ["none"]
            raise EventSourceError(
                f"--schedule-seconds for no schedule: {', '.join(periods)} (known: {', '.join(known)})"
            )
        if definitions.streams:
            tables = dynamodb_client(dynamodb_endpoint)
            streams = dynamodb_streams_client(dynamodb_endpoint)
        for stream in definitions.streams:
            if not stream.enabled:
                continue
            table = tables.describe_table(TableName=table_names[stream.table_id])["Table"]
            destination = OnFailureDestination(
                stream.function_id, stream.on_failure, stream.on_failure_type, on_failure_dir
            )
            source = DynamoDBStreamSource(stream, streams, table["LatestStreamArn"], destination)
            invoker = _invoker(template, stream.function_id, handlers, stream.report_batch_item_failures)
            sources.append((source, invoker))
        for queue in definitions.queues:
            if not queue.enabled:
                continue
            if sqs_endpoint is None or queue_urls is None:
                raise EventSourceError(
                    f"{queue.function_id}: an SQS event source needs the local queue engine"
                )
            client = sqs_client(sqs_endpoint)
            url = queue_urls[queue.queue_id]
            arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            invoker = _invoker(template, queue.function_id, handlers, queue.report_batch_item_failures)
            sources.append((SqsQueueSource(queue, client, url, arn), invoker))
        return cls(sources, definitions.not_run)

    def describe(self) -> list[str]:
        lines = [source.describe() for source, _ in self._sources]
        return lines + [f"{event}: not run locally" for event in self._not_run]

    def start(self) -> None:
        """Each source takes its starting position here, so nothing written after start() is missed."""
        for source, _ in self._sources:
            source.start()
        for source, invoker in self._sources:
            thread = threading.Thread(
                target=self._run,
                args=(source, invoker),
                name=f"event-source-{source.function_id}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(_JOIN_SECONDS)
            if thread.is_alive():
                print(f"warning: {thread.name} is still running an invocation", file=sys.stderr)
        self._threads = []

    def _run(self, source: EventSource, invoker: Invoker) -> None:
        last_error = ""
        while not self._stop.is_set():
            try:
                batch = source.next_batch(self._stop)
            except (
                Exception
            ) as error:  # e.g. DynamoDB Local gone or a table deleted: say so once, keep trying
                message = f"{source.function_id}: polling its event source failed: {error!r}"
                if message != last_error:
                    print(f"warning: {message}; retrying", file=sys.stderr, flush=True)
                    last_error = message
                self._stop.wait(_RETRY_POLL_ERROR_SECONDS)
                continue
            if batch is None:
                continue
            last_error = ""
            outcome = invoker(batch)
            if self._stop.is_set():
                return
            source.settle(batch, outcome)


def _invoker(
    template: Template, function_id: str, handlers: Mapping[str, Handler], report_failures: bool
) -> Invoker:
    timeout: Any = function_properties(template, function_id).get("Timeout", 3)  # Lambda's default
    return Invoker(
        function_id,
        handlers[function_id],
        timeout_seconds=float(timeout) if isinstance(timeout, int | float | str) else 3.0,
        report_batch_item_failures=report_failures,
    )
