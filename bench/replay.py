"""The floor of a cold start makes the product's DynamoDB calls: recorded in the product's process, replayed
by the floor's. Loaded by bench/first_child.py after its timed import (never inside a timed span), and by
the bench to rename tables between the two runs.

A recorded call is (phase, service, operation, params, error): params as the caller passed them to
botocore's BaseClient._make_api_call (before botocore's own handlers fill in, e.g., ClientRequestToken),
error the code of the ClientError it raised, if any. In JSON, bytes (binary attribute values) are
{"__bytes__": base64}.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

_BYTES = "__bytes__"


@dataclass(frozen=True)
class Call:
    phase: str  # "init" (while the handler module was imported) or "request"
    service: str  # botocore's service name: "dynamodb"
    operation: str  # "TransactWriteItems"
    params: dict[str, Any]
    error: str | None = None  # the ClientError's code, when the call failed

    def to_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "service": self.service,
            "operation": self.operation,
            "params": to_json_value(self.params),
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Call:
        return cls(
            str(data["phase"]),
            str(data["service"]),
            str(data["operation"]),
            from_json_value(data["params"]),
            data.get("error"),
        )


def to_json_value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json_value(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a recorded parameter of type {type(value).__name__} cannot be replayed: {value!r}")


def from_json_value(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_BYTES}:
            return base64.b64decode(value[_BYTES])
        return {key: from_json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json_value(item) for item in value]
    return value


def rename_tables(value: Any, names: Mapping[str, str]) -> Any:
    """`value` with every string, and every mapping key, equal to a key of `names` replaced by its value:
    TableName anywhere, and the table-keyed maps (BatchGetItem's RequestItems). The bench's table names
    carry a unique prefix, so no other string equals one."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, Mapping):
        return {names.get(key, key): rename_tables(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [rename_tables(item, names) for item in value]
    return value


def replay(client: Any, calls: Sequence[Call]) -> list[str | None]:
    """Makes each call on `client` (a botocore client: its snake_case methods) in order, with the same
    params. A ClientError is caught and its code returned in place of None, so that a call the product saw
    fail (a cancelled transaction) fails here too and the replay goes on."""
    outcomes: list[str | None] = []
    for call in calls:
        method = getattr(client, xform_name(call.operation))
        try:
            method(**call.params)
        except ClientError as error:
            outcomes.append(str(error.response.get("Error", {}).get("Code")))
        else:
            outcomes.append(None)
    return outcomes
