"""local/sam (`make sam-e2e`) without Docker: every events/ file has its function and its expected answer, the
same as the unit tests expect; the local template copy and the --env-vars values."""

from pathlib import Path
from typing import Any

from local.dynamodb_local import REPO_ROOT
from local.sam.e2e_checks import (
    EXPECTED_ANSWER,
    EXPECTED_STATUS,
    expected_status,
    function_for,
    local_variables,
)
from local.sam.local_template import ENDPOINT_VARIABLES, LOCAL_MIN_TIMEOUT, adapt, read
from local.template import load_template, local_secret, resources_of_type
from tests.unit.test_sample_events import EXPECTED_STATUS as SAMPLE_EVENTS_EXPECTED

EVENTS = sorted((REPO_ROOT / "events").glob("*.json"))
TEMPLATE = load_template(REPO_ROOT / "template.yaml")
FUNCTIONS = sorted(resources_of_type(TEMPLATE, "AWS::Serverless::Function"))


def test_every_event_file_names_a_function_and_has_one_expected_outcome() -> None:
    for event in EVENTS:
        assert function_for(event, FUNCTIONS) is not None, event.name
        outcomes = [expected_status(event) is not None, event.name in EXPECTED_ANSWER]
        assert outcomes.count(True) == 1, f"{event.name}: one expected statusCode or answer, not {outcomes}"


def test_the_expectations_name_only_existing_files() -> None:
    names = {event.name for event in EVENTS}
    assert set(EXPECTED_STATUS) <= names
    assert set(EXPECTED_ANSWER) <= names


def test_the_expected_statuses_are_the_unit_tests_on_empty_tables() -> None:
    # tests/unit/test_sample_events.py has (on empty tables, with the sample conversation); sam-e2e runs
    # each file on empty tables
    on_empty_tables = {name: fresh for name, (fresh, _) in SAMPLE_EVENTS_EXPECTED.items()}
    assert on_empty_tables == EXPECTED_STATUS


def test_a_status_in_the_file_name_wins() -> None:
    assert expected_status(Path("create_conversation.new.418.json")) == 418
    assert expected_status(Path("create_conversation.new.json")) == 201


def _adapted() -> dict[str, Any]:
    return adapt(read(REPO_ROOT / "template.yaml"), "x86_64")


def test_the_local_template_declares_the_endpoints_and_gives_every_function_time_to_start() -> None:
    template = _adapted()
    function_globals = template["Globals"]["Function"]
    for name in ENDPOINT_VARIABLES:
        assert function_globals["Environment"]["Variables"][name] == ""
    assert function_globals["Timeout"] >= LOCAL_MIN_TIMEOUT
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") == "AWS::Serverless::Function":
            timeout = resource["Properties"].get("Timeout", function_globals["Timeout"])
            assert timeout >= LOCAL_MIN_TIMEOUT, logical_id
    assert template["Parameters"]["Architecture"]["Default"] == "x86_64"


def test_the_env_vars_hold_the_tables_the_queues_and_a_local_id_secret() -> None:
    tables = {name: name for name in resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")}
    queues = {"WebhookQueue": "http://172.17.0.1:1234/123456789012/WebhookQueue.fifo"}
    variables = local_variables(TEMPLATE, {**tables, **queues})
    assert variables["CONVERSATIONS_TABLE"] == "ConversationsTable"
    assert variables["CHANNELS_TABLE"] == "ChannelsTable"
    assert variables["WEBHOOK_QUEUE_URL"] == queues["WebhookQueue"]
    assert variables["ID_SECRET"] == local_secret("IdSecret")
