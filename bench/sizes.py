"""Item sizes by DynamoDB's documented rules (attribute names + values), which is what it bills by."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

KB = 1024


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
