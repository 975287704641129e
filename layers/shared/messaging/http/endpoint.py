"""One Lambda function, one or two API operations: their declaration, and the dispatch of their events.

Why not Powertools' APIGatewayHttpResolver (which this replaced): API Gateway has already routed the request
to the function, so a router has nothing left to choose, and the resolver's import (event-handler data
classes, its OpenAPI modules, asyncio) was ~45 ms of every cold start here, a third of the budget. What we now
do by hand, in this module: pick the operation by the event's routeKey, validate the path, query and body
with the operation's pydantic models (compiled validators, strict JSON first), call the handler, and turn
the answer or any error into the proxy result. The OpenAPI document is still generated from these same
declarations and models (local/openapi.py), so the spec cannot drift from what is enforced.

A Powertools resolver also keeps the current event on its class (`BaseRouter.current_event`); here the
request travels as an argument, so nothing request-specific lives on a module or a class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import BaseModel, RootModel, ValidationError

from messaging.domain.tenant import Tenant
from messaging.http import body as request_body
from messaging.http.claims import caller
from messaging.http.errors import answer_for_error, validation_problem
from messaging.http.problem import problem_answer

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Call[B: BaseModel | None, Q: BaseModel | None]:
    """What a handler receives: the caller's tenant and the request's validated parts."""

    tenant: Tenant
    path: Mapping[str, str]
    body: B
    query: Q


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: BaseModel | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Documented:
    """A success answer, for the OpenAPI document."""

    description: str
    model: type[BaseModel] | None = None
    example: Any = None
    links: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PathParameter:
    description: str
    schema: Mapping[str, Any]
    parse: Callable[[str], str]  # raises InvalidRequest for a malformed value
    example: str | None = None
    problems: tuple[str, ...] = ()  # what a bad or unknown value answers


@dataclass(frozen=True)
class Operation[B: BaseModel | None, Q: BaseModel | None]:
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
    body: type[B] | None = None
    body_description: str = ""
    body_example: Any = None
    query: type[Q] | None = None
    path_parameters: Mapping[str, PathParameter] = field(default_factory=dict)

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
        tenant = caller(event)
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
        # Q is None exactly when no query model is declared. API Gateway joins a repeated parameter's values
        # with commas.
        parameters = event.get("queryStringParameters") or {}
        return cast("Q", None if self.query is None else _model(self.query).model_validate(parameters))

    def _body(self, event: Mapping[str, Any]) -> B:
        if self.body is None:  # B is None exactly when no body model is declared
            return cast("B", None)
        document = request_body.json_document(event)
        try:
            return cast("B", _model(self.body).model_validate(document))
        except ValidationError as error:
            raise BodyInvalid(error, _union_tag(self.body, document)) from None


class BodyInvalid(Exception):
    """The body broke its model's rules; `tag` is the union member's tag pydantic put first in each error's
    location (an activity's `type`), which names no field of the request."""

    def __init__(self, error: ValidationError, tag: str | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.tag = tag


def _union_tag(model: type[Any], document: Any) -> str | None:
    discriminated = issubclass(model, RootModel) and isinstance(document, dict)
    return str(document.get("type")) if discriminated else None


def _model(declared: type[Any]) -> type[BaseModel]:
    return cast("type[BaseModel]", declared)


def _proxy(answer: Answer) -> dict[str, Any]:
    headers = dict(answer.headers)
    result: dict[str, Any] = {"statusCode": answer.status, "isBase64Encoded": False}
    if answer.body is not None:
        headers.setdefault("Content-Type", JSON)
        result["body"] = answer.body.model_dump_json()
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
        except ValidationError as error:
            return validation_problem(error.errors(include_url=False, include_input=False))
        except BodyInvalid as invalid:
            return validation_problem(
                invalid.error.errors(include_url=False, include_input=False), invalid.tag
            )
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
