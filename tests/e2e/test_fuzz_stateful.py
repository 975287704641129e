"""Stateful fuzzing of the local API (schemathesis' state machine, built from openapi.json's links): scenarios
that create a conversation and follow its links with the id it answered (read it, send it consumer
activities, read it and send it events as a representative), with every check schemathesis has, including
the stateful ones: a resource just created must be found (ensure_resource_availability), and the fuzzing
tenant's reads are replayed by another tenant, which must not get them (object_level_authorization).

Same tokens, hooks and contract check as test_fuzz.py (tests/e2e/fuzzing.py). Deterministic: Hypothesis is
derandomized and keeps no example database. The figures (scenarios, steps, links followed) are printed and
checked: every link of the document is followed.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from hypothesis import HealthCheck, Phase, settings

from tests.e2e.fuzzing import FUZZ_TENANT, FUZZING, LINKS, SCHEMA, Case, Figures, contract_error_shape

if TYPE_CHECKING:
    from schemathesis import Response
    from schemathesis.checks import CheckFunction
    from schemathesis.generation.stateful.state_machine import APIStateMachine as StateMachine
    from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
else:
    StateMachine = SCHEMA.as_state_machine()

SCENARIOS = 120  # Hypothesis examples: each one a scenario of up to STEPS calls
STEPS = 10
MIN_STEPS = 600


class Workflow(StateMachine):
    """The links' state machine, sending to the dev server and counting what it does."""

    base_url: ClassVar[str] = ""
    figures: ClassVar[Figures] = Figures()

    def setup(self) -> None:
        # A tenant of its own per scenario: a scenario's answers depend on its own steps only (a create is
        # new, then returns the same conversation), not on what earlier scenarios left. Hypothesis replays
        # choice prefixes and requires the same draws to lead to the same rules (else
        # FlakyStrategyDefinition).
        self.figures.scenarios += 1
        FUZZING.tenant = f"fuzz-scenario-{uuid.uuid4()}"

    def teardown(self) -> None:
        FUZZING.tenant = FUZZ_TENANT
        super().teardown()

    def step(self, input: StepInput) -> StepOutput:
        self.figures.record(input.case)
        if input.transition is not None and input.is_applied:
            self.figures.links[input.transition.id] += 1
        return super().step(input)

    def get_call_kwargs(self, case: Case) -> dict[str, Any]:
        # The token is set by the schema's auth provider (tests/e2e/fuzzing.py), from the operation's scope.
        return {"base_url": self.base_url}

    def validate_response(
        self,
        response: Response,
        case: Case,
        additional_checks: list[CheckFunction] | None = None,
        **kwargs: Any,
    ) -> None:
        checks = [*(additional_checks or []), contract_error_shape]
        super().validate_response(response, case, checks, **kwargs)


def test_every_link_is_followed_and_every_answer_is_documented(dev_server: str) -> None:
    Workflow.base_url = dev_server
    Workflow.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    figures = Workflow.figures
    steps = figures.in_phases("stateful")
    followed = {LINKS[transition] for transition in figures.links if transition in LINKS}
    print(
        f"\nstateful: {figures.scenarios} scenarios, {steps} steps, {sum(figures.links.values())} links "
        f"followed ({len(followed)} of the document's {len(set(LINKS.values()))}), by transition:"
    )
    for transition in sorted(LINKS):
        print(f"  {figures.links[transition]:5d}  {transition}")
    # Each link followed from at least one of the answers that declares it (a create's 201 or 200).
    assert followed == set(LINKS.values()), sorted(set(LINKS.values()) - followed)
    assert steps >= MIN_STEPS, steps
