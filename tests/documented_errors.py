"""Every error openapi.json documents, as test cases: one per (operation, status, example).

The over-HTTP walk (tests/e2e/test_documented_errors_over_http.py) and the in-process one for the errors no
valid request causes (tests/integration/test_documented_errors_in_process.py) both read their cases from
here, so a newly documented error is a new case of one of them, and a code neither has a recipe for fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped] # schemathesis's dependency
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from messaging.http.problem import MAX_FIELD_ERRORS, clip
from messaging.limits import MAX_BODY_BYTES
from tests.harness import REPO

PROBLEM_JSON = "application/problem+json"
DOCUMENT: dict[str, Any] = json.loads((REPO / "openapi.json").read_text(encoding="utf-8"))
# Answered only when storage fails: no valid request causes them, so the in-process walk injects the failure.
STORAGE_FAILURES = frozenset({"internal_error", "service_unavailable"})
METHODS = ("get", "put", "post", "delete", "patch")  # an operation's keys in a path item


@dataclass(frozen=True)
class DocumentedError:
    operation_id: str
    method: str  # upper case
    path: str  # the template, e.g. /api/v1.0/consumer/conversation/{conversationId}
    status: int
    name: str  # the example's name
    example: Mapping[str, Any]
    operation: Mapping[str, Any]  # the operation object of the document
    headers: tuple[str, ...]  # the headers the document declares for this status (e.g. Retry-After)

    @property
    def code(self) -> str:
        return str(self.example["code"])

    @property
    def id(self) -> str:
        return f"{self.operation_id}-{self.status}-{self.name}"

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(
            scope for entry in self.operation.get("security", []) for s in entry.values() for scope in s
        )

    def body_example(self) -> Any:
        """The operation's documented request body example (a valid request), or None without a body."""
        body = self.operation.get("requestBody")
        if body is None:
            return None
        return body["content"]["application/json"]["example"]

    def has_query(self, name: str) -> bool:
        return any(p["in"] == "query" and p["name"] == name for p in self.operation.get("parameters", []))

    def example_path(self, conversation_id: str | None = None) -> str:
        """The path with `conversation_id`, or the documented example id, in place of {conversationId}."""
        if "{conversationId}" not in self.path:
            return self.path
        return self.path.replace("{conversationId}", conversation_id or self.path_example("conversationId"))

    def path_example(self, name: str) -> str:
        parameter = next(p for p in self.operation["parameters"] if p["in"] == "path" and p["name"] == name)
        return str(parameter["example"])


def documented_errors() -> list[DocumentedError]:
    cases: list[DocumentedError] = []
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for status, answer in operation["responses"].items():
                problems = answer.get("content", {}).get(PROBLEM_JSON)
                if problems is None:
                    continue
                for name, example in problems.get("examples", {}).items():
                    cases.append(
                        DocumentedError(
                            operation["operationId"],
                            method.upper(),
                            path,
                            int(status),
                            name,
                            example["value"],
                            operation,
                            tuple(answer.get("headers", {})),
                        )
                    )
    return cases


def _problem_validator() -> Draft202012Validator:
    # The schema's $refs are the document's own (#/components/schemas/...): resolve them against it.
    registry: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": "urn:openapi#/components/schemas/Problem"}, registry=registry)


PROBLEM_VALIDATOR = _problem_validator()


def answer_mismatches(
    case: DocumentedError, status: int, headers: Mapping[str, str], document: Any
) -> list[str]:
    """How an answer differs from the case's documented example: status, content type, the headers the
    document declares for the status, the example's type, title, code and status, and the document's Problem
    schema. Empty: it is the documented error."""
    present = {name.lower(): value for name, value in headers.items()}
    content_type = present.get("content-type", "")
    wrong = [f"no {name} header" for name in case.headers if not present.get(name.lower())]
    if status != case.status:
        wrong.append(f"status {status}, documented {case.status}")
    if content_type.split(";")[0].strip() != PROBLEM_JSON:
        wrong.append(f"Content-Type {content_type!r}")
    if not isinstance(document, dict):
        return [*wrong, f"body {document!r} is not an object"]
    for member in ("type", "title", "code", "status"):
        if document.get(member) != case.example[member]:
            wrong.append(f"{member} {document.get(member)!r}, documented {case.example[member]!r}")
    wrong += [f"schema: {error.message}" for error in PROBLEM_VALIDATOR.iter_errors(document)]
    return wrong


# The largest bodies of unknown keys: (key length, nested in customercontext), each just under the body cap.
UNKNOWN_KEY_BODIES = [(8, False), (1000, False), (8, True)]
UNKNOWN_KEY_BODY_IDS = [
    "many-short-unknown-keys",
    "few-1000-character-unknown-keys",
    "many-nested-unknown-keys",
]
MAX_ANSWER_BYTES = 16 * 1024


def body_of_unknown_keys(key_length: int, *, nested: bool = False) -> tuple[bytes, list[str]]:
    """A create body of about 382 KB, just under the 384 KB cap, of unknown keys `key_length` characters
    long (at the top, or inside customercontext), and the keys in order."""
    keys: list[str] = []
    members: list[str] = []
    size = len(b'{"customercontext":{"customerid":"c-1",}}')
    while True:
        key = f"u{len(keys):07d}".ljust(key_length, "x")
        member = f'"{key}":0'
        if size + len(member) + 1 > MAX_BODY_BYTES - 2048:
            break
        keys.append(key)
        members.append(member)
        size += len(member) + 1
    unknown = ",".join(members)
    if nested:
        text = f'{{"customercontext":{{"customerid":"c-1",{unknown}}}}}'
    else:
        text = f'{{"customercontext":{{"customerid":"c-1"}},{unknown}}}'
    body = text.encode()
    assert MAX_BODY_BYTES - 4096 < len(body) <= MAX_BODY_BYTES, len(body)
    return body, keys


def unknown_keys_mismatches(
    status: int, headers: Mapping[str, str], document: Any, keys: list[str], nested: bool
) -> list[str]:
    """How the answer to `body_of_unknown_keys` differs from a 400 validation_failed problem that names the
    first MAX_FIELD_ERRORS unknown fields (cut to MAX_TEXT characters) and counts the rest in moreErrors."""
    content_type = {name.lower(): value for name, value in headers.items()}.get("content-type", "")
    if (status, content_type) != (400, PROBLEM_JSON) or not isinstance(document, dict):
        return [f"{status} {content_type}: {document!r:.300}"]
    wrong = [f"schema: {error.message}" for error in PROBLEM_VALIDATOR.iter_errors(document)]
    if document.get("code") != "validation_failed":
        wrong.append(f"code {document.get('code')!r}")
    expected = [clip(("customercontext." if nested else "") + key) for key in keys[:MAX_FIELD_ERRORS]]
    listed = [(error["field"], error["code"]) for error in document.get("errors", [])]
    if listed != [(field, "extra_forbidden") for field in expected]:
        wrong.append(f"errors name {listed[:3]}…, not the first unknown keys {expected[:3]}…")
    if document.get("moreErrors") != len(keys) - MAX_FIELD_ERRORS:
        wrong.append(f"moreErrors {document.get('moreErrors')!r}, {len(keys) - MAX_FIELD_ERRORS} unlisted")
    return wrong
