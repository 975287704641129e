"""Fuzzing the local API from openapi.json (schemathesis): every operation, every check schemathesis has
(`--checks all`: none excluded), over 2,000 generated requests, schema-valid and schema-violating, sent to the
dev server that `python -m local.dev_server` runs, each with a token holding the scope its operation requires.

Every answer: no 5xx, a documented status code, content type, headers and body; a schema-valid request is
accepted and a schema-violating one rejected; a method the path item lacks is a 405 whose `Allow` is the path
item's; a missing or invalid token is refused wherever a valid one is served (ignored_auth); and every error
is the contract's RFC 9457 problem document (application/problem+json), a rejected request naming its fields.
Deterministic: Hypothesis is derandomized and keeps no example database, so every run sends the same cases.
The stateful phase (the links; where use_after_free, ensure_resource_availability and
object_level_authorization have earlier steps to go by) is test_fuzz_stateful.py.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from local.token import mint_token
from tests.e2e.fuzzing import (
    CHECK_NAMES,
    FUZZ_TENANT,
    KNOWN_CONVERSATIONS,
    OPERATIONS,
    PEER_TENANT,
    SCHEMA,
    Case,
    Figures,
    contract_error_shape,
)
from tests.harness import CREATE

MIN_REQUESTS = 2000
# The fuzzing phase's examples per operation: the budget shared out, so that adding operations does not
# lengthen the run. The examples and coverage phases (limits at their edges, each documented type broken
# once, every undeclared method) add their own cases on top.
FUZZ_EXAMPLES = math.ceil(1.2 * MIN_REQUESTS / len(OPERATIONS))
FIGURES = Figures()


def _create(base_url: str, tenant: str, customer: str) -> str:
    request = urllib.request.Request(
        f"{base_url}{CREATE}",
        data=json.dumps({"customercontext": {"customerid": customer}}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {mint_token(tenant)}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        conversation_id: str = json.loads(response.read())["conversationId"]
    return conversation_id


@pytest.fixture(scope="module")
def conversations(dev_server: str) -> Iterator[list[str]]:
    """Conversations path parameters are sometimes drawn from: the fuzzing tenant's, and one of its peer."""
    tenants = [(FUZZ_TENANT, f"fuzz-customer-{n}") for n in range(8)] + [(PEER_TENANT, "fuzz")]
    KNOWN_CONVERSATIONS.extend(_create(dev_server, tenant, customer) for tenant, customer in tenants)
    yield KNOWN_CONVERSATIONS
    KNOWN_CONVERSATIONS.clear()


@pytest.fixture(scope="module")
def figures() -> Iterator[Figures]:
    """Checked once every operation's test has run, whatever their order: at least 2,000 requests."""
    yield FIGURES
    phases = ("examples", "coverage", "fuzzing")
    total = FIGURES.in_phases(*phases)
    print(f"\nfuzzing: {total} requests, by phase {FIGURES.by_phase()}")
    for label, count in FIGURES.by_operation(*phases):
        print(f"  {count:5d}  {label}")
    if FIGURES.operations(*phases) == set(OPERATIONS):  # not when only some operations were selected
        assert total >= MIN_REQUESTS, FIGURES.by_phase()


@SCHEMA.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_every_answer_is_documented_and_every_error_is_the_contract_s(
    case: Case, dev_server: str, conversations: list[str], figures: Figures
) -> None:
    figures.record(case)
    # The token is set by the schema's auth provider (tests/e2e/fuzzing.py), from the operation's scope.
    case.call_and_validate(base_url=dev_server, additional_checks=[contract_error_shape])


def test_every_check_schemathesis_has_is_enabled() -> None:
    # `--checks all`, none excluded: a check a schemathesis upgrade adds is enabled too
    config = SCHEMA.config.checks_config_for(operation=None, phase=None)
    assert CHECK_NAMES and all(config.get_by_name(name=name).enabled for name in CHECK_NAMES)
