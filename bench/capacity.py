"""Request units per call, two ways: as DynamoDB Local reports them, and by DynamoDB's billing rules.

- Reported: a `before-parameter-build` hook adds ReturnConsumedCapacity=TOTAL to every operation that takes
  it; an `after-call` hook adds up the ConsumedCapacity of each answer (reads: GetItem, BatchGetItem, Query,
  Scan, TransactGetItems; everything else: writes).
- By the rules (what on-demand bills): DynamoDB Local reports single-item operations correctly but
  under-reports multi-item transactions (two 100-byte Puts in one TransactWriteItems: it says 2 WCU, the
  rule is 2 x 1 KB-unit per item = 4). So transactions and batch reads are recomputed from item sizes:
  a write costs ceil(size / 1 KB) per item (the larger of the stored item before and after, looked up with
  a separate, uncounted client), doubled in a transaction; a strongly consistent read ceil(size / 4 KB) per
  item, at least 1 even when the item does not exist (half that when eventually consistent). Other
  operations keep the reported figure. Item sizes follow DynamoDB's documented sizing (names + values).
  Only successful calls are counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
KB = 1024


@dataclass
class Capacity:
    reported_read_units: float = 0.0
    reported_write_units: float = 0.0
    read_units: float = 0.0  # by the billing rules
    write_units: float = 0.0


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "").split("e")[0].split("E")[0].strip("0")
    return math.ceil(len(digits) / 2) + 1


def _text(content: str) -> int:
    return len(content.encode("utf-8"))


_SCALAR_SIZES: dict[str, Callable[[Any], int]] = {
    "S": _text,
    "N": _number_size,
    "B": len,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
    "SS": lambda content: sum(_text(item) for item in content),
    "NS": lambda content: sum(_number_size(item) for item in content),
    "BS": lambda content: sum(len(item) for item in content),
}


def value_size(value: Mapping[str, Any]) -> int:
    """Size of one attribute value (without its name), per DynamoDB's item size rules."""
    kind, content = next(iter(value.items()))
    if kind == "L":
        return 3 + sum(value_size(item) + 1 for item in content)
    if kind == "M":
        return 3 + sum(_text(name) + value_size(item) + 1 for name, item in content.items())
    return _SCALAR_SIZES[kind](content)


def item_size(item: Mapping[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


class _Inspector:
    """Looks items up with its own client, so the handler's client (and its call count) is untouched."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._key_names: dict[str, list[str]] = {}

    def key_of(self, table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        if table not in self._key_names:
            schema = self._client.describe_table(TableName=table)["Table"]["KeySchema"]
            self._key_names[table] = [part["AttributeName"] for part in schema]
        return {name: item[name] for name in self._key_names[table]}

    def stored_size(self, table: str, key: Mapping[str, Any]) -> int:
        return item_size(self._client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item"))


def _transaction_targets(inspector: _Inspector, params: Mapping[str, Any]) -> list[tuple[str, str, Any, int]]:
    """(action, table, key, size it bills now) for each action of a TransactWriteItems."""
    targets = []
    for action in params.get("TransactItems", []):
        kind, body = next(iter(action.items()))
        table = body["TableName"]
        key = inspector.key_of(table, body["Item"]) if kind == "Put" else body["Key"]
        size = inspector.stored_size(table, key)
        if kind == "Put":
            size = max(size, item_size(body["Item"]))
        targets.append((kind, table, key, size))
    return targets


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / (4 * KB)))
    return float(units) if consistent else units / 2


def _transaction_write_units(inspector: _Inspector, targets: list[tuple[str, str, Any, int]]) -> float:
    units = 0
    for kind, table, key, before in targets:
        size = max(before, inspector.stored_size(table, key)) if kind == "Update" else before
        units += max(1, math.ceil(size / KB))
    return 2.0 * units  # a transactional write costs two units per 1 KB of each item


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
                units += _read_units(item_size(item), request.get("ConsistentRead", False))
    return units


@contextmanager
def measure_capacity(client: Any, inspector_client: Any) -> Iterator[Capacity]:
    """Adds up what `client`'s calls consume while the block runs."""
    capacity = Capacity()
    inspector = _Inspector(inspector_client)

    def before(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
        context["bench_params"] = params
        if model.name == "TransactWriteItems":
            context["bench_targets"] = _transaction_targets(inspector, params)

    def after(
        http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if http_response.status_code >= 300:
            return
        consumed = parsed.get("ConsumedCapacity")
        entries = consumed if isinstance(consumed, list) else ([consumed] if consumed else [])
        reported = sum(float(entry.get("CapacityUnits", 0.0)) for entry in entries)
        params: dict[str, Any] = context.get("bench_params", {})
        if model.name in _READ_OPERATIONS:
            capacity.reported_read_units += reported
        else:
            capacity.reported_write_units += reported
        if model.name == "TransactWriteItems":
            capacity.write_units += _transaction_write_units(inspector, context.get("bench_targets", []))
        elif model.name == "BatchGetItem":
            capacity.read_units += _batch_read_units(inspector, params, parsed)
        elif model.name == "GetItem":
            capacity.read_units += _read_units(
                item_size(parsed.get("Item")), params.get("ConsistentRead", False)
            )
        elif model.name in _READ_OPERATIONS:
            capacity.read_units += reported
        else:
            capacity.write_units += reported

    events = client.meta.events
    events.register("before-parameter-build.dynamodb", before)
    events.register("after-call.dynamodb", after)
    try:
        yield capacity
    finally:
        events.unregister("after-call.dynamodb", after)
        events.unregister("before-parameter-build.dynamodb", before)
