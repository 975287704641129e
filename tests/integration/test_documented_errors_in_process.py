"""The documented errors no valid request causes, 500 and 503, answered by each operation when storage fails.

The cases are openapi.json's (tests/documented_errors.py): every operation documenting `internal_error` or
`service_unavailable`. Each sends the operation's documented valid request (its example path and body) to
its function, in process, over DynamoDB Local, with a botocore `before-send` hook on the function's own
DynamoDB client answering every send with a failure DynamoDB really gives: throttling (botocore retries,
then the store gives up: 503 with Retry-After) or a missing table (nothing maps it: 500). The answer must
be the documented problem. The other documented errors are walked over HTTP
(tests/e2e/test_documented_errors_over_http.py).
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable
from typing import Any, cast

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.retries.standard import ExponentialBackoff

from local.events import lambda_context
from local.routing import NoRoute, Router
from local.template import http_routes
from messaging.store.client import dynamodb_client
from tests.documented_errors import (
    MAX_ANSWER_BYTES,
    STORAGE_FAILURES,
    UNKNOWN_KEY_BODIES,
    UNKNOWN_KEY_BODY_IDS,
    DocumentedError,
    answer_mismatches,
    body_of_unknown_keys,
    documented_errors,
    unknown_keys_mismatches,
)
from tests.fake_dns import addrinfo
from tests.faults import Fault, FaultInjector
from tests.harness import CREATE, TEMPLATE, api_event, invoke, load_handler

CASES = [case for case in documented_errors() if case.code in STORAGE_FAILURES]
ROUTES = http_routes(TEMPLATE)
ROUTER = Router(ROUTES)
FOLDERS = {route.function_id: route.code_uri.strip("/").split("/")[-1] for route in ROUTES}
# The documented webhookUrl's host (setChannel's example), as a public address: no test asks real DNS.
EXAMPLE_HOSTS = {"hooks.example.com": "93.184.215.14"}


class MissingTable:
    """Answers every DynamoDB send as DynamoDB does for a table that is not there: an error the product
    does not expect, which no retry helps."""

    def __init__(self) -> None:
        self.sends = 0

    def install(self) -> None:
        hook = cast("Callable[..., None]", self._before_send)  # a before-send hook may return the answer
        dynamodb_client().meta.events.register("before-send.dynamodb", hook)

    def _before_send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        self.sends += 1
        document = {
            "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
            "message": "Requested resource not found",
        }
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return AWSResponse(str(request.url), 400, headers, _Raw(json.dumps(document).encode()))


class _Raw:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Any:
        yield self._content


def test_every_operation_documents_both_storage_failures() -> None:
    # Given the document's operations
    operations = {case.operation_id for case in documented_errors()}
    # Then each documents 500 and 503 (every operation reads or writes storage)
    assert {(case.operation_id, case.code) for case in CASES} == {
        (operation, code) for operation in operations for code in STORAGE_FAILURES
    }


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_documented_storage_failure_is_answered_as_documented(
    case: DocumentedError, local_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the operation's function (a new execution environment) whose DynamoDB sends all fail
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in EXAMPLE_HOSTS:
            return [addrinfo(EXAMPLE_HOSTS[host], int(port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    path = case.example_path()
    match = ROUTER.match(case.method, path)
    assert not isinstance(match, NoRoute), case.id
    handler = load_handler(FOLDERS[match.route.function_id])
    if case.code == "service_unavailable":
        monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)  # no waits
        throttling = FaultInjector(1.0, seed=1, faults=(Fault.THROTTLING,))
        throttling.install(dynamodb_client())
        sends: Callable[[], int] = lambda: len(throttling.sends)  # noqa: E731
    else:
        missing = MissingTable()
        missing.install()
        sends = lambda: missing.sends  # noqa: E731
    # When a valid request of the operation comes (its documented path and body)
    event = api_event(
        case.method,
        path,
        case.body_example(),
        tenant=f"tenant-{uuid.uuid4()}",
        route=match.route.path,
        path_parameters=match.path_parameters,
    )
    answer = invoke(handler, event)
    # Then it reached storage, and the answer is the documented problem
    assert sends() > 0, f"{case.id}: the request never reached DynamoDB ({answer.status} {answer.body})"
    assert answer_mismatches(case, answer.status, answer.headers, answer.body) == [], answer.body


@pytest.mark.parametrize(("key_length", "nested"), UNKNOWN_KEY_BODIES, ids=UNKNOWN_KEY_BODY_IDS)
def test_a_382_kb_body_of_unknown_keys_gets_a_problem_under_16_kb_from_the_function(
    local_env: dict[str, str], key_length: int, nested: bool
) -> None:
    # Given a create body just under the cap, made of unknown keys
    body, keys = body_of_unknown_keys(key_length, nested=nested)
    # When the create function gets it
    handler = load_handler("create_conversation")
    result = handler.lambda_handler(api_event("POST", CREATE, body), lambda_context(handler.__name__))
    # Then its answer, as the function hands it to API Gateway, is under 16 KB
    size = len(json.dumps(result).encode())
    assert size < MAX_ANSWER_BYTES, size
    # And it is the 400 problem naming the first unknown fields, counting the rest
    answer = json.loads(result["body"])
    assert unknown_keys_mismatches(result["statusCode"], result["headers"], answer, keys, nested) == []
