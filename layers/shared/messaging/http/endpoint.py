"""One Lambda function, one or two API operations: their declaration, and the dispatch of their events.

Why not Powertools' APIGatewayHttpResolver (which this replaced): API Gateway has already routed the request
to the function, so a router has nothing left to choose, and the resolver's import (event-handler data
classes, its OpenAPI modules, asyncio) was ~45 ms of every cold start here, a third of the budget. What we now
do by hand, in this module: pick the operation by the event's routeKey, validate the path, query and body,
call the handler, and turn the answer or any error into the proxy result.

Why pydantic is not imported on the way of a valid request: its import alone costs about a third of the boto3
floor's cold start (bench: `python -m bench.cold`), more than the whole budget. So each request part is
declared twice over, on purpose, from one set of rules:
- its pydantic model (messaging.http.models), named by an import path: the OpenAPI document is generated
  from it (local/openapi.py), and it explains a request that breaks a rule (the 400's field errors are
  pydantic's, as before);
- its reader (messaging.http.readers), plain Python calling the same rule functions (messaging.http.checks):
  it turns a valid document into what the handler takes, and answers None for anything else, whereupon the
  model is imported and validates. A reader may refuse more than its model (the model then accepts, and the
  reader reads the model's own dump); it must never accept what its model refuses, and a property test holds
  each reader to its model (tests/unit/test_readers.py).
Answers are plain documents (messaging.http.views), written by messaging.http.wire as pydantic wrote them.

A Powertools resolver also keeps the current event on its class (`BaseRouter.current_event`); here the
request travels as an argument, so nothing request-specific lives on a module or a class.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from messaging.domain.tenant import Tenant
from messaging.http import body as request_body
from messaging.http import wire
from messaging.http.claims import caller
from messaging.http.errors import answer_for_error, validation_problem
from messaging.http.problem import problem_answer

JSON = "application/json"


def model_class(path: str) -> type[Any]:
    """The pydantic model named "package.module:Class" (imported on the first call)."""
    module, _, name = path.partition(":")
    model: type[Any] = getattr(importlib.import_module(module), name)
    return model


@dataclass(frozen=True, slots=True)
class Input[T]:
    """A request part (the body, the query): its model, by import path, and its reader (module docstring)."""

    model: str
    read: Callable[[Any], T | None]

    def __call__(self, document: Any) -> T:
        request = self.read(document)
        return request if request is not None else self._explained(document)

    def _explained(self, document: Any) -> T:
        from pydantic import RootModel, ValidationError  # noqa: PLC0415 - only for what the reader refused

        model = model_class(self.model)
        try:
            validated = model.model_validate(document)
        except ValidationError as error:
            # A discriminated union's errors start with the member's tag (an activity's `type`).
            tag = (
                str(document.get("type"))
                if issubclass(model, RootModel) and isinstance(document, dict)
                else None
            )
            raise RequestInvalid(error.errors(include_url=False, include_input=False), tag) from None
        request = self.read(validated.model_dump(by_alias=True, exclude_unset=True))
        if request is None:
            raise AssertionError(f"the reader of {self.model} refuses what the model accepts")
        return request


class RequestInvalid(Exception):
    """A request part broke its model's rules: pydantic's error details, and the union member's tag pydantic
    put first in each error's location (an activity's `type`), which names no field of the request."""

    def __init__(self, details: list[Any], tag: str | None) -> None:
        super().__init__(f"{len(details)} validation errors")
        self.details = details
        self.tag = tag


@dataclass(frozen=True, slots=True)
class Call[B, Q]:
    """What a handler receives: the caller's tenant and the request's validated parts."""

    tenant: Tenant
    path: Mapping[str, str]
    body: B
    query: Q


@dataclass(frozen=True, slots=True)
class Answer:
    """What a route returns: the status, the body (a document), extra headers."""

    status: int
    body: Any = None  # a JSON document (messaging.http.views), or None for no body
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Documented:
    """A success answer, for the OpenAPI document: `model` is its response model's import path."""

    description: str
    model: str | None = None
    example: Any = None
    links: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def model_class(self) -> type[Any] | None:
        return None if self.model is None else model_class(self.model)


@dataclass(frozen=True, slots=True)
class PathParameter:
    """A path parameter's declaration: its OpenAPI description and schema, and its parser."""

    description: str
    schema: Mapping[str, Any]
    parse: Callable[[str], str]  # raises InvalidRequest for a malformed value
    example: str | None = None
    problems: tuple[str, ...] = ()  # what a bad or unknown value answers


@dataclass(frozen=True)
class Operation[B, Q]:
    """One route of the API: the template's `Method` + `Path`, its models, answers and handler."""

    method: str
    path: str  # as in template.yaml: /api/v1.0/consumer/conversation/{conversationId}
    operation_id: str
    summary: str
    tag: str
    handler: Callable[[Call[B, Q]], Answer]
    answers: Mapping[int, Documented]
    problems: tuple[str, ...]  # the problem codes it can answer, beyond those every operation can
    description: str = ""
    body: Input[B] | None = None
    body_description: str = ""
    body_example: Any = None
    query: Input[Q] | None = None
    path_parameters: Mapping[str, PathParameter] = field(default_factory=dict)

    @property
    def body_model(self) -> type[Any] | None:
        """The body's pydantic model (for the OpenAPI document)."""
        return None if self.body is None else model_class(self.body.model)

    @property
    def query_model(self) -> type[Any] | None:
        return None if self.query is None else model_class(self.query.model)

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def all_problems(self) -> tuple[str, ...]:
        """Every problem code this operation can answer, in a stable order (the OpenAPI document's)."""
        codes = ["unauthorized", "forbidden", *self.problems]
        for parameter in self.path_parameters.values():
            codes += parameter.problems
        if self.query is not None:
            codes.append("validation_failed")
        if self.body is not None:
            codes += ["validation_failed", "malformed_json", "payload_too_large", "unsupported_media_type"]
        codes += ["internal_error", "service_unavailable"]
        return tuple(dict.fromkeys(codes))

    def answer(self, event: Mapping[str, Any]) -> dict[str, Any]:
        tenant = caller(event, self.path)
        rejection = request_body.unacceptable(event) if self.body is not None else None
        if rejection is not None:
            return rejection
        path = self._path_parameters(event)
        query = self._query(event)
        body = self._body(event)
        return _proxy(self.handler(Call(tenant=tenant, path=path, body=body, query=query)))

    def _path_parameters(self, event: Mapping[str, Any]) -> dict[str, str]:
        given = event.get("pathParameters") or {}
        return {name: spec.parse(str(given.get(name, ""))) for name, spec in self.path_parameters.items()}

    def _query(self, event: Mapping[str, Any]) -> Q:
        # Q is None exactly when no query is declared. API Gateway joins a repeated parameter's values with
        # commas.
        if self.query is None:
            return cast("Q", None)
        return self.query(event.get("queryStringParameters") or {})

    def _body(self, event: Mapping[str, Any]) -> B:
        if self.body is None:  # B is None exactly when no body is declared
            return cast("B", None)
        return self.body(request_body.json_document(event))


def _proxy(answer: Answer) -> dict[str, Any]:
    headers = dict(answer.headers)
    result: dict[str, Any] = {"statusCode": answer.status, "isBase64Encoded": False}
    if answer.body is not None:
        headers.setdefault("Content-Type", JSON)
        result["body"] = wire.dumps(answer.body)
    result["headers"] = headers
    return result


class Endpoint:
    """The operations one function serves, and its dispatch."""

    def __init__(self, *operations: Operation[Any, Any]) -> None:
        self.operations = operations
        self._by_route = {operation.route_key: operation for operation in operations}

    def __call__(self, event: Mapping[str, Any]) -> dict[str, Any]:
        route_key = str(event.get("routeKey", ""))
        operation = self._by_route.get(route_key)
        if operation is None and (refusal := self._method_not_allowed(route_key, event)) is not None:
            return refusal
        if operation is None:
            # `sam local` and a function behind one route: the only operation, whatever the route key says.
            if len(self.operations) != 1:
                return problem_answer("not_found", "no route for this request")
            operation = self.operations[0]
        try:
            return operation.answer(event)
        except RequestInvalid as invalid:
            return validation_problem(invalid.details, invalid.tag)
        except Exception as error:  # every error becomes a problem answer (messaging.http.errors)
            return answer_for_error(error)

    def _method_not_allowed(self, route_key: str, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """405 for a method this function does not serve on a path it does: the template routes `ANY <path>`
        to it where API Gateway would otherwise hand that method to another route (GET /conversation/create
        would reach GET /conversation/{conversationId}). `Allow` lists the path's operations, as the OpenAPI
        path item does."""
        _, _, path = route_key.partition(" ")
        allowed = sorted(operation.method for operation in self.operations if operation.path == path)
        if not allowed:
            return None
        method = str((event.get("requestContext") or {}).get("http", {}).get("method", "")).upper()
        detail = f"{method or 'this method'} is not allowed on {path} (allowed: {', '.join(allowed)})"
        return problem_answer("method_not_allowed", detail, headers={"Allow": ", ".join(allowed)})
