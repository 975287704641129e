"""openapi.json is what the code generates (`python -m local.openapi`) and documents what the API answers."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from local.openapi import REGENERATE
from tests.harness import REPO

DOCUMENT: dict[str, Any] = json.loads((REPO / "openapi.json").read_text(encoding="utf-8"))
OPERATIONS = {
    operation["operationId"]: operation for item in DOCUMENT["paths"].values() for operation in item.values()
}


def check(*options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "local.openapi", "--check", *options]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def test_the_committed_openapi_json_is_what_the_code_generates() -> None:
    checked = check()
    assert checked.returncode == 0, (
        f"openapi.json differs from the code: run `{REGENERATE}` and commit openapi.json.\n{checked.stderr}"
    )


def test_a_stale_document_fails_the_check_and_names_the_command(tmp_path: Path) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(json.dumps({**DOCUMENT, "paths": {}}), encoding="utf-8")
    checked = check("--output", str(stale))
    assert checked.returncode == 1 and f"run `{REGENERATE}`" in checked.stderr


def test_it_documents_every_operation_under_its_title_and_the_project_s_version() -> None:
    with (REPO / "pyproject.toml").open("rb") as stream:
        version = tomllib.load(stream)["project"]["version"]
    assert (DOCUMENT["info"]["title"], DOCUMENT["info"]["version"]) == ("Messaging API", version)
    assert set(OPERATIONS) == set(EXPECTED_ANSWERS)


def test_every_operation_requires_a_bearer_token_with_the_route_s_scope() -> None:
    scheme = DOCUMENT["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    for operation_id, operation in OPERATIONS.items():
        scope = (
            "messaging/representative"
            if operation["tags"] == ["representative"]
            else "messaging/conversations"
        )
        assert operation["security"] == [{"bearerAuth": [scope]}], operation_id
        assert {"401", "403"} <= set(operation["responses"]), operation_id


def test_no_operation_documents_the_422_this_api_never_sends() -> None:
    assert all("422" not in operation["responses"] for operation in OPERATIONS.values())
    assert "HTTPValidationError" not in DOCUMENT["components"]["schemas"]


EXPECTED_ANSWERS = {
    "createConversation": {"200", "201", "400", "401", "403", "409", "413", "415", "500", "503"},
    "createConversationAlias": {"200", "201", "400", "401", "403", "409", "413", "415", "500", "503"},
    "sendActivity": {"200", "400", "401", "403", "404", "409", "413", "415", "500", "503"},
    "getConversation": {"200", "400", "401", "403", "404", "500", "503"},
    "listConversations": {"200", "400", "401", "403", "500", "503"},
    "listRepresentativeConversations": {"200", "400", "401", "403", "500", "503"},
    "getRepresentativeConversation": {"200", "400", "401", "403", "404", "500", "503"},
    "sendRepresentativeActivity": {"200", "400", "401", "403", "404", "409", "413", "415", "500", "503"},
    "getTranscript": {"200", "400", "401", "403", "404", "500", "503"},
    "getRepresentativeTranscript": {"200", "400", "401", "403", "404", "500", "503"},
    "getContext": {"200", "400", "401", "403", "404", "500", "503"},
    "setChannel": {"200", "400", "401", "403", "413", "415", "500", "503"},
    # No input but the token: nothing to be malformed
    "getChannel": {"200", "401", "403", "404", "500", "503"},
    "rotateChannelSecret": {"200", "401", "403", "404", "500", "503"},
}


@pytest.mark.parametrize("operation_id", sorted(EXPECTED_ANSWERS))
def test_every_operation_documents_its_answers_and_errors_as_problem_details(operation_id: str) -> None:
    responses = OPERATIONS[operation_id]["responses"]
    assert set(responses) == EXPECTED_ANSWERS[operation_id]
    for status, answer in responses.items():
        if int(status) >= 400:
            media = answer["content"]["application/problem+json"]
            assert media["schema"] == {"$ref": "#/components/schemas/Problem"}, status
            assert all(example["value"]["status"] == int(status) for example in media["examples"].values())
        else:
            assert "example" in answer["content"]["application/json"], status


@pytest.mark.parametrize("operation_id", sorted(EXPECTED_ANSWERS))
def test_every_operation_has_a_tag_a_summary_and_a_worked_example(operation_id: str) -> None:
    operation = OPERATIONS[operation_id]
    assert operation["tags"] and operation["summary"]
    if "requestBody" in operation:
        assert "example" in operation["requestBody"]["content"]["application/json"]


def test_create_links_its_conversation_id_to_every_operation_that_takes_one() -> None:
    # The stateful fuzzing (tests/e2e/test_fuzz_stateful.py) reaches an operation through these links
    takes_one = {
        operation["operationId"]
        for path, item in DOCUMENT["paths"].items()
        for operation in item.values()
        if "{conversationId}" in path
    }
    assert {"getConversation", "sendActivity", "getRepresentativeConversation"} <= takes_one
    for create in ("createConversation", "createConversationAlias"):
        for status in ("200", "201"):
            links = OPERATIONS[create]["responses"][status]["links"]
            by_id = {link["operationId"]: link for link in links.values()}
            assert set(by_id) == takes_one | {create}, (create, status)
            for operation_id in takes_one:
                parameters = by_id[operation_id]["parameters"]
                assert parameters == {"conversationId": "$response.body#/conversationId"}
            # Retry: the same request again (an idempotent create) answers this conversation
            assert by_id[create]["requestBody"] == "$request.body"


def test_the_rules_the_models_enforce_are_in_the_schemas() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    customer = schemas["CustomerContext"]["properties"]
    email = next(s for s in customer["email"]["anyOf"] if s["type"] == "string")
    phone = next(s for s in customer["phonenumber"]["anyOf"] if s["type"] == "string")
    assert email["maxLength"] == 200 and email["pattern"].startswith("^")
    assert phone["pattern"] and phone["maxLength"] == 200
    context = schemas["CreateConversationRequest"]["properties"]["conversationcontext"]["anyOf"][0]
    assert context["maxProperties"] == 100
    kinds = schemas["ConsumerActivity"]["discriminator"]["mapping"]
    assert set(kinds) == {"message", "typing", "event", "endOfConversation"}
    assert schemas["EndOfConversationActivity"]["properties"]["type"]["const"] == "endOfConversation"
    text = schemas["MessageActivity"]["properties"]["text"]["anyOf"][0]
    assert text["maxLength"] == 6000
    assert schemas["Problem"]["properties"]["errors"]["maxItems"] == 20


def test_the_rules_json_schema_cannot_state_are_named_by_extensions() -> None:
    # What a tool (the fuzzing's hooks) needs to make a schema-valid request one the API accepts
    schemas = DOCUMENT["components"]["schemas"]
    message = schemas["StartMessageModel"]["properties"]["message"]
    assert message["x-maxBytes"] == 27 * 1024 and message["maxLength"] == 27 * 1024
    reference = schemas["ConversationReference"]["properties"]["id"]
    assert reference["x-equalsPathParameter"] == "conversationId"
    for operation_id in (
        "listConversations",
        "listRepresentativeConversations",
        "getTranscript",
        "getRepresentativeTranscript",
    ):
        token = next(p for p in OPERATIONS[operation_id]["parameters"] if p["name"] == "ContinuationToken")
        assert token["schema"]["x-issuedByApi"] is True
    # accept names its representative: JSON Schema can say that one
    activity = schemas["RepresentativeEvent"]
    assert activity["if"]["properties"]["name"] == {"const": "accept"}
    assert activity["then"]["required"] == ["from"]
    assert activity["then"]["properties"]["from"]["required"] == ["id"]
