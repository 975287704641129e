"""The HTTP API in front of the functions, emulated: size cap, routing, JWT authorizer, proxy integration.

Order of checks as in API Gateway: payload cap (413), route (404/405), authorizer (401), then the function.
Error answers use the contract's JSON shape so clients see one format locally.
"""

import base64
import json
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.auth import Unauthorized, claims_from_authorization
from local.docs import ApiDocs
from local.events import http_api_event, lambda_context
from local.lambda_runtime import Handler
from local.routing import NoRoute, Router
from messaging.http.problem import PROBLEM_JSON, problem_json

# API Gateway's request payload cap for HTTP APIs.
MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def error_response(
    status: int, code: str, message: str, headers: list[tuple[str, str]] | None = None
) -> GatewayResponse:
    body = problem_json(code, message, status=status).encode()
    return GatewayResponse(status, [("content-type", PROBLEM_JSON), *(headers or [])], body)


class ApiGateway:
    def __init__(self, router: Router, handlers: Mapping[str, Handler], docs: ApiDocs | None = None):
        self._router = router
        self._handlers = handlers
        self._docs = docs

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> GatewayResponse:
        path, _, query = target.partition("?")
        docs = self._docs.answer(method, path) if self._docs is not None else None
        if docs is not None:  # local only, no authorizer: Swagger UI and the OpenAPI document
            return GatewayResponse(docs.status, [("content-type", docs.content_type)], docs.body)
        match = self._router.match(method, path)
        if isinstance(match, NoRoute):
            if match.allowed_methods:
                allowed = ", ".join(match.allowed_methods)
                message = f"{method} is not allowed on {path} (allowed: {allowed})"
                return error_response(405, "method_not_allowed", message, [("allow", allowed)])
            return error_response(404, "not_found", f"No route for {method} {path}")
        authorization = next((value for name, value in headers if name.lower() == "authorization"), None)
        try:
            claims = claims_from_authorization(authorization, time.time())
        except Unauthorized as error:
            return error_response(401, "unauthorized", error.message, [("www-authenticate", "Bearer")])
        route = match.route
        event = http_api_event(
            method, path, route.path, match.path_parameters, headers, body, claims, query, source_ip=source_ip
        )
        try:
            result = self._handlers[route.function_id](event, lambda_context(route.function_id))
            return proxy_response(result)
        except Exception:
            # Deployed, the traceback goes to CloudWatch and the caller sees a bare 500.
            traceback.print_exc()
            return error_response(
                500, "internal_error", f"{route.function_id} failed; see the dev server log"
            )


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
            return error_response(
                411, "length_required", "Send a Content-Length (chunked bodies unsupported)"
            )
        try:
            length = int(self.headers.get("content-length", "0"))
        except ValueError:
            return error_response(400, "bad_request", "Content-Length is not a number")
        if length < 0:
            return error_response(400, "bad_request", "Content-Length is negative")
        if length > MAX_BODY_BYTES:
            return error_response(413, "payload_too_large", f"Body over {MAX_BODY_BYTES} bytes")
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
