"""The one mapping from errors to HTTP answers: every domain error and every validation failure becomes an
RFC 9457 problem (messaging.http.problem)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from messaging.domain.errors import (
    ChannelNotFound,
    ConversationEnded,
    ConversationNotFound,
    CustomerHasActiveConversation,
    Forbidden,
    InvalidContinuationToken,
    InvalidRequest,
    InvalidTransition,
    RequestInProgress,
    StoreBusy,
    Unauthenticated,
)
from messaging.http.body import MalformedJson
from messaging.http.problem import FieldError, problem_answer
from messaging.observability import Metric, count, logger

RETRY_AFTER_SECONDS = "1"
_VALUE_ERROR_PREFIX = "Value error, "
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "model_type", "dict_type"})
_UNION_TAG_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})


def answer_for_error(error: Exception) -> dict[str, Any]:  # noqa: PLR0911, PLR0912 - one answer per error kind
    match error:
        case MalformedJson():
            count(Metric.VALIDATION_FAILURES)
            detail = f"malformed JSON: {error}"
            return problem_answer(
                "malformed_json", detail, [FieldError("body", "malformed_json", str(error))]
            )
        case InvalidRequest():
            count(Metric.VALIDATION_FAILURES)
            errors = [FieldError(field, error.code, error.message) for field in error.fields]
            return problem_answer(error.code, error.message, errors)
        case Unauthenticated():
            return problem_answer("unauthorized", str(error), headers={"WWW-Authenticate": "Bearer"})
        case Forbidden():
            challenge = 'Bearer error="insufficient_scope"'
            return problem_answer("forbidden", str(error), headers={"WWW-Authenticate": challenge})
        case ConversationNotFound():
            return problem_answer("conversation_not_found", "no such conversation")
        case ChannelNotFound():
            return problem_answer("channel_not_found", "no webhook is set: PUT /channel first")
        case InvalidTransition():
            allowed = ", ".join(error.allowed) or "none"
            detail = (
                f"{error.event} does not apply to a conversation in status {error.status} (allows: {allowed})"
            )
            return problem_answer(
                "invalid_transition", detail, conversationStatus=error.status, allowedEvents=error.allowed
            )
        case CustomerHasActiveConversation():
            detail = f"the customer's active conversation is {error.holder}"
            return problem_answer("customer_has_active_conversation", detail, conversationId=error.holder)
        case ConversationEnded():
            return problem_answer("conversation_ended", str(error), conversationStatus=error.status)
        case InvalidContinuationToken():
            errors = [FieldError("ContinuationToken", "invalid_continuation_token", str(error))]
            return problem_answer("invalid_continuation_token", str(error), errors)
        case RequestInProgress():
            detail = "a request with this conversationrequestid is being handled; retry shortly"
            return problem_answer("request_in_progress", detail, headers={"Retry-After": RETRY_AFTER_SECONDS})
        case StoreBusy():
            logger.warning("storage busy after retries", extra={"reason": type(error.__cause__).__name__})
            return problem_answer(
                "service_unavailable",
                "the service is busy; retry shortly",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        case _:
            # Logged with its traceback for us; the caller gets no internals.
            logger.exception("unhandled error")
            return problem_answer("internal_error", "internal error")


def validation_problem(details: Sequence[Mapping[str, Any]], union_tag: str | None = None) -> dict[str, Any]:
    count(Metric.VALIDATION_FAILURES)
    if union_tag is not None:
        # A discriminated union's member errors start with the member's tag: it names no field.
        details = [
            {**detail, "loc": tuple(detail.get("loc", ()))[1:]}
            if tuple(detail.get("loc", ()))[:1] == (union_tag,)
            else detail
            for detail in details
        ]
    errors = list(field_errors(details))
    fields = ", ".join(dict.fromkeys(e.field for e in errors[:5]))
    more = ", …" if len({e.field for e in errors}) > 5 else ""
    return problem_answer("validation_failed", f"invalid request: {fields}{more}", errors)


def field_errors(errors: Sequence[Mapping[str, Any]]) -> Iterator[FieldError]:
    for error in errors:
        location = tuple(error.get("loc", ()))
        # pydantic marks a dict key's own error with a trailing "[key]": the field is the key itself.
        is_key = bool(location) and location[-1] == "[key]"
        field = _field_path(location[:-1] if is_key else location) + (" (key)" if is_key else "")
        if error.get("type") in _UNION_TAG_ERRORS:
            # pydantic locates a bad or missing tag at the union itself: the field is the tag's name.
            tag = str(error.get("ctx", {}).get("discriminator", "")).strip("'")
            field = ".".join(part for part in (_field_path(location) if location else "", tag) if part)
        yield FieldError(field, str(error.get("type", "invalid")), _message(error))


def _field_path(location: Sequence[Any]) -> str:
    # Keep field names, dict keys (which may be "body" or hold brackets themselves) and indexes; drop
    # pydantic's function-validator labels.
    return ".".join(str(part) for part in location if not _is_validator_label(part)) or "body"


def _is_validator_label(part: Any) -> bool:
    return isinstance(part, str) and part.startswith("function-") and part.endswith("]")


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field: not part of this API"
    if error.get("type") in _NOT_AN_OBJECT:
        return "must be a JSON object"
    return str(error.get("msg", "invalid value")).removeprefix(_VALUE_ERROR_PREFIX)
