"""`make mutation`'s own logic (local/mutation.py): the stage's settings, reading mutmut's diffs, verdicts."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from local.mutation import (
    STAGE_CONFTEST,
    Mutant,
    Summary,
    Verdict,
    _changed_lines,
    _file_line,
    _function_nodes,
    load_verdicts,
    render,
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


def test_a_mutant_s_tests_run_fastest_first_by_the_stats_run_s_durations(tmp_path: Path) -> None:
    # Given the stage's conftest next to mutmut's stats, which timed a slow and a fast test
    (tmp_path / "conftest.py").write_text(STAGE_CONFTEST, encoding="utf-8")
    durations = {"test_order.py::test_slow": 9.0, "test_order.py::test_fast": 0.1}
    (tmp_path / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": durations}), encoding="utf-8")
    (tmp_path / "test_order.py").write_text(
        "def test_slow():\n    pass\n\n\ndef test_fast():\n    pass\n", encoding="utf-8"
    )
    # When pytest collects them (file order: slow first)
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    # Then the fast one runs first
    tests = [line for line in collected if "::" in line]
    assert tests == ["test_order.py::test_fast", "test_order.py::test_slow"]
