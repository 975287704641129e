"""The HTTP API in front of the functions, emulated: size cap, routing, JWT authorizer, proxy integration.

Order of checks as in API Gateway: payload cap (413), route (404/405), authorizer (401, then 403 for the
route's scopes), then the function. Every answer the gateway itself gives is RFC 9457 problem details made
by the product's own `messaging.http.problem`, so a client sees one error format locally.
"""

import base64
import json
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
            method, path, route.path, match.path_parameters, headers, body, claims, query, source_ip=source_ip
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
    headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
    headers += [("set-cookie", str(cookie)) for cookie in result.get("cookies") or []]
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise TypeError(f"the proxy response's body must be a string, not {type(body).__name__}")
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return GatewayResponse(int(result["statusCode"]), headers, raw)


class GatewayHTTPServer(ThreadingHTTPServer):
    """One thread per connection, so concurrent requests reach the functions concurrently."""

    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when many clients connect at once.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], gateway: ApiGateway):
        super().__init__(address, GatewayRequestHandler)
        self.gateway = gateway


class GatewayRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as curl and SDK clients expect
    server: GatewayHTTPServer

    def handle_expect_100(self) -> bool:
        # Refuse an oversized body before the client sends it, as API Gateway does.
        refused = self._refused_body()
        if refused is not None:
            self.close_connection = True  # the body was never read: the connection cannot carry more
            self._send(refused)
            return False
        return super().handle_expect_100()

    def _refused_body(self) -> GatewayResponse | None:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return problem_response("length_required", "Send a Content-Length (chunked bodies unsupported)")
        try:
            length = int(self.headers.get("content-length", "0"))
        except ValueError:
            return problem_response("bad_request", "Content-Length is not a number")
        if length < 0:
            return problem_response("bad_request", "Content-Length is negative")
        if length > MAX_BODY_BYTES:
            return problem_response("payload_too_large", f"Body over {MAX_BODY_BYTES} bytes")
        return None

    def _serve(self) -> None:
        refused = self._refused_body()
        if refused is not None:
            self.close_connection = True  # the body was never read: the connection cannot carry more
            self._send(refused)
            return
        # Read exactly Content-Length bytes: more would block on a keep-alive connection.
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        response = self.server.gateway.handle(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        self._send(response)

    def _send(self, response: GatewayResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY...) reaches the router too: 405 + Allow, not http.server's 501 HTML.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)
