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

from tests.harness import REPO

PROBLEM_JSON = "application/problem+json"
DOCUMENT: dict[str, Any] = json.loads((REPO / "openapi.json").read_text(encoding="utf-8"))
# Answered only when storage fails: no valid request causes them, so the in-process walk injects the failure.
STORAGE_FAILURES = frozenset({"internal_error", "service_unavailable"})
_METHODS = ("get", "put", "post", "delete", "patch")


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
            if method not in _METHODS:
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
