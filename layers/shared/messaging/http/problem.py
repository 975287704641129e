"""RFC 9457 problem details: the one module that shapes every error answer of the API.

Functions, the pre-routing body checks and the local API Gateway emulation all answer through it, so a
client sees one format: `application/problem+json` with `type`, `title`, `status`, `detail`, our
machine-readable `code`, and `errors` naming each offending field. An answer stays small whatever the
request: at most MAX_FIELD_ERRORS field errors (plus `moreErrors`, the count of the rest), and every string
taken from the request (a field name may be a 300 KB unknown key) is cut to MAX_TEXT characters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PROBLEM_JSON = "application/problem+json"
MAX_FIELD_ERRORS = 20
MAX_TEXT = 200
# Relative to the API's own address: `make dev` serves this page (one anchor per code), so a `type` resolves
# to the section that explains it. API Gateway serves no docs: deployed, the same table is the "Errors"
# section of openapi.json's description (README, "Errors").
TYPE_BASE = "/docs/errors#"


@dataclass(frozen=True, slots=True)
class ProblemType:
    """One problem type of the API: its status, title and documented description."""

    status: int
    title: str
    description: str  # for the docs page and the OpenAPI document


# Every code the API answers with. The docs page, the OpenAPI document and the answers read this table.
PROBLEM_TYPES: dict[str, ProblemType] = {
    "bad_request": ProblemType(
        400,
        "Bad request",
        "The HTTP request itself is malformed (its framing: Content-Length, Transfer-Encoding, the request "
        "line or headers); the connection is closed.",
    ),
    "validation_failed": ProblemType(
        400, "The request is not valid", "A field breaks a rule of the contract; `errors` names each one."
    ),
    "malformed_json": ProblemType(
        400, "The body is not well-formed JSON", "The body is not one JSON document; `detail` says where."
    ),
    "malformed_conversation_id": ProblemType(
        400, "Malformed conversation id", "The conversationId in the path is not a UUID."
    ),
    "conversation_mismatch": ProblemType(
        400, "Conversation mismatch", "The activity's conversation.id differs from the id in the path."
    ),
    "invalid_continuation_token": ProblemType(
        400, "Invalid continuation token", "The ContinuationToken was not issued for this query and caller."
    ),
    "unauthorized": ProblemType(
        401, "Not authenticated", "No bearer token, or a token without a usable tenant claim."
    ),
    "forbidden": ProblemType(
        403, "Not allowed", "The token lacks the scope (or app role) this route requires."
    ),
    "not_found": ProblemType(404, "No such route", "No route matches this method and path."),
    "conversation_not_found": ProblemType(
        404, "No such conversation", "No conversation with this id exists for the calling tenant."
    ),
    "channel_not_found": ProblemType(
        404, "No channel settings", "The tenant has not set its webhook (PUT /channel) yet."
    ),
    "method_not_allowed": ProblemType(
        405, "Method not allowed", "The path exists, but not for this method; `Allow` lists the methods."
    ),
    "request_in_progress": ProblemType(
        409,
        "Request in progress",
        "A create with this conversationrequestid is still running; retry after `Retry-After` seconds.",
    ),
    "invalid_transition": ProblemType(
        409,
        "Not allowed in this status",
        "The event does not apply to the conversation's current status; `conversationStatus` and "
        "`allowedEvents` say what does.",
    ),
    "customer_has_active_conversation": ProblemType(
        409,
        "The customer has another active conversation",
        "The customerid is held by another open or active conversation, named by `conversationId`.",
    ),
    "conversation_ended": ProblemType(
        409, "The conversation has ended", "Messages are not accepted in wrapup or closed."
    ),
    "length_required": ProblemType(
        411, "Length required", "A body must be sent with a Content-Length (chunked bodies are not accepted)."
    ),
    "payload_too_large": ProblemType(413, "Body too large", "The body is over the API's size cap."),
    "unsupported_media_type": ProblemType(
        415, "Unsupported media type", "The body must be sent as Content-Type: application/json."
    ),
    "internal_error": ProblemType(500, "Internal error", "Something failed on our side; it is logged."),
    "service_unavailable": ProblemType(
        503, "Service busy", "Storage stayed busy after retries; retry after `Retry-After` seconds."
    ),
}


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field's error in a problem document: the field, the rule's code, the message."""

    field: str
    code: str
    message: str


def type_uri(code: str) -> str:
    return TYPE_BASE + code


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Request-derived text, cut so that no answer grows with the request."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problem(
    code: str,
    detail: str,
    errors: Iterable[FieldError] = (),
    *,
    status: int | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """The problem document for `code` (a key of PROBLEM_TYPES); `status` overrides the table's."""
    kind = PROBLEM_TYPES[code]
    document: dict[str, Any] = {
        "type": type_uri(code),
        "title": kind.title,
        "status": status or kind.status,
        "detail": clip(detail, 4 * MAX_TEXT),
        "code": code,
    }
    listed: list[dict[str, str]] = []
    rest = 0
    for error in errors:
        if len(listed) < MAX_FIELD_ERRORS:
            listed.append(
                {"field": clip(error.field), "code": clip(error.code), "message": clip(error.message)}
            )
        else:
            rest += 1
    if listed:
        document["errors"] = listed
    if rest:
        document["moreErrors"] = rest
    document.update(extensions)
    return document


def problem_answer(
    code: str,
    detail: str,
    errors: Iterable[FieldError] = (),
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """The problem as a Lambda proxy result (API Gateway payload 2.0)."""
    document = problem(code, detail, errors, **extensions)
    return {
        "statusCode": document["status"],
        "headers": {"Content-Type": PROBLEM_JSON, **(headers or {})},
        "body": json.dumps(document, ensure_ascii=False),
        "isBase64Encoded": False,
    }
