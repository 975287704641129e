"""`make mutation`'s own logic (local/mutation.py): the stage's settings, reading mutmut's diffs, verdicts."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from local.mutation import (
    OUTSIDE_KILL,
    STAGE_CONFTEST,
    Mutant,
    Summary,
    Verdict,
    _changed_lines,
    _file_line,
    _function_nodes,
    collect_results,
    forget_outside_kills,
    load_mutants,
    load_verdicts,
    render,
    seed_metas,
    stage_pyproject,
    todo_stubs,
)
from tests.harness import REPO

SOURCE = '''"""A module."""


def plain(value: int) -> int:
    return value + 1


class Store:
    # a comment above the method
    @staticmethod
    def put(key: str) -> str:
        prefix = "k#"
        return prefix + key
'''
# What mutmut's `show` prints for a mutant of Store.put: the function alone (with its comment and decorator).
DIFF = """--- messaging/store.py
+++ messaging/store.py
@@ -1,5 +1,5 @@
 # a comment above the method
 @staticmethod
 def put(key: str) -> str:
-    prefix = "k#"
+    prefix = "XXk#XX"
     return prefix + key"""


def test_the_stage_runs_the_chosen_tests_with_the_package_at_its_root() -> None:
    settings = tomllib.loads(stage_pyproject(["tests/unit"], "fork"))
    assert settings["tool"]["mutmut"]["source_paths"] == ["messaging"]
    assert settings["tool"]["mutmut"]["pytest_add_cli_args_test_selection"] == ["tests/unit"]
    assert settings["tool"]["pytest"]["ini_options"]["pythonpath"] == ["."]
    # mypy --strict, as `make test` runs it, kills the mutants it refuses (mutmut finds mypy by this element)
    type_check = settings["tool"]["mutmut"]["type_check_command"]
    assert "mypy" in type_check and "--strict" in type_check and type_check[-2:] == ["--output", "json"]
    with (REPO / "pyproject.toml").open("rb") as stream:
        markers = tomllib.load(stream)["tool"]["pytest"]["ini_options"]["markers"]
    assert settings["tool"]["pytest"]["ini_options"]["markers"] == markers


def test_a_mutant_is_placed_on_its_line_of_the_file() -> None:
    first, removed, added = _changed_lines(DIFF)
    assert (first, removed, added) == (4, ('prefix = "k#"',), ('prefix = "XXk#XX"',))
    line = _file_line(
        "messaging.store.xǁStoreǁput__mutmut_1", DIFF, SOURCE.splitlines(), _function_nodes(SOURCE)
    )
    assert SOURCE.splitlines()[line - 1].strip() == 'prefix = "k#"' and line == 12


def survivor(name: str = "messaging.store.xǁStoreǁput__mutmut_1") -> Mutant:
    return Mutant(name, "messaging/store.py", "survived", 12, ('prefix = "k#"',), ('prefix = "XXk#XX"',))


def test_verdicts_match_by_function_and_change_or_by_function_alone() -> None:
    mutant = survivor()
    assert mutant.readable_function == "messaging.store.Store.put"
    assert Verdict(
        "messaging.store.Store.put", 'prefix = "k#"', 'prefix = "XXk#XX"', "equivalent", "w"
    ).matches(mutant)
    assert Verdict("messaging.store.Store.put", None, None, "not worth a test", "why").matches(mutant)
    assert not Verdict("messaging.store.Store.put", 'prefix = "k#"', "other", "equivalent", "w").matches(
        mutant
    )
    assert not Verdict("messaging.store.plain", None, None, "equivalent", "why").matches(mutant)


def test_a_filled_in_stub_becomes_a_verdict_the_report_counts(tmp_path: Path) -> None:
    killed = Mutant("messaging.store.x_plain__mutmut_1", "messaging/store.py", "killed")
    summary = Summary([survivor(), killed], [])
    stub = (
        todo_stubs(summary)
        .replace('why = ""', 'why = "a log prefix"')
        .replace("equivalent", "not worth a test")
    )
    verdicts_file = tmp_path / "mutation_verdicts.toml"
    verdicts_file.write_text(stub, encoding="utf-8")
    judged = Summary([survivor(), killed], load_verdicts(verdicts_file))
    report = render(judged, {"seconds": 61, "tests": ["tests/unit"], "jobs": 2, "mutmut": "3"})
    assert "| 2 | 1 | 1 | 0 | 1 | 0 | 50.0 % |" in report  # mutants, killed, survived, …, kill rate
    assert "**not worth a test**: a log prefix" in report and "1 min 01 s" in report
    unjudged = render(Summary([survivor(), killed], []), {})
    assert "## Survivors: needs a test or a verdict (1)" in unjudged
    assert "`layers/shared/messaging/store.py:12`" in unjudged


DURATIONS = {
    "integration/test_i.py::test_quickest": 0.01,
    "test_a.py::test_slow": 9.0,
    "test_a.py::test_quick": 0.2,
    "test_b.py::test_fast": 0.1,
    "test_b.py::test_fair": 0.3,
}


def _stage_with_tests(stage: Path, failing: str = "") -> Path:
    """The stage's conftest next to mutmut's stats, which timed each test's call: a unit module with a slow
    and a quick test, a cheaper unit module, and an integration module with the quickest test of all."""
    stage.mkdir()
    (stage / "conftest.py").write_text(STAGE_CONFTEST, encoding="utf-8")
    (stage / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": DURATIONS}), encoding="utf-8")
    for nodeid in DURATIONS:
        module, _, name = nodeid.partition("::")
        (stage / module).parent.mkdir(exist_ok=True)
        with (stage / module).open("a", encoding="utf-8") as file:
            file.write(f"def {name}():\n    assert {nodeid != failing}\n\n\n")
    return stage


def _pytest(stage: Path, *arguments: str, mutant: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments, str(stage)],
        cwd=stage,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "MUTANT_UNDER_TEST": mutant},
    )


def _collected(stage: Path, mutant: str = "") -> list[str]:
    lines = _pytest(stage, "--collect-only", mutant=mutant).stdout.splitlines()
    return [line for line in lines if "::" in line]


def test_a_mutant_s_tests_run_unit_first_then_module_by_module_cheapest_first(tmp_path: Path) -> None:
    # Given the stage's tests, none of which has killed a mutant yet
    stage = _stage_with_tests(tmp_path / "mutants")
    # When pytest collects them for a mutant
    collected = _collected(stage, "messaging.store.x_plain__mutmut_1")
    # Then the unit tests come first, the cheaper module whole before the other (each fastest first, so a
    # module's fixtures are set up once), and the integration test last
    assert collected == [
        "test_b.py::test_fast",
        "test_b.py::test_fair",
        "test_a.py::test_quick",
        "test_a.py::test_slow",
        "integration/test_i.py::test_quickest",
    ]


def test_the_test_that_killed_a_mutant_is_written_down(tmp_path: Path) -> None:
    # Given the stage's tests, of which test_a.py::test_quick fails on this mutant
    stage = _stage_with_tests(tmp_path / "mutants", failing="test_a.py::test_quick")
    # When the mutant's tests run, stopping at the first failure as mutmut's do
    _pytest(stage, "-x", mutant="messaging.store.x_plain__mutmut_3")
    # Then that test is written down as its killer, beside the stage
    killers = (tmp_path / "killers.tsv").read_text(encoding="utf-8")
    assert killers == "messaging.store.x_plain__mutmut_3\ttest_a.py::test_quick\n"


def test_the_tests_that_killed_mutants_of_the_same_function_then_module_run_first(tmp_path: Path) -> None:
    # Given kills written down: twice by a slow unit test in this function, once by another test in another
    # function of the same module, once by an integration test of that module, once in another module
    stage = _stage_with_tests(tmp_path / "mutants")
    (tmp_path / "killers.tsv").write_text(
        "messaging.store.xǁStoreǁput__mutmut_1\ttest_b.py::test_fair\n"
        "messaging.store.xǁStoreǁput__mutmut_2\tintegration/test_i.py::test_quickest\n"
        "messaging.other.x_plain__mutmut_1\ttest_a.py::test_quick\n"
        "messaging.store.x_plain__mutmut_1\ttest_a.py::test_slow\n"
        "messaging.store.x_plain__mutmut_2\ttest_a.py::test_slow\n",
        encoding="utf-8",
    )
    # When pytest collects the tests of another mutant of that function
    collected = _collected(stage, "messaging.store.x_plain__mutmut_7")
    # Then the function's killer comes first, then the module's unit killer, then the rest as before
    assert collected == [
        "test_a.py::test_slow",
        "test_b.py::test_fair",
        "test_b.py::test_fast",
        "test_a.py::test_quick",
        "integration/test_i.py::test_quickest",
    ]


MODULE_V1 = """def plain(value: int) -> int:
    return value + 1


class Store:
    def put(self, key: str) -> str:
        return "k#" + key
"""


def _generate_mutants(stage: Path) -> dict[str, int | None]:
    """mutmut's own step that writes a module's mutants and merges the results it already has."""
    (stage / "pyproject.toml").write_text('[tool.mutmut]\nsource_paths = ["messaging"]\n', encoding="utf-8")
    with contextlib.chdir(stage):
        # imported here: mutmut reads its settings (pyproject.toml) from the working folder on import
        from mutmut.__main__ import create_mutants_for_file  # noqa: PLC0415

        create_mutants_for_file(Path("messaging/mod.py"), Path("mutants/messaging/mod.py"))
        meta = json.loads(Path("mutants/messaging/mod.py.meta").read_text(encoding="utf-8"))
    exit_codes: dict[str, int | None] = meta["exit_code_by_key"]
    return exit_codes


def _stage(root: Path, source: str, seeded: dict[str, Any] | None = None) -> dict[str, int | None]:
    """A stage at `root` holding messaging/mod.py (and the results a campaign starts from): its mutants."""
    (root / "messaging").mkdir(parents=True)
    (root / "messaging" / "mod.py").write_text(source, encoding="utf-8")
    (root / "mutants" / "messaging").mkdir(parents=True)
    if seeded is not None:
        (root / "mutants" / "messaging" / "mod.py.meta").write_text(json.dumps(seeded), encoding="utf-8")
    return _generate_mutants(root)


def _meta(root: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(
        (root / "mutants" / "messaging" / "mod.py.meta").read_text(encoding="utf-8")
    )
    return meta


def test_a_kill_carries_to_the_next_campaign_while_its_function_is_unchanged(tmp_path: Path) -> None:
    # Given a campaign over a module: plain's first mutant killed, its second a survivor, put's first killed
    # by a test, its second by a timeout, its third by the type check
    first = _stage(tmp_path, MODULE_V1)
    put = "messaging.mod.xǁStoreǁput__mutmut_"
    assert set(first) == {"messaging.mod.x_plain__mutmut_1", "messaging.mod.x_plain__mutmut_2"} | {
        f"{put}{n}" for n in (1, 2, 3)
    }
    meta = _meta(tmp_path)
    meta["exit_code_by_key"] = {
        "messaging.mod.x_plain__mutmut_1": 1,
        "messaging.mod.x_plain__mutmut_2": 0,
        f"{put}1": 1,
        f"{put}2": 36,
        f"{put}3": 37,
    }
    # When its results are saved, and a later campaign (a new stage) starts from them after put changed
    results = collect_results({"messaging/mod.py": meta})
    assert results["files"]["messaging/mod.py"]["x_plain"]["killed"] == {"1": [1]}
    seeded = seed_metas(json.loads(json.dumps(results)))["messaging/mod.py"]
    second = _stage(tmp_path / "later", MODULE_V1.replace('"k#"', '"key#"'), seeded)
    # Then only the unchanged function's test kill is kept: its survivor, the changed function's mutants and
    # the type check's kill are tested again
    assert {name: code for name, code in second.items() if code is not None} == {
        "messaging.mod.x_plain__mutmut_1": 1
    }
    assert len(second) == len(first)
    # And without the change, the timeout is carried too (and still not the type check's kill)
    assert {
        name: code for name, code in _stage(tmp_path / "same", MODULE_V1, seeded).items() if code is not None
    } == {
        "messaging.mod.x_plain__mutmut_1": 1,
        f"{put}1": 1,
        f"{put}2": 36,
    }


def test_a_survivor_settled_by_a_verdict_carries_and_one_without_is_tested_again(tmp_path: Path) -> None:
    # Given a campaign over a module: plain's two mutants and put's first survived; a verdict settles plain's
    # second (equivalent, say), nothing settles the others
    _stage(tmp_path, MODULE_V1)
    put = "messaging.mod.xǁStoreǁput__mutmut_"
    meta = _meta(tmp_path)
    meta["exit_code_by_key"] = {
        "messaging.mod.x_plain__mutmut_1": 0,
        "messaging.mod.x_plain__mutmut_2": 0,
        f"{put}1": 0,
        f"{put}2": 1,
        f"{put}3": None,
    }
    # When its results are saved with the settled survivor, and a later campaign starts from them
    results = collect_results({"messaging/mod.py": meta}, {"messaging.mod.x_plain__mutmut_2"})
    plain = results["files"]["messaging/mod.py"]["x_plain"]
    assert (plain["killed"], plain["settled"]) == ({}, {"0": [2]})
    seeded = seed_metas(json.loads(json.dumps(results)))["messaging/mod.py"]
    # Then the settled survivor and the kill stand; the unsettled survivors are tested again
    assert {
        name: code for name, code in _stage(tmp_path / "later", MODULE_V1, seeded).items() if code is not None
    } == {
        "messaging.mod.x_plain__mutmut_2": 0,
        f"{put}2": 1,
    }


def test_a_mutant_killed_from_outside_is_neither_carried_nor_counted_and_is_tested_again() -> None:
    # Given a campaign in which the OOM killer (SIGKILL) stopped one mutant's tests, and a test killed another
    meta: dict[str, Any] = {
        "exit_code_by_key": {"messaging.mod.x_plain__mutmut_1": -9, "messaging.mod.x_plain__mutmut_2": 1},
        "hash_by_function_name": {"x_plain": "h"},
    }
    # When its results are saved, Then only the test's kill is carried
    assert collect_results({"messaging/mod.py": meta})["files"]["messaging/mod.py"]["x_plain"]["killed"] == {
        "1": [2]
    }
    # And when a run starts (or resumes) from them, the stopped one is not checked: mutmut tests it again
    assert forget_outside_kills(meta) == 1
    assert meta["exit_code_by_key"] == {
        "messaging.mod.x_plain__mutmut_1": None,
        "messaging.mod.x_plain__mutmut_2": 1,
    }


def test_a_mutant_killed_from_outside_reads_as_not_checked_in_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a stage whose results hold one mutant stopped by SIGKILL (mutmut reads it as a segfault, a kill)
    # and the others killed by a test
    stopped = "messaging.mod.x_plain__mutmut_1"
    names = _stage(tmp_path, MODULE_V1)
    meta = _meta(tmp_path)
    meta["exit_code_by_key"] = {name: OUTSIDE_KILL if name == stopped else 1 for name in names}
    (tmp_path / "mutants" / "messaging" / "mod.py.meta").write_text(json.dumps(meta), encoding="utf-8")
    monkeypatch.setattr("local.mutation.STAGE", tmp_path)
    # When the report reads them
    statuses = {mutant.name: mutant.status for mutant in load_mutants()}
    # Then the stopped one is not checked, and so not counted as killed; the others are killed
    assert statuses.pop(stopped) == "not checked"
    assert set(statuses.values()) == {"killed"}
    assert Summary(load_mutants(), []).statuses["not checked"] == 1
