"""The HTTP API in front of the functions, emulated: size cap, routing, JWT authorizer, proxy integration.

Order of checks as in API Gateway: payload cap (413, in local.http_server, before the body is read), route
(404/405), authorizer (401, then 403 for the route's scopes), then the function. Every answer the gateway
itself gives is RFC 9457 problem details made by the product's own `messaging.http.problem`, so a client
sees one error format locally.
"""

import base64
import json
import re
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import local.product_layer  # noqa: F401 - puts the layer's `messaging` package on sys.path
from local.auth import Forbidden, Unauthorized, authorize
from local.docs import ApiDocs
from local.events import http_api_event, lambda_context
from local.execution_environments import InvocationError
from local.lambda_runtime import Handler
from local.routing import NoRoute, Router
from local.scopes import RouteKey
from local.template import Route
from messaging.http.problem import PROBLEM_JSON, problem

# API Gateway's request payload cap for HTTP APIs.
MAX_BODY_BYTES = 10 * 1024 * 1024
# What HTTP allows in a header a function returns: a token name; a value of visible ASCII and inner blanks.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"([\x21-\x7e]+([ \t]+[\x21-\x7e]+)*)?")


@dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def problem_response(code: str, detail: str, headers: list[tuple[str, str]] | None = None) -> GatewayResponse:
    """An answer of the gateway itself: problem details for `code` (a key of PROBLEM_TYPES)."""
    document = problem(code, detail)
    body = json.dumps(document, ensure_ascii=False).encode()
    return GatewayResponse(document["status"], [("content-type", PROBLEM_JSON), *(headers or [])], body)


class ApiGateway:
    def __init__(
        self,
        router: Router,
        handlers: Mapping[str, Handler],
        docs: ApiDocs | None = None,
        scopes: Mapping[RouteKey, tuple[str, ...]] | None = None,
    ):
        self._router = router
        self._handlers = handlers
        self._docs = docs
        self._scopes = scopes or {}  # a route not in it requires no scope, only a valid token

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> GatewayResponse:
        path, _, query = target.partition("?")
        docs = self._docs.answer(method, path) if self._docs is not None else None
        if docs is not None:  # local only, no authorizer: Swagger UI and the OpenAPI document
            return GatewayResponse(docs.status, [("content-type", docs.content_type)], docs.body)
        match = self._router.match(method, path)
        if isinstance(match, NoRoute):
            return _no_route(method, path, match)
        route = match.route
        claims = self._authorize(route, headers)
        if isinstance(claims, GatewayResponse):
            return claims
        event = http_api_event(
            method,
            path,
            route.path,
            match.path_parameters,
            headers,
            body,
            claims,
            query,
            source_ip=source_ip,
            route_method=route.method,
        )
        try:
            result = self._handlers[route.function_id](event, lambda_context(route.function_id))
            return proxy_response(result)
        except InvocationError as error:
            # In a worker: its traceback is already on stderr (CloudWatch, deployed); API Gateway answers 500,
            # for a handler's exception and for a runtime that died alike.
            print(f"error: {error}", file=sys.stderr)
            return problem_response("internal_error", f"{error}; see the dev server log")
        except Exception:
            traceback.print_exc()
            return problem_response("internal_error", f"{route.function_id} failed; see the dev server log")

    def _authorize(self, route: Route, headers: list[tuple[str, str]]) -> dict[str, Any] | GatewayResponse:
        """The token's claims, or the authorizer's 401/403."""
        authorization = [value for name, value in headers if name.lower() == "authorization"]
        try:
            return authorize(authorization, self._scopes.get((route.method, route.path), ()), time.time())
        except Unauthorized as error:
            # RFC 6750: no error code when no credentials were sent, invalid_token otherwise.
            challenge = "Bearer" if error.missing else 'Bearer error="invalid_token"'
            return problem_response("unauthorized", error.message, [("www-authenticate", challenge)])
        except Forbidden as error:
            challenge = 'Bearer error="insufficient_scope"'
            return problem_response("forbidden", error.message, [("www-authenticate", challenge)])


def _no_route(method: str, path: str, no_route: NoRoute) -> GatewayResponse:
    if no_route.allowed_methods:
        allowed = ", ".join(no_route.allowed_methods)
        detail = f"{method} is not allowed on {path} (allowed: {allowed})"
        return problem_response("method_not_allowed", detail, [("allow", allowed)])
    return problem_response("not_found", f"No route for {method} {path}")


def proxy_response(result: Any) -> GatewayResponse:
    """A function's result as API Gateway turns it into HTTP (payload format 2.0)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # Format 2.0 lets a function return any JSON value: it becomes a 200 JSON answer.
        return GatewayResponse(200, [("content-type", "application/json")], json.dumps(result).encode())
    headers = [(str(name), str(value).strip()) for name, value in (result.get("headers") or {}).items()]
    headers += [("set-cookie", str(cookie).strip()) for cookie in result.get("cookies") or []]
    for name, value in headers:
        if not _HEADER_NAME.fullmatch(name) or not _HEADER_VALUE.fullmatch(value):
            raise TypeError(f"the proxy response's header {name!r} is not a valid HTTP header")
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int | str) or not str(status).isdigit():
        raise TypeError(f"the proxy response's statusCode {status!r} is not a number")
    if not 200 <= int(status) <= 599:
        raise TypeError(f"the proxy response's statusCode {status} is not a final HTTP status")
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise TypeError(f"the proxy response's body must be a string, not {type(body).__name__}")
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return GatewayResponse(int(status), headers, raw)
