"""Use case: the timeout sweeper. Every minute (a schedule), each conversation whose state's deadline has
passed is timed out through the state machine, so storage and webhooks reflect a timeout within two minutes
of its deadline; reads already treated it as timed out at once.

The due index holds each live conversation under `dueAt`, its deadline when it entered its status. Messages
push the real deadline (`expiresAt`) on without touching the index (one write less per message), so `dueAt`
is a lower bound: when the sweeper finds a conversation not yet past its real deadline, it files it again
under that deadline and looks again then.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from messaging.domain.state_machine import Event, Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store.keys import DUE_SHARDS
from messaging.store.protocol import DueConversation, Page
from messaging.usecases.events import ApplyEvent


class DueConversations(Protocol):
    def due(self, shard: int, now_ms: int, start: dict[str, Any] | None) -> Page[DueConversation]: ...

    def refile(
        self, tenant: Tenant, conversation_id: str, status: Status, due_at_ms: int, expires_at_ms: int
    ) -> bool: ...


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What a timeout sweep did: conversations closed by their timeout, refiled, unchanged."""

    timed_out: int = 0
    refiled: int = 0
    unchanged: int = 0  # changed by something else meanwhile


class SweepTimeouts:
    def __init__(
        self, due: DueConversations, apply: ApplyEvent, *, clock: Callable[[], int] = now_ms
    ) -> None:
        self._due = due
        self._apply = apply
        self._clock = clock

    def __call__(self) -> SweepReport:
        now = self._clock()
        # The shards are independent partitions of the index: swept side by side.
        with ThreadPoolExecutor(max_workers=DUE_SHARDS) as pool:
            reports = list(pool.map(lambda shard: self._sweep(shard, now), range(DUE_SHARDS)))
        return SweepReport(
            timed_out=sum(r.timed_out for r in reports),
            refiled=sum(r.refiled for r in reports),
            unchanged=sum(r.unchanged for r in reports),
        )

    def _sweep(self, shard: int, now: int) -> SweepReport:
        timed_out = refiled = unchanged = 0
        start: dict[str, Any] | None = None
        while True:
            page = self._due.due(shard, now, start)
            for due in page.items:
                outcome = self._apply(due.tenant, due.conversation_id, Event.TIMEOUT, assumed=due.status)
                if outcome.changed:
                    timed_out += 1
                elif outcome.status is due.status and outcome.expires_at_ms is not None:
                    moved = self._due.refile(
                        due.tenant, due.conversation_id, due.status, due.due_at_ms, outcome.expires_at_ms
                    )
                    refiled, unchanged = refiled + moved, unchanged + (not moved)
                else:
                    unchanged += 1
            if page.next_key is None:
                return SweepReport(timed_out, refiled, unchanged)
            start = page.next_key
