"""The breaking-change check (local/api_diff.py): deliberately broken copies of the committed openapi.json
fail it, naming the change, until the changelog declares them; additions pass undeclared. Every file is
passed explicitly, so nothing here depends on git history, except the baseline test, which makes its own
repository.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local.api_diff import (
    REDOCLY,
    BreakingChange,
    baseline_revision,
    breaking_changes,
    declarations,
    explain,
    judge,
    main,
    spec_at,
)
from tests.harness import REPO

Document = dict[str, Any]
COMMITTED: Document = json.loads((REPO / "openapi.json").read_text(encoding="utf-8"))
ONE = "/api/v1.0/consumer/conversation/{conversationId}"
REP_ONE = "/api/v1.0/representative/conversation/{conversationId}"
WHY = "a reason, and what clients do about it"


def changelog(*lines: str) -> str:
    """A README whose changelog's newest section holds `lines`; the older section declares everything, and
    must not count."""
    newest = "".join(f"{line}\n" for line in lines)
    return (
        f"# API\n\n## Tests\nsome text\n\n## Changelog\n\n### Unreleased\n{newest}\n"
        f"### v0.1.0\n- BREAKING `*`: {WHY}\n\n## Deploy\n- BREAKING `*`: {WHY}\n"
    )


def write(path: Path, document: Document) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def schemas(document: Document) -> dict[str, Any]:
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def require_new_request_field(document: Document) -> None:
    start = schemas(document)["StartMessageModel"]
    start["properties"]["channel"] = {"type": "string"}
    start["required"].append("channel")


def remove_response_field(document: Document) -> None:
    created = schemas(document)["CreateConversationResponse"]
    del created["properties"]["isNew"]
    created["required"].remove("isNew")


def remove_operation(document: Document) -> None:
    del document["paths"][ONE]["get"]


EVENT_NAMES = ["accept", "release", "wait", "resume", "end", "close"]


def remove_enum_value(document: Document) -> None:
    schemas(document)["RepresentativeEvent"]["properties"]["name"]["enum"] = EVENT_NAMES[:-1]


def with_activity_enum(document: Document) -> None:
    schemas(document)["RepresentativeEvent"]["properties"]["name"]["enum"] = EVENT_NAMES


def unchanged(document: Document) -> None:
    pass


Edit = Callable[[Document], None]


def copies(tmp_path: Path, base: Edit, current: Edit) -> tuple[Path, Path]:
    before = copy.deepcopy(COMMITTED)
    base(before)
    after = copy.deepcopy(before)
    current(after)
    return write(tmp_path / "base.json", before), write(tmp_path / "current.json", after)


@pytest.fixture(scope="module", autouse=True)
def _tool_installed() -> None:
    assert REDOCLY.exists(), f"{REDOCLY} is missing: run `npm ci` (`make dynamodb-local` does)"


@pytest.mark.parametrize(
    ("base", "break_it", "rules", "named"),
    [
        (unchanged, require_new_request_field, {"required-properties-added"}, "properties/startmessage/"),
        (
            unchanged,
            remove_response_field,
            {"property-removed", "required-properties-removed"},
            "/schema/properties/isNew",
        ),
        (unchanged, remove_operation, {"operation-removed"}, f"GET {ONE}"),
        (with_activity_enum, remove_enum_value, {"enum-values-removed"}, f"POST {REP_ONE} requestBody/"),
    ],
    ids=["request-field-required", "response-field-removed", "operation-removed", "enum-value-removed"],
)
def test_a_breaking_change_fails_until_the_changelog_declares_it(
    tmp_path: Path,
    base: Edit,
    break_it: Edit,
    rules: set[str],
    named: str,
) -> None:
    changes = breaking_changes(*copies(tmp_path, base, break_it))

    assert {c.rule for c in changes} == rules, changes
    undeclared = judge(changes, changelog())
    assert not undeclared.ok and undeclared.undeclared == changes
    message = explain(undeclared, changelog())
    assert all(f"- BREAKING `{c.id}`: <why" in message for c in changes) and named in message
    assert "### Unreleased" in message

    declared = [f"- BREAKING `{c.id}`: {WHY}" for c in changes]
    assert judge(changes, changelog(*declared)).ok
    by_rule = [f"- BREAKING {rule} *: {WHY}" for rule in rules]  # backticks optional, `*` any text
    assert judge(changes, changelog(*by_rule)).ok
    assert not judge(changes, changelog(*by_rule[1:])).ok


def test_additions_pass_without_a_declaration(tmp_path: Path) -> None:
    def add_optional_field_and_operation(document: Document) -> None:
        schemas(document)["StartMessageModel"]["properties"]["channel"] = {"type": "string"}
        schemas(document)["CreateConversationResponse"]["properties"]["channel"] = {"type": "string"}
        listing = copy.deepcopy(document["paths"][ONE]["get"])
        listing.update(operationId="listArchivedConversations", parameters=[])
        document["paths"]["/api/v1.0/consumer/archived-conversations"] = {"get": listing}

    assert breaking_changes(*copies(tmp_path, unchanged, add_optional_field_and_operation)) == []


def test_the_command_fails_naming_the_change_and_passes_once_declared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, current = copies(tmp_path, unchanged, remove_operation)
    readme = tmp_path / "README.md"
    files = ["--base", str(base), "--current", str(current), "--changelog", str(readme)]

    readme.write_text(changelog(), encoding="utf-8")
    assert main(files) == 1
    assert f"- BREAKING `operation-removed GET {ONE}`: <why" in capsys.readouterr().err

    readme.write_text(changelog(f"- BREAKING `operation-removed GET {ONE}`: {WHY}"), encoding="utf-8")
    assert main(files) == 0
    assert "1 breaking change(s), all declared" in capsys.readouterr().out


def change(rule: str, where: str, location: str = "") -> BreakingChange:
    return BreakingChange(rule, where, location, "")


def test_a_declaration_is_the_start_of_an_id_up_to_a_space_or_slash() -> None:
    removed = change("property-removed", "POST /a/create", "responses/200/content/application/json")
    bulk = change("property-removed", "POST /a/create-bulk", "responses/200")

    def covered(pattern: str) -> list[BreakingChange]:
        return [c for c in (removed, bulk) if c not in judge([removed, bulk], changelog(pattern)).undeclared]

    assert covered(f"- BREAKING `property-removed POST /a/create`: {WHY}") == [removed]
    assert covered(f"- BREAKING `property-removed POST /a/create responses/2`: {WHY}") == []
    assert covered(f"- BREAKING `property-removed POST /a/create responses/2*`: {WHY}") == [removed]
    assert covered(f"- BREAKING `property-removed POST /a/create*`: {WHY}") == [removed, bulk]
    assert covered(f"- BREAKING `* POST /a/*`: {WHY}") == [removed, bulk]
    assert covered("- BREAKING `property-removed POST /a/create`:") == []  # no reason, no declaration
    assert judge([removed], changelog(f"- BREAKING `operation-removed GET /x`: {WHY}")).unused == [
        "operation-removed GET /x"
    ]


def test_only_the_newest_changelog_section_counts_and_code_blocks_do_not() -> None:
    fenced = ["```", f"- BREAKING `b`: {WHY}", "```"]
    readme = changelog(f"- BREAKING `a`: {WHY}", *fenced, f"* BREAKING c: {WHY}")
    assert declarations(readme) == ["a", "c"]
    assert declarations("# API\n\n## Tests\n- BREAKING `a`: x\n") == []


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    return subprocess.run([*command, *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def test_the_baseline_is_the_last_v_tag_else_the_previous_commit(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "README.md").write_text("# API\n", encoding="utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "no openapi.json yet")
    assert baseline_revision(tmp_path) is None  # one commit: nothing to compare

    write(tmp_path / "openapi.json", {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}})
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "first document")
    git(tmp_path, "tag", "release-1")  # not v*: ignored
    assert baseline_revision(tmp_path) == ("HEAD~1", "the previous commit (HEAD~1; no v* release tag)")
    assert not spec_at("HEAD~1", tmp_path / "old.json", tmp_path)  # no openapi.json there: the check passes

    git(tmp_path, "tag", "v1.0.0")
    (tmp_path / "README.md").write_text("# API, later\n", encoding="utf-8")
    git(tmp_path, "commit", "-qam", "later")
    assert baseline_revision(tmp_path) == ("v1.0.0", "the last release tag v1.0.0")
    assert spec_at("v1.0.0", tmp_path / "old.json", tmp_path)
    assert json.loads((tmp_path / "old.json").read_text(encoding="utf-8"))["openapi"] == "3.1.0"
