"""Global secondary index writes by DynamoDB's rules, from an item's image before and after a write.

On-demand tables bill every write an index receives as write request units, on top of the table's own
(DynamoDB Developer Guide, "Global secondary indexes", provisioned throughput considerations), by the size of
the index entry (1 KB units, rounded up):
- an item enters an index (its index keys become all present): one write, a put;
- an item leaves it (an index key removed, or the item deleted): one write, a delete;
- an index key's value changes: two writes, a delete of the old entry and a put of the new ("moved");
- only projected non-key attributes change: one write, an update;
- the item is in the index neither before nor after, or nothing the index holds changes: nothing.
The rules say nothing of transactions: an index write is counted once here even when the table write is
transactional (DynamoDB Local reports it doubled inside a transaction, and a key change as one write).

Indexes are read from the template (or DescribeTable): keys and projection, never listed by hand. The pure
part (`entry`, `index_writes`) is what the bench applies to the images it reads around every write
(bench.capacity), and what `transition_writes` applies to the product's own state items
(messaging.store.items.state_item) to show each state transition's index writes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.sizes import KB, item_size

Item = Mapping[str, Any]
PUT, DELETE, UPDATE, MOVE = "put", "delete", "update", "delete + put"


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]  # its partition key, then its sort key if any
    table_keys: tuple[str, ...]  # the table's primary key: in every index entry
    projected: tuple[str, ...] | None  # non-key attributes it holds (INCLUDE); () KEYS_ONLY; None ALL


@dataclass(frozen=True)
class IndexWrite:
    index: str
    kind: str  # PUT, DELETE, UPDATE or MOVE
    units: int  # write request units

    def __str__(self) -> str:
        return f"{self.index} {self.kind}"


def indexes_of(properties: Mapping[str, Any]) -> list[Index]:
    """The global secondary indexes of a table, from its CloudFormation properties or its DescribeTable
    description (both spell KeySchema and Projection alike)."""
    table_keys = tuple(part["AttributeName"] for part in properties["KeySchema"])
    indexes = []
    for index in properties.get("GlobalSecondaryIndexes") or []:
        projection = index.get("Projection") or {}
        kind = projection.get("ProjectionType", "ALL")
        projected: tuple[str, ...] | None = None
        if kind == "KEYS_ONLY":
            projected = ()
        elif kind == "INCLUDE":
            projected = tuple(projection.get("NonKeyAttributes") or ())
        keys = tuple(part["AttributeName"] for part in index["KeySchema"])
        indexes.append(Index(index["IndexName"], keys, table_keys, projected))
    return indexes


def entry(item: Item | None, index: Index) -> dict[str, Any] | None:
    """The item's entry in the index, or None when it is not in it (an index key is missing)."""
    if item is None or any(key not in item for key in index.keys):
        return None
    if index.projected is None:
        return dict(item)
    names = (*index.table_keys, *index.keys, *index.projected)
    return {name: item[name] for name in dict.fromkeys(names) if name in item}


def _units(*entries: Mapping[str, Any]) -> int:
    return max(1, math.ceil(max(item_size(one) for one in entries) / KB))


def index_writes(before: Item | None, after: Item | None, indexes: Iterable[Index]) -> list[IndexWrite]:
    """What one item's write (before → after; None: absent) costs its table's indexes."""
    writes = []
    for index in indexes:
        old, new = entry(before, index), entry(after, index)
        if old is None and new is None:
            continue
        if old is None:
            assert new is not None
            writes.append(IndexWrite(index.name, PUT, _units(new)))
        elif new is None:
            writes.append(IndexWrite(index.name, DELETE, _units(old)))
        elif any(old[key] != new[key] for key in index.keys):
            writes.append(IndexWrite(index.name, MOVE, _units(old) + _units(new)))
        elif old != new:
            writes.append(IndexWrite(index.name, UPDATE, _units(old, new)))
    return writes


def units(writes: Iterable[IndexWrite]) -> int:
    return sum(write.units for write in writes)


def describe(writes: Sequence[IndexWrite]) -> str:
    return ", ".join(str(write) for write in writes) or "none"


def transition_writes(
    steps: Sequence[tuple[str, Item | None]], indexes: Sequence[Index]
) -> list[tuple[str, list[IndexWrite]]]:
    """Each step (name, the item after it; None: deleted) against the item before it: the index writes of
    a sequence of states of one item, starting from nothing."""
    result = []
    before: Item | None = None
    for name, after in steps:
        result.append((name, index_writes(before, after, indexes)))
        before = after
    return result


def product_state_steps(path: Sequence[str], timeouts_ms: Mapping[str, int]) -> list[tuple[str, Item | None]]:
    """The conversation state item after each step of `path`, as the product lays it out
    (messaging.store.items.state_item): "create" (open), then "accept", "end" (by the representative),
    "close" (from wrapup, by the representative), or "endOfConversation" (the customer's, from open).
    `timeouts_ms`: status -> its timeout (the template's defaults in the bench)."""
    from dataclasses import replace  # noqa: PLC0415 - the product's modules only where they are used

    from messaging.domain.conversation import ConversationState, Representative  # noqa: PLC0415
    from messaging.domain.ids import ConversationIds  # noqa: PLC0415
    from messaging.domain.state_machine import CloseReason, EndedBy, Status  # noqa: PLC0415
    from messaging.domain.tenant import Tenant  # noqa: PLC0415
    from messaging.store.items import state_item  # noqa: PLC0415

    tenant, now = Tenant("bench-tenant"), 1_796_000_000_000
    conversation_id = ConversationIds(b"bench-" * 8).new(tenant, "customer-1")
    state = ConversationState(
        conversation_id, tenant, Status.OPEN, now, now, now + timeouts_ms["open"], now, "customer-1"
    )
    steps: list[tuple[str, Item | None]] = []
    for step in path:
        now += 60_000
        if step == "create":
            pass
        elif step == "accept":
            representative = Representative("rep-7", "Ana")
            state = replace(state, status=Status.ACTIVE, representative=representative)
        elif step == "end":
            state = replace(state, status=Status.WRAPUP, ended_at_ms=now, ended_by=EndedBy.REPRESENTATIVE)
        elif step in ("close", "endOfConversation"):
            reason = CloseReason.REPRESENTATIVE if step == "close" else CloseReason.CUSTOMER
            state = replace(state, status=Status.CLOSED, closed_at_ms=now, close_reason=reason)
        else:
            raise ValueError(f"unknown step {step!r}")
        if step != "create":
            deadline = timeouts_ms.get(state.status.value)
            state = replace(
                state,
                entered_at_ms=now,
                last_message_id=now,
                expires_at_ms=None if deadline is None else now + deadline,
            )
        purge_at = now // 1000 + 90 * 86_400 if state.status is Status.CLOSED else None
        steps.append((step, state_item(state, purge_at)))
    return steps
