"""Event sources for `make dev`: the template's non-HTTP events invoke their functions, as AWS would.

Derived from template.yaml (local.event_sources.definitions); nothing is listed by hand:
- `Schedule`/`ScheduleV2` (local.event_sources.schedule, .cron): EventBridge's event on `rate(...)` or
  `cron(...)`.
- `DynamoDB` streams of the template's own tables (local.event_sources.dynamodb_stream): DynamoDB Local's
  stream, polled, filtered (local.event_sources.filters), batched and retried like an event source mapping.

The shape every source follows, so that SQS (or Kinesis) can join later without touching the others:

    source.next_batch(stop) -> Batch | None      a source polls and yields batches (its own pacing)
    invoker(batch)          -> Outcome           runs the function, reports which items failed
    source.settle(batch, outcome)                the source's own failure semantics: a stream retries from
                                                 its first failed record, a queue would leave failed
                                                 messages visible, a schedule only logs

local.event_sources.runner.EventSources runs that loop, one thread per source, one batch in flight each.
"""

from local.event_sources.definitions import EventSourceError
from local.event_sources.runner import EventSources

__all__ = ["EventSourceError", "EventSources"]
