"""Every error example openapi.json documents, answered for real over HTTP by `make dev`'s server.

The cases come from the document (tests/documented_errors.py): per operation and status, each
`application/problem+json` example. A recipe per code (tests/error_recipes.py), parameterized by the
operation (its method, path, scopes, body and query as documented), makes a request that must get that
error: the documented status, `Content-Type: application/problem+json`, the headers documented for the
status (WWW-Authenticate, Retry-After), the example's `type`, `title`, `code` and `status`, and a body valid
against the document's Problem schema. The storage failures (500, 503) are walked in process
(tests/integration/test_documented_errors_in_process.py); a code with a recipe in neither fails here. The
same recipes run against the functions in the test's own process
(tests/integration/test_documented_errors_over_loopback.py), where `make mutation` sees them.

Also here: the largest bodies of unknown keys (just under the 384 KB body cap) get a problem answer under
16 KB on the wire, naming the first unknown fields and counting the rest in `moreErrors`; and every documented
path answers a method it does not declare with a 405 problem whose `Allow` lists the declared ones.
"""

from __future__ import annotations

import uuid

import pytest

from local.token import mint_token
from tests.documented_errors import (
    DOCUMENT,
    MAX_ANSWER_BYTES,
    METHODS,
    PROBLEM_JSON,
    PROBLEM_VALIDATOR,
    STORAGE_FAILURES,
    UNKNOWN_KEY_BODIES,
    UNKNOWN_KEY_BODY_IDS,
    DocumentedError,
    answer_mismatches,
    body_of_unknown_keys,
    documented_errors,
    unknown_keys_mismatches,
)
from tests.e2e.api_client import BOTH_SCOPES, CONSUMER_SCOPE
from tests.e2e.conftest import Send
from tests.error_recipes import CASES, RECIPES, Caller, exchange, request_in_progress


def test_every_documented_error_code_has_a_recipe() -> None:
    # Given every error the document declares
    codes = {case.code for case in documented_errors()}
    # Then each is made over HTTP here, or in process (storage failures), and no recipe is left unused
    assert codes - STORAGE_FAILURES == RECIPES.keys(), "add a recipe for a newly documented error"
    # And the walk is not vacuous: the document has its examples (109 when this was written)
    assert len(documented_errors()) >= 100


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_documented_error_is_answered_as_documented(
    case: DocumentedError, dev_server: str, send: Send, dynamodb_endpoint: str
) -> None:
    # Given the operation's recipe for this error (a missing recipe fails here, loudly)
    recipe = RECIPES.get(case.code)
    assert recipe is not None, f"{case.id}: no recipe makes {case.code}"
    caller = Caller(dev_server, send, case)
    # When it is sent
    answer = recipe(caller, dynamodb_endpoint) if recipe is request_in_progress else recipe(caller)
    # Then the answer is the documented problem
    assert answer_mismatches(case, answer.status, answer.headers, answer.document()) == [], answer.body


# The largest bodies of unknown keys -------------------------------------------------------------------------


@pytest.mark.parametrize(("key_length", "nested"), UNKNOWN_KEY_BODIES, ids=UNKNOWN_KEY_BODY_IDS)
def test_a_382_kb_body_of_unknown_keys_gets_a_problem_under_16_kb(
    dev_server: str, key_length: int, nested: bool
) -> None:
    # Given a create body just under the cap, made of unknown keys
    body, keys = body_of_unknown_keys(key_length, nested=nested)
    # When a client sends it
    answer = exchange(
        dev_server,
        "POST",
        "/api/v1.0/consumer/conversations/create",
        body,
        token=mint_token(f"e2e-errors-{uuid.uuid4()}", scope=CONSUMER_SCOPE),
    )
    # Then it is a 400 problem of at most 16 KB, all of it as received
    assert answer.wire_bytes < MAX_ANSWER_BYTES, (answer.wire_bytes, len(body))
    # And it names the first unknown fields, cut short, and counts the rest in moreErrors
    assert unknown_keys_mismatches(answer.status, answer.headers, answer.document(), keys, nested) == []
    print(f"{len(keys)} unknown keys of {key_length} chars, {len(body)} B body: {answer.wire_bytes} B answer")


# The gateway's own errors, on every documented path --------------------------------------------------------

PATHS = sorted(DOCUMENT["paths"])


@pytest.mark.parametrize("path", PATHS)
def test_a_method_a_documented_path_does_not_declare_is_a_405_problem_allowing_the_declared_ones(
    dev_server: str, path: str
) -> None:
    # Given a documented path and a method the document does not declare on it
    declared = {method.upper() for method in DOCUMENT["paths"][path] if method in METHODS}
    method = next(m for m in ("DELETE", "PATCH", "PUT", "POST", "GET") if m not in declared)
    concrete = path.replace("{conversationId}", str(uuid.uuid4()))
    token = mint_token(f"e2e-errors-{uuid.uuid4()}", scope=BOTH_SCOPES)
    # When it is sent
    answer = exchange(dev_server, method, concrete, b"{}" if method != "GET" else None, token=token)
    # Then it is a 405 problem whose Allow lists exactly the declared methods
    document = answer.document()
    assert (answer.status, answer.headers["content-type"], document["code"]) == (
        405,
        PROBLEM_JSON,
        "method_not_allowed",
    ), document
    assert list(PROBLEM_VALIDATOR.iter_errors(document)) == []
    assert {m.strip() for m in answer.headers["allow"].split(",")} == declared, answer.headers
