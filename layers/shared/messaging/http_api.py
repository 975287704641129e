"""Shared HTTP plumbing of the API functions: the resolver, the body checks and the caller's tenant."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from messaging import strict_json
from messaging.api_models import MAX_BODY_BYTES
from messaging.domain import Tenant
from messaging.errors import InvalidRequest
from messaging.http_errors import error_document, register_error_handlers
from messaging.observability import logger
from messaging.tenant import claims_of, tenant_from_claims

_JSON_TYPES = ("application/json", "application/problem+json")


def _json_body(text: str) -> Any:
    # Powertools validates a list body's first element in place of the body (its normalization of repeated
    # query parameters), so `[{...}]` would pass as `{...}`: a body must be an object, never an array.
    document = strict_json.loads(text)
    if isinstance(document, list):
        raise InvalidRequest("validation_failed", "the body must be a JSON object, not an array", ("body",))
    return document


def new_api() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=_json_body)
    register_error_handlers(app)
    return app


def caller(app: APIGatewayHttpResolver) -> Tenant:
    tenant = tenant_from_claims(claims_of(app.current_event.raw_event))
    logger.append_keys(tenant=tenant.id)  # a client id, not personal data: on every later log line
    return tenant


def _answer(status: HTTPStatus, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status.value,
        "headers": {"Content-Type": "application/json"},
        "body": error_document(code, message, [{"field": "body", "code": code, "message": message}]),
        "isBase64Encoded": False,
    }


def unacceptable_body(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """413/415/400 for a body we will not parse, answered before routing (and before any validation)."""
    body = event.get("body")
    if not body:
        return None
    headers = event.get("headers") or {}
    content_type = str(headers.get("content-type", "")).split(";")[0].strip().lower()
    if content_type and content_type not in _JSON_TYPES and not content_type.endswith("+json"):
        return _answer(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            f"the body must be JSON sent as Content-Type: application/json, not {content_type}",
        )
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
            raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _answer(HTTPStatus.BAD_REQUEST, "malformed_json", "the body is not UTF-8 encoded JSON")
    else:
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        return _answer(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "payload_too_large",
            f"the body is {len(raw)} bytes; at most {MAX_BODY_BYTES} bytes are accepted",
        )
    return None


def handle(app: APIGatewayHttpResolver, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """What every API function's lambda_handler does: check the body, then route."""
    rejection = unacceptable_body(event)
    if rejection is not None:
        return rejection
    return app.resolve(event, context)
