"""Use cases: webhook delivery. Dispatch moves outbox entries from the stream to the FIFO queue, in order;
delivery posts each to the tenant's webhook, signed, and on failure hands it back to the queue with an
exponential backoff (at least 24 h of retries, then the dead-letter queue).

One conversation's deliveries are sequential (its order); different conversations are delivered side by
side, so that a slow or failing webhook holds back only its own conversations. A tenant whose webhook keeps
failing is skipped for one retry base (a circuit breaker, per execution environment), so that its retries
do not spend the time of the deliveries queued behind them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from messaging.delivery.backoff import retry_delay_seconds
from messaging.delivery.webhook import DeliveryResult, post_activity
from messaging.domain.activity import Kind, Role, StoredMessage
from messaging.domain.channel import Channel
from messaging.domain.outgoing import Outgoing
from messaging.domain.tenant import Tenant
from messaging.domain.time import iso_time, now_ms

_BREAKER_FAILURES = 3  # consecutive failures of one tenant's webhook that open its breaker
_MAX_PARALLEL_CONVERSATIONS = 10  # an SQS batch holds at most 10 messages


class OutgoingQueue(Protocol):
    def send(self, outgoing: Sequence[Outgoing]) -> list[int]: ...

    def defer(self, receipt_handles: Sequence[str], seconds: int) -> None: ...

    def delete(self, receipt_handles: Sequence[str]) -> None: ...


class DeliverySources(Protocol):
    """What delivery reads: the tenant's channel and a representative's message."""

    def channel(self, tenant: Tenant) -> Channel | None: ...

    def message(self, tenant: Tenant, conversation_id: str, message_id: int) -> StoredMessage | None: ...


type Post = Callable[..., DeliveryResult]


class DispatchWebhooks:
    def __init__(self, queue: OutgoingQueue) -> None:
        self._queue = queue

    def __call__(self, outgoing: Sequence[Outgoing]) -> int | None:
        """Enqueues in order; the index of the first that failed (to retry from there), else None."""
        failed = self._queue.send(outgoing)
        return failed[0] if failed else None


@dataclass(frozen=True, slots=True)
class Queued:
    """A queue message: its receipt, how often it was received, and what it carries."""

    record_id: str
    receipt_handle: str
    receive_count: int
    outgoing: Outgoing


class Breaker:
    """Per tenant: after a few consecutive failures, its deliveries are not attempted for a while."""

    def __init__(self, clock: Callable[[], int], open_ms: int) -> None:
        self._clock = clock
        self._open_ms = open_ms
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._open_until: dict[str, int] = {}

    def is_open(self, tenant: Tenant) -> bool:
        with self._lock:
            return self._clock() < self._open_until.get(tenant.id, 0)

    def record(self, tenant: Tenant, delivered: bool) -> None:
        with self._lock:
            if delivered:
                self._failures.pop(tenant.id, None)
                self._open_until.pop(tenant.id, None)
                return
            failures = self._failures.get(tenant.id, 0) + 1
            self._failures[tenant.id] = failures
            if failures >= _BREAKER_FAILURES:
                self._open_until[tenant.id] = self._clock() + self._open_ms


class DeliverWebhooks:
    def __init__(
        self,
        sources: DeliverySources,
        queue: OutgoingQueue,
        *,
        retry_base_s: int,
        allow_local: bool,
        post: Post = post_activity,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._sources = sources
        self._queue = queue
        self._retry_base_s = retry_base_s
        self._allow_local = allow_local
        self._post = post
        self._clock = clock
        # Open for one retry base (30 s deployed): a skipped delivery still spends one of the queue's
        # receives, so a window longer than the retries' own pace parks activities never tried. With a fixed
        # 30 s and a 1 s base, activities redriven once the webhook healed went straight back to the
        # dead-letter queue, skipped every time (tests/integration/test_webhook_dead_letters.py).
        self.breaker = Breaker(clock, open_ms=retry_base_s * 1000)

    def __call__(self, batch: Sequence[Queued]) -> list[str]:
        """Delivers a batch; returns the record ids that failed (to be received again, later)."""
        groups: dict[str, list[Queued]] = {}
        for queued in batch:
            groups.setdefault(queued.outgoing.group, []).append(queued)
        # Lambda's SQS mapping deletes a batch's successes only when the whole invocation returns. Until then
        # a conversation already delivered stays in flight, its FIFO message group held (its next activities
        # cannot be received, by this poller or another), for as long as another conversation of the batch
        # waits on a hanging webhook: up to the 10 s POST deadline, for a tenant that is not at fault. So with
        # several conversations in the batch, each one's delivered messages are deleted as soon as it is done
        # (measured: another tenant's state change → POST up to 10 s instead of ~1.3 s while one webhook timed
        # out, tests/integration/test_webhook_dead_letters.py). Alone in its batch, the mapping's deletion
        # comes as soon: no extra request.
        release = len(groups) > 1
        with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL_CONVERSATIONS, len(groups) or 1)) as pool:
            failed = pool.map(lambda group: self._deliver_in_order(group, release=release), groups.values())
        return [record_id for group in failed for record_id in group]

    def _deliver_in_order(self, group: list[Queued], *, release: bool = False) -> list[str]:
        for index, queued in enumerate(group):
            if not self._deliver(queued):
                if release and index:
                    self._queue.delete([q.receipt_handle for q in group[:index]])
                # The rest of the conversation waits behind it (FIFO keeps their order), for as long: left in
                # flight, they would hold the conversation's message group for the queue's whole visibility
                # timeout, whatever the backoff.
                rest = group[index:]
                delay = retry_delay_seconds(queued.receive_count, base_s=self._retry_base_s)
                self._queue.defer([q.receipt_handle for q in rest], delay)
                return [q.record_id for q in rest]
        if release:
            self._queue.delete([q.receipt_handle for q in group])
        return []

    def _deliver(self, queued: Queued) -> bool:
        outgoing = queued.outgoing
        if self.breaker.is_open(outgoing.tenant):
            return False
        channel = self._sources.channel(outgoing.tenant)
        if channel is None:
            return True  # no webhook set: nothing to deliver to (the activity stays readable over the API)
        activity = self._activity(outgoing)
        if activity is None:
            return True  # the message is gone (purged): nothing left to deliver
        result = self._post(
            channel.webhook_url,
            outgoing.conversation_id,
            activity,
            webhook_id=outgoing.webhook_id,
            secrets=channel.signing_secrets(self._clock()),
            allow_local=self._allow_local,
        )
        self.breaker.record(outgoing.tenant, result.delivered)
        return result.delivered

    def _activity(self, outgoing: Outgoing) -> dict[str, Any] | None:
        activity = webhook_activity(outgoing)
        if outgoing.kind == Kind.MESSAGE:
            message = self._sources.message(outgoing.tenant, outgoing.conversation_id, outgoing.message_id)
            if message is None:
                return None
            activity["text"] = message.text
            if message.attachments:
                activity["attachments"] = [
                    {"contentType": a.content_type, "contentUrl": a.content_url, "name": a.name}
                    for a in message.attachments
                ]
            activity["from"] = {
                "id": message.sender.id,
                "name": message.sender.name,
                "role": Role.REPRESENTATIVE.value,
            }
        return activity


def webhook_activity(outgoing: Outgoing) -> dict[str, Any]:
    """The Bot Framework activity the business receives (a message's text is added by delivery)."""
    activity: dict[str, Any] = {
        "type": outgoing.kind,
        "id": str(outgoing.message_id),
        "timestamp": iso_time(outgoing.at_ms),
        "conversation": {"id": outgoing.conversation_id},
        "from": {
            "id": outgoing.representative_id,
            "name": outgoing.representative_name,
            "role": Role.REPRESENTATIVE.value,
        },
    }
    if outgoing.kind == Kind.EVENT:
        activity["name"] = outgoing.name
        activity["value"] = {"status": outgoing.status}
    return activity


def queued_from_sqs(record: Mapping[str, Any], outgoing: Outgoing) -> Queued:
    attributes = record.get("attributes") or {}
    return Queued(
        record_id=str(record["messageId"]),
        receipt_handle=str(record["receiptHandle"]),
        receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
        outgoing=outgoing,
    )
