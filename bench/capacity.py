"""Request units per call, two ways: as DynamoDB Local reports them, and as on-demand DynamoDB bills them.

- Reported: a `before-parameter-build` hook adds ReturnConsumedCapacity=INDEXES to every operation that takes
  it; an `after-call` hook adds up the ConsumedCapacity of each answer: reads (GetItem, BatchGetItem, Query,
  Scan, TransactGetItems) their total, writes the table's share and the indexes' share apart.
- Billed, and where each figure comes from (every call says which, in `basis`):
  - Single-item writes (PutItem, UpdateItem, DeleteItem): the table's units as Local reports them.
  - Transactions and batch writes: by the rules, because Local under-reports multi-item transactions (two
    100-byte Puts in one TransactWriteItems: it says 2, the rule is 2 x 1 KB-unit per item = 4): each item
    costs ceil(size / 1 KB), the larger of its stored image before and after (read with a separate,
    uncounted client), doubled in a transaction.
  - Index writes, always by the rules (bench.gsi), from each written item's images before and after: Local
    counts an index key change as one write (the rule: a delete and a put) and doubles index writes inside
    a transaction (the rules say nothing of that; counted once).
  - GetItem, BatchGetItem: by the rules, ceil(size / 4 KB) per item, at least 1 even when the item does not
    exist, half that when eventually consistent.
  - Query, Scan: as Local reports them (it sums the items read, rounds up to 4 KB, halves eventually
    consistent reads, as DynamoDB does), except an empty result, for which Local reports 0: DynamoDB's
    minimum is billed (0.5 eventually consistent, 1 strongly consistent).
  Only successful calls are counted (DynamoDB bills a failed conditional write too).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench import gsi
from bench.sizes import KB, item_size

_READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
_WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
_SINGLE_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})


@dataclass
class Capacity:
    reported_read_units: float = 0.0
    reported_write_units: float = 0.0  # the table's share
    reported_index_write_units: float = 0.0
    read_units: float = 0.0  # billed
    write_units: float = 0.0  # billed, the table's items
    index_write_units: float = 0.0  # billed, the global secondary indexes' (bench.gsi)
    index_writes: list[gsi.IndexWrite] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)  # per kind of call: where its billed figure comes from

    def note(self, basis: str) -> None:
        if basis not in self.basis:
            self.basis.append(basis)


@dataclass(frozen=True)
class Target:
    """One item a write touches: its table and key, what it puts (a Put), its stored image before."""

    table: str
    key: dict[str, Any]
    put: Mapping[str, Any] | None
    before: dict[str, Any] | None


class _Inspector:
    """Looks items and tables up with its own client, so the handler's client (and its count) is untouched."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._tables: dict[str, dict[str, Any]] = {}

    def _table(self, table: str) -> dict[str, Any]:
        if table not in self._tables:
            self._tables[table] = self._client.describe_table(TableName=table)["Table"]
        return self._tables[table]

    def key_of(self, table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        return {
            part["AttributeName"]: item[part["AttributeName"]] for part in self._table(table)["KeySchema"]
        }

    def indexes(self, table: str) -> list[gsi.Index]:
        return gsi.indexes_of(self._table(table))

    def stored(self, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._client.get_item(
            TableName=table, Key=key, ConsistentRead=True
        ).get("Item")
        return item


def write_targets(inspector: _Inspector, operation: str, params: Mapping[str, Any]) -> list[Target]:
    """Every item a write operation touches, with its image before the call."""
    found: list[tuple[str, dict[str, Any], Mapping[str, Any] | None]] = []
    if operation == "TransactWriteItems":
        for action in params.get("TransactItems", []):
            kind, body = next(iter(action.items()))
            item = body["Item"] if kind == "Put" else None
            found.append(
                (body["TableName"], inspector.key_of(body["TableName"], item) if item else body["Key"], item)
            )
    elif operation == "BatchWriteItem":
        for table, requests in params.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    found.append((table, inspector.key_of(table, item), item))
                else:
                    found.append((table, request["DeleteRequest"]["Key"], None))
    elif operation == "PutItem":
        found.append(
            (params["TableName"], inspector.key_of(params["TableName"], params["Item"]), params["Item"])
        )
    else:  # UpdateItem, DeleteItem
        found.append((params["TableName"], dict(params["Key"]), None))
    return [Target(table, key, put, inspector.stored(table, key)) for table, key, put in found]


def write_units(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> int:
    """One item's write: ceil(the larger image / 1 KB), at least 1 (a delete of nothing costs 1 too)."""
    return max(1, math.ceil(max(item_size(before), item_size(after)) / KB))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / (4 * KB)))
    return float(units) if consistent else units / 2


def _unprocessed(inspector: _Inspector, parsed: Mapping[str, Any]) -> set[str]:
    keys = set()
    for table, requests in (parsed.get("UnprocessedItems") or {}).items():
        for request in requests:
            body = request.get("PutRequest", {}).get("Item") or request.get("DeleteRequest", {}).get("Key")
            keys.add(_key_text(table, inspector.key_of(table, body)))
    return keys


def _key_text(table: str, key: Mapping[str, Any]) -> str:
    return f"{table}|{sorted((name, str(value)) for name, value in key.items())}"


def _batch_read_units(inspector: _Inspector, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> float:
    units = 0.0
    for table, request in params.get("RequestItems", {}).items():
        found = {
            str(sorted(inspector.key_of(table, item).items())): item
            for item in parsed.get("Responses", {}).get(table, [])
        }
        unprocessed = parsed.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        for key in request["Keys"]:
            if key not in unprocessed:
                item = found.get(str(sorted(key.items())))
                units += read_units(item_size(item), request.get("ConsistentRead", False))
    return units


def _reported(parsed: Mapping[str, Any]) -> tuple[float, float, float]:
    """(total, the tables' share, the indexes' share) of an answer's ConsumedCapacity."""
    consumed = parsed.get("ConsumedCapacity")
    entries = consumed if isinstance(consumed, list) else ([consumed] if consumed else [])
    total = table = indexes = 0.0
    for entry in entries:
        units = float(entry.get("CapacityUnits", 0.0))
        total += units
        index_units = sum(
            float(index.get("CapacityUnits", 0.0))
            for group in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
            for index in (entry.get(group) or {}).values()
        )
        table += float((entry.get("Table") or {}).get("CapacityUnits", units - index_units))
        indexes += index_units
    return total, table, indexes


@contextmanager
def measure_capacity(client: Any, inspector_client: Any) -> Iterator[Capacity]:
    """Adds up what `client`'s calls consume while the block runs."""
    capacity = Capacity()
    inspector = _Inspector(inspector_client)
    lock = threading.Lock()  # the timeout sweeper calls from threads

    def before(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "INDEXES")
        context["bench_params"] = params
        if model.name in _WRITE_OPERATIONS:
            context["bench_targets"] = write_targets(inspector, model.name, params)

    def after(
        http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if http_response.status_code >= 300:
            return
        params: dict[str, Any] = context.get("bench_params", {})
        total, table, indexes = _reported(parsed)
        with lock:
            if model.name in _READ_OPERATIONS:
                capacity.reported_read_units += total
                _add_read(capacity, inspector, model.name, params, parsed, total)
            else:
                capacity.reported_write_units += table
                capacity.reported_index_write_units += indexes
            if model.name in _WRITE_OPERATIONS:
                _add_write(capacity, inspector, model.name, context.get("bench_targets", []), parsed, table)

    events = client.meta.events
    events.register("before-parameter-build.dynamodb", before)
    events.register("after-call.dynamodb", after)
    try:
        yield capacity
    finally:
        events.unregister("after-call.dynamodb", after)
        events.unregister("before-parameter-build.dynamodb", before)


def _add_read(  # noqa: PLR0917 - one call's parts
    capacity: Capacity,
    inspector: _Inspector,
    operation: str,
    params: Mapping[str, Any],
    parsed: Mapping[str, Any],
    reported: float,
) -> None:
    if operation == "BatchGetItem":
        capacity.read_units += _batch_read_units(inspector, params, parsed)
        capacity.note("BatchGetItem reads: by the rules")
    elif operation == "GetItem":
        capacity.read_units += read_units(item_size(parsed.get("Item")), params.get("ConsistentRead", False))
        capacity.note("GetItem reads: by the rules")
    elif operation in ("Query", "Scan") and reported == 0:
        capacity.read_units += read_units(0, params.get("ConsistentRead", False))
        capacity.note(f"{operation} reads: DynamoDB's minimum (an empty result; Local reports 0)")
    else:
        capacity.read_units += reported
        capacity.note(f"{operation} reads: Local")


def _add_write(  # noqa: PLR0917 - one call's parts
    capacity: Capacity,
    inspector: _Inspector,
    operation: str,
    targets: list[Target],
    parsed: Mapping[str, Any],
    reported_table: float,
) -> None:
    skipped = _unprocessed(inspector, parsed) if operation == "BatchWriteItem" else set()
    units = 0
    for target in targets:
        if _key_text(target.table, target.key) in skipped:
            continue
        after = inspector.stored(target.table, target.key)
        units += write_units(target.before, target.put or after)
        writes = gsi.index_writes(target.before, after, inspector.indexes(target.table))
        capacity.index_writes += writes
        capacity.index_write_units += gsi.units(writes)
    if operation in _SINGLE_WRITES:
        capacity.write_units += reported_table
        capacity.note(f"{operation} table writes: Local")
    elif operation == "TransactWriteItems":
        capacity.write_units += 2 * units
        capacity.note("TransactWriteItems table writes: by the rules (2 per KB per item)")
    else:
        capacity.write_units += units
        capacity.note(f"{operation} table writes: by the rules")
    capacity.note("index writes: by the rules, from each item's images (bench.gsi)")
