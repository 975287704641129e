"""The one mapping from domain errors to HTTP answers, in CONTRACT.md's error shape."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from messaging.api_models import MAX_BODY_BYTES, ErrorResponse
from messaging.errors import (
    ConversationNotFound,
    InvalidRequest,
    RequestInProgress,
    StoreBusy,
    Unauthenticated,
)
from messaging.observability import count, logger
from messaging.strict_json import MalformedJson

RETRY_AFTER_SECONDS = "1"
_VALUE_ERROR_PREFIX = "Value error, "
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "model_type", "dict_type"})


_ERROR_ANSWERS = {
    HTTPStatus.BAD_REQUEST: "validation_failed, malformed_json, malformed_conversation_id, "
    "conversation_mismatch or unsupported_activity; details name each offending field.",
    HTTPStatus.NOT_FOUND: "conversation_not_found: no such conversation for this tenant.",
    HTTPStatus.CONFLICT: "request_in_progress: this conversationrequestid is being handled; retry after "
    "Retry-After seconds.",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: f"payload_too_large: the body is over {MAX_BODY_BYTES:,} bytes.",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type: the body is not sent as JSON.",
    HTTPStatus.INTERNAL_SERVER_ERROR: "internal_error.",
    HTTPStatus.SERVICE_UNAVAILABLE: "service_unavailable: storage stayed busy; retry after Retry-After "
    "seconds.",
}


def error_answers(*statuses: HTTPStatus) -> dict[int, OpenAPIResponse]:
    """The OpenAPI `responses` entries of these error answers, all in the contract's error shape."""
    return {
        status.value: {
            "description": _ERROR_ANSWERS[status],
            "content": {"application/json": {"model": ErrorResponse}},
        }
        for status in statuses
    }


def error_document(code: str, message: str, details: Iterable[Mapping[str, str]] = ()) -> str:
    return json.dumps({"error": {"code": code, "message": message, "details": list(details)}})


def error_response(
    status: HTTPStatus, code: str, message: str, details: Iterable[Mapping[str, str]] = (), **headers: str
) -> Response[str]:
    return Response(
        status_code=status.value,
        content_type="application/json",
        body=error_document(code, message, details),
        headers={name.replace("_", "-"): value for name, value in headers.items()},
    )


def _field_path(location: Sequence[Any]) -> str:
    # Drop Powertools' leading "body" and pydantic's function-validator labels; keep field names, dict keys
    # (which may be "body" or hold brackets themselves) and indexes.
    parts = list(location[1:] if location and location[0] == "body" else location)
    return ".".join(str(part) for part in parts if not _is_validator_label(part)) or "body"


def _is_validator_label(part: Any) -> bool:
    return isinstance(part, str) and part.startswith("function-") and part.endswith("]")


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field: not part of this API"
    if error.get("type") in _NOT_AN_OBJECT:
        return "must be a JSON object"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix(_VALUE_ERROR_PREFIX)


def validation_details(errors: Sequence[Any]) -> list[dict[str, str]]:
    details = []
    for error in errors:
        location = tuple(error.get("loc", ()))
        # pydantic marks a dict key's own error with a trailing "[key]": the field is the key itself.
        is_key = bool(location) and location[-1] == "[key]"
        field = _field_path(location[:-1] if is_key else location) + (" (key)" if is_key else "")
        details.append(
            {"field": field, "code": str(error.get("type", "invalid")), "message": _message(error)}
        )
    return details


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[str]:
        details = validation_details(error.errors())
        count("ValidationFailures")
        fields = ", ".join(detail["field"] for detail in details)
        return error_response(
            HTTPStatus.BAD_REQUEST, "validation_failed", f"invalid request: {fields}", details
        )

    @app.exception_handler(MalformedJson)
    def _malformed(error: MalformedJson) -> Response[str]:
        detail = {"field": "body", "code": "malformed_json", "message": str(error)}
        count("ValidationFailures")
        return error_response(HTTPStatus.BAD_REQUEST, "malformed_json", f"malformed JSON: {error}", [detail])

    @app.exception_handler(InvalidRequest)
    def _rule(error: InvalidRequest) -> Response[str]:
        details = [{"field": field, "code": error.code, "message": error.message} for field in error.fields]
        return error_response(HTTPStatus.BAD_REQUEST, error.code, error.message, details)

    @app.exception_handler(Unauthenticated)
    def _unauthenticated(error: Unauthenticated) -> Response[str]:
        return error_response(HTTPStatus.UNAUTHORIZED, "unauthorized", str(error), www_authenticate="Bearer")

    @app.exception_handler(ConversationNotFound)
    def _not_found(error: ConversationNotFound) -> Response[str]:
        return error_response(HTTPStatus.NOT_FOUND, "conversation_not_found", "no such conversation")

    @app.exception_handler(RequestInProgress)
    def _in_progress(error: RequestInProgress) -> Response[str]:
        return error_response(
            HTTPStatus.CONFLICT,
            "request_in_progress",
            "a request with this conversationrequestid is being handled; retry shortly",
            retry_after=RETRY_AFTER_SECONDS,
        )

    @app.exception_handler(StoreBusy)
    def _busy(error: StoreBusy) -> Response[str]:
        logger.warning("storage busy after retries", extra={"reason": type(error.__cause__).__name__})
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "service_unavailable",
            "the service is busy; retry shortly",
            retry_after=RETRY_AFTER_SECONDS,
        )

    @app.not_found
    def _no_route(error: Exception) -> Response[str]:
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        # Logged with its traceback for us; the caller gets no internals.
        logger.exception("unhandled error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error")
