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
    assert set(OPERATIONS) == {
        "createConversation",
        "createConversationAlias",
        "sendActivity",
        "getConversation",
    }


def test_every_operation_requires_a_bearer_token() -> None:
    assert DOCUMENT["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": DOCUMENT["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert DOCUMENT["security"] == [{"bearerAuth": []}]
    assert all("401" in operation["responses"] for operation in OPERATIONS.values())


def test_no_operation_documents_the_422_this_api_never_sends() -> None:
    assert all("422" not in operation["responses"] for operation in OPERATIONS.values())
    assert "HTTPValidationError" not in DOCUMENT["components"]["schemas"]


EXPECTED_ANSWERS = {
    "createConversation": {"200", "201", "400", "401", "409", "413", "415", "500", "503"},
    "createConversationAlias": {"200", "201", "400", "401", "409", "413", "415", "500", "503"},
    "sendActivity": {"200", "400", "401", "404", "413", "415", "500", "503"},
    "getConversation": {"200", "400", "401", "404", "500", "503"},
}


@pytest.mark.parametrize("operation_id", sorted(EXPECTED_ANSWERS))
def test_every_operation_documents_its_answers_errors_in_the_contract_s_shape(operation_id: str) -> None:
    responses = OPERATIONS[operation_id]["responses"]
    assert EXPECTED_ANSWERS[operation_id] <= set(responses)
    for status, answer in responses.items():
        if int(status) >= 400:
            schema = json.dumps(answer["content"]["application/json"]["schema"])
            assert '"#/components/schemas/ErrorResponse"' in schema, status
