"""Builds what Lambda receives behind an API Gateway HTTP API: payload format 2.0 events, and a context.

The shape follows deployed API Gateway (and `sam local generate-event apigateway http-api-proxy`).
"""

import base64
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_API_ID = "local"
LOCAL_REGION = "us-east-1"

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def http_api_event(  # noqa: PLR0917 - the positional order of an HTTP request's parts
    method: str,
    raw_path: str,
    route_key_path: str,
    path_parameters: Mapping[str, str],
    headers: Headers,
    body: bytes,
    claims: Mapping[str, Any] | None,
    query_string: str = "",
    *,
    source_ip: str = "127.0.0.1",
    now: float | None = None,
    route_method: str | None = None,
) -> dict[str, Any]:
    """A payload-format-2.0 event for one request. `route_key_path` is the matched route's path template,
    `route_method` its method when it is not the request's (ANY: the routeKey is `ANY <path>`)."""
    now = time.time() if now is None else now
    method = method.upper()
    route_key = "$default" if route_key_path == "$default" else f"{route_method or method} {route_key_path}"
    pairs = [
        (name.lower(), value)
        for name, value in (headers.items() if isinstance(headers, Mapping) else headers)
    ]
    # API Gateway moves cookies out of the headers into their own list.
    cookies = [c.strip() for name, value in pairs if name == "cookie" for c in value.split(";") if c.strip()]
    lowered = _combine_pairs((name, value) for name, value in pairs if name != "cookie")
    domain_name = lowered.get("host", "localhost")
    request_context: dict[str, Any] = {
        "accountId": LOCAL_ACCOUNT_ID,
        "apiId": LOCAL_API_ID,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".")[0],
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": lowered.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        request_context["authorizer"] = {
            "jwt": {
                "claims": {name: authorizer_claim(value) for name, value in claims.items()},
                "scopes": None,
            }
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": query_string,
        "headers": lowered,
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query_string:
        event["queryStringParameters"] = _combine_pairs(parse_qsl(query_string, keep_blank_values=True))
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    # Like API Gateway, no body key at all for an empty body.
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def authorizer_claim(value: Any) -> str:
    """A claim the way API Gateway's JWT authorizer passes it: a string; lists as "[a b]"."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + " ".join(authorizer_claim(item) for item in value) + "]"
    return str(value)


def _combine_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Repeated names become one comma-joined value, as in payload format 2.0."""
    combined: dict[str, str] = {}
    for name, value in pairs:
        combined[name] = f"{combined[name]},{value}" if name in combined else value
    return combined


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    timeout_seconds: float = 10.0
    started_at: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        remaining = self.timeout_seconds - (time.monotonic() - self.started_at)
        return max(0, int(remaining * 1000))


def lambda_context(
    function_name: str, *, memory_mb: int = 256, timeout_seconds: float = 10.0
) -> LambdaContext:
    return LambdaContext(
        function_name=function_name,
        invoked_function_arn=f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{function_name}",
        memory_limit_in_mb=memory_mb,
        log_group_name=f"/aws/lambda/{function_name}",
        timeout_seconds=timeout_seconds,
    )
