"""`make mutation`: mutation testing of the shared layer (`layers/shared/messaging`, every module,
recursively) with mutmut, and the report `tests/MUTATION.md`.

    python -m local.mutation                 # the whole campaign, then tests/MUTATION.md
    python -m local.mutation report          # only the report again (after editing the verdicts file)
    MUTANTS='messaging.domain.*' python -m local.mutation   # some mutants only: report in .mutation/

Settings (environment, or the options of the same meaning):
    MUTATION_TESTS  the tests run against each mutant, pytest paths (default: "tests/unit tests/integration");
                    mutmut runs, of those, only the tests that call the mutated function
    MUTATION_PYTEST_ARGS  more pytest options (default: -m "not slow and not realtime": left out are the
                    concurrency stress tests (slow) and the webhook fault suites that wait out real deadlines
                    and backoffs (realtime): ~3.5 of the ~7 min the stats run takes, paid again by every
                    survivor of a function they call (nearly all, as they run the whole pipeline); leaving a
                    test out can only turn a kill into a survivor, never the other way;
                    MUTATION_PYTEST_ARGS= runs them too, for a campaign several times as long)
    MUTATION_JOBS   mutants tested at once (default 2)
    MUTANTS         mutmut name globs, space separated: test only these (the report then goes to .mutation/)
    --resume        finish an interrupted campaign (mutmut keeps each result; the time adds up)
    --fresh         (FRESH=1) ignore tests/mutation-results.json: every mutant is tested again

How: mutmut names a mutant after its module, from the file path, so it has to see the package as `messaging/`
(the tests import `messaging.…`, from the layer's folder). The campaign therefore runs in `.mutation/` (git
ignores it): `messaging` there is a link to `layers/shared/messaging`, and `pyproject.toml` there is written
here (pytest's settings from the repository's, with `pythonpath = ["."]`, and mutmut's). mutmut writes the
mutated package into `.mutation/mutants/messaging/`; the rest of the repository is linked into
`.mutation/mutants/` (so the tests read template.yaml, functions/, events/ … from the repository itself) and
only `messaging` is imported from the mutants. DynamoDB Local is started once for the whole campaign and
handed to every mutant's tests through `DYNAMODB_ENDPOINT` (tests/conftest.py honours it). A campaign
starts from the kills saved in tests/mutation-results.json (below); `--resume` keeps every result so far
(tests added since are found and timed, but a survivor is tried again only when named: `--mutants`).
Before any test runs, mypy --strict over the mutated package kills the mutants it refuses (TYPE_CHECK); each
other mutant runs the tests that call its function until one fails: first those that killed other mutants of
the same function, then fastest first (STAGE_CONFTEST); each kill is written down in `.mutation/killers.tsv`.

Verdicts on survivors are hand-written in `tests/mutation_verdicts.toml` and merged into the report.

A campaign spans sessions: `.mutation/` lives only in a working copy, so every campaign, finished or
stopped, saves its kills to `tests/mutation-results.json` (committed): per function, the hash mutmut keeps
of its source and the numbers of its killed mutants, and of its survivors a verdict settles. The next
campaign starts from them: mutmut keeps a result only while its function's source is unchanged (its own
incremental rule), so only the mutants of new or changed functions, the survivors without a verdict (new
tests may kill them) and the unchecked are tested; the type check runs afresh. A kill stays valid while
its function is unchanged and its test still fails on it: `--fresh` re-tests everything (do it when tests
were removed or weakened, or to check the verdicts again).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from local.dynamodb_local import REPO_ROOT, DynamoDBLocal

PACKAGE = Path("layers/shared/messaging")  # what is mutated: every module under it
STAGE = REPO_ROOT / ".mutation"
REPORT = REPO_ROOT / "tests" / "MUTATION.md"
PARTIAL_REPORT = STAGE / "MUTATION.md"
VERDICTS = REPO_ROOT / "tests" / "mutation_verdicts.toml"
TODO = STAGE / "verdicts-todo.toml"
CAMPAIGN = STAGE / "campaign.json"
PROGRESS = STAGE / "progress.json"  # the wall-clock time an unfinished campaign has taken so far
RESULTS = REPO_ROOT / "tests" / "mutation-results.json"  # the kills carried from campaign to campaign
CARRIED = STAGE / "carried.json"  # the kills this campaign started with (from RESULTS)
DEFAULT_TESTS = "tests/unit tests/integration"
DEFAULT_PYTEST_ARGS = '-m "not slow and not realtime"'
DEFAULT_JOBS = 2
# Not linked into the stage: the layer (its package is the mutated copy, nothing else may provide it), the
# generated pyproject.toml, and dot-folders (.git, the venvs, the stage itself).
NOT_LINKED = {"layers", "pyproject.toml"}
VERDICT_KINDS = ("equivalent", "not worth a test")
# mutmut's exit codes per mutant, grouped for the report (mutmut.stats.status_by_exit_code names them).
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
SURVIVED = {"survived", "no tests"}


# --------------------------------------------------------------------------------------------- the stage
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def _toml_table(name: str, values: Mapping[str, Any]) -> str:
    return f"[{name}]\n" + "".join(f"{key} = {_toml_value(value)}\n" for key, value in values.items())


# `make test` runs mypy --strict, so a mutant it refuses is killed without running a test (mutmut:
# "caught by type check"). mutmut type-checks the mutated package once and pins each error on the mutant
# whose copy of the function holds it. Two codes are off: a mutant copy of an `__init__` re-annotates the
# original's attributes (no-redef) and carries no return annotation of its own (no-untyped-def), in every
# copy alike; with them off, the unmutated copies (`…__mutmut_orig`) have no error at all. mutmut recognises
# mypy by the element "mypy".
TYPE_CHECK = [
    sys.executable,
    "-m",
    "mypy",
    "messaging",
    "--strict",
    "--no-warn-unused-ignores",
    "--disable-error-code",
    "no-redef",
    "--disable-error-code",
    "no-untyped-def",
    "--output",
    "json",
]


def stage_pyproject(tests: Sequence[str], isolation: str, pytest_args: Sequence[str] = ()) -> str:
    """pytest's settings from the repository's pyproject.toml (the package now at the root), and mutmut's."""
    with (REPO_ROOT / "pyproject.toml").open("rb") as stream:
        project = tomllib.load(stream)
    pytest_settings = dict(project["tool"]["pytest"]["ini_options"])
    pytest_settings["pythonpath"] = ["."]
    mutmut_settings = {
        "source_paths": ["messaging"],
        "pytest_add_cli_args_test_selection": list(tests),
        "pytest_add_cli_args": ["-p", "no:cacheprovider", *pytest_args],
        # fork: each mutant's pytest is forked from the process that ran the stats, fastest tests first.
        "process_isolation": isolation,
        "use_git_change_detection": False,
        "type_check_command": TYPE_CHECK,
    }
    return (
        "# Written by local/mutation.py for each campaign: do not edit.\n"
        + _toml_table("project", {key: project["project"][key] for key in ("name", "version")})
        + "\n"
        + _toml_table("tool.pytest.ini_options", pytest_settings)
        + "\n"
        + _toml_table("tool.mutmut", mutmut_settings)
    )


# pytest loads the rootdir's conftest.py first. Hypothesis: no shrinking of a failing example (a failure is
# all a mutant run needs to know; shrinking one can take longer than the whole test), the rest unchanged.
# The integration tests' stream reader gives up after 30 s instead of 120 (the TTL record comes in ~2 s): a
# mutant that keeps it from ever coming then fails in 30 s, not in mutmut's timeout. Mutated code runs slower
# (mutmut's trampolines): the webhook latency bound gets 5 s of slack, not 2 (it catches a 10 s hold-up).
# A mutant's tests run cheapest first (mutmut hands pytest a set, in no order): with -x, a mutant dies on the
# quickest test that kills it instead of after slow integration tests. mutmut's stats time only each test's
# call, not its module's fixtures (a server, tables), and pytest sets a module's fixtures up again each time
# its tests come back after another module's: so the unit tests first, then module by module, the module whose
# tests take least first, each module's tests fastest first. Measured on four slow kills of a campaign: 109 s
# in all, against 217 s ordered by the tests' own durations alone (one of them 51 s against 12 s).
# Before all of those, the tests that killed other mutants of the same function (then of the same module, unit
# tests only): each kill is written down (KILLERS, one line per kill, kept across campaigns in .mutation/). In
# a function every test calls, the killing test otherwise comes after a minute of cheaper ones, each time.
STAGE_CONFTEST = '''"""Written by local/mutation.py: settings for the tests that run against mutants."""

import gc
import json
import os
from pathlib import Path

from hypothesis import Phase, settings

STATS = Path(__file__).parent / "mutmut-stats.json"
KILLERS = Path(__file__).parent.parent / "killers.tsv"


def _mutant():
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    return name if "__mutmut_" in name else None


def pytest_runtest_logreport(report):
    mutant = _mutant()
    if mutant and report.failed:  # with -x, the test that killed it
        with KILLERS.open("a", encoding="utf-8") as killers:
            killers.write(f"{mutant}\\t{report.nodeid}\\n")


def _kills_by_test(mutant):
    """How many mutants of this mutant's function, and of its module, each test has killed."""
    function = mutant.rsplit("__mutmut_", 1)[0]
    module = function.rsplit(".", 1)[0]
    same_function, same_module = {}, {}
    lines = KILLERS.read_text(encoding="utf-8").splitlines() if KILLERS.exists() else []
    for line in lines:
        killed, _, test = line.partition("\\t")
        killed_function = killed.rsplit("__mutmut_", 1)[0]
        if killed_function == function:
            same_function[test] = same_function.get(test, 0) + 1
        elif killed_function.rsplit(".", 1)[0] == module:
            same_module[test] = same_module.get(test, 0) + 1
    return same_function, same_module


def pytest_sessionfinish(session, exitstatus):
    # mutmut forks every mutant's run from the process that ran the stats and the clean tests: frozen,
    # their objects are out of the children's garbage collections, which would otherwise write to (and so
    # copy) every page of the parent's heap in each child at once.
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    if not STATS.exists():  # the stats run itself
        return
    durations = json.loads(STATS.read_text(encoding="utf-8")).get("duration_by_test", {})
    module_cost = {}
    for item in items:
        module = item.nodeid.partition("::")[0]
        module_cost[module] = module_cost.get(module, 0.0) + durations.get(item.nodeid, 0.0)

    mutant = _mutant()
    same_function, same_module = _kills_by_test(mutant) if mutant else ({}, {})

    def cheapest_first(item):
        module = item.nodeid.partition("::")[0]
        integration = "integration" in Path(module).parts
        killer = -same_function.get(item.nodeid, 0), -(0 if integration else same_module.get(item.nodeid, 0))
        return (*killer, integration, module_cost[module], module, durations.get(item.nodeid, 0.0))

    items.sort(key=cheapest_first)

os.environ.setdefault("STREAM_RECORD_TIMEOUT_S", "30")
os.environ.setdefault("LATENCY_SLACK_S", "5")

settings.register_profile("mutation", phases=(Phase.explicit, Phase.reuse, Phase.generate))
settings.load_profile("mutation")
'''


def prepare_stage(tests: Sequence[str], isolation: str, pytest_args: Sequence[str]) -> None:
    """A fresh .mutation/: the package link, pyproject.toml, and mutants/ with the repository linked in."""
    mutants = STAGE / "mutants"
    if mutants.exists():
        shutil.rmtree(mutants)  # removes links, never what they point to
    mutants.mkdir(parents=True)
    package_link = STAGE / "messaging"
    if package_link.is_symlink() or package_link.exists():
        package_link.unlink()
    package_link.symlink_to(Path("..") / PACKAGE, target_is_directory=True)
    (STAGE / "pyproject.toml").write_text(stage_pyproject(tests, isolation, pytest_args), encoding="utf-8")
    for entry in sorted(REPO_ROOT.iterdir()):
        if entry.name.startswith(".") or entry.name in NOT_LINKED:
            continue
        (mutants / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for stale in (CAMPAIGN, TODO, PARTIAL_REPORT, CARRIED):
        stale.unlink(missing_ok=True)


@contextlib.contextmanager
def dynamodb_endpoint() -> Iterator[str]:
    """One DynamoDB Local for the whole campaign (or the one DYNAMODB_ENDPOINT already names)."""
    existing = os.environ.get("DYNAMODB_ENDPOINT")
    if existing:
        yield existing
        return
    with DynamoDBLocal() as local:
        yield local.endpoint


@dataclass(frozen=True)
class Settings:
    tests: tuple[str, ...]
    pytest_args: tuple[str, ...]
    jobs: int
    mutants: tuple[str, ...]
    isolation: str
    resume: bool = False
    fresh: bool = False


def _run_mutmut(command: Sequence[str], environment: Mapping[str, str]) -> int:
    """mutmut in a process group of its own, which is stopped whole (mutmut and the workers it forked) if this
    process is interrupted (Ctrl-C, SIGTERM) before mutmut is done."""
    mutmut = subprocess.Popen(command, cwd=STAGE, env=dict(environment), start_new_session=True)
    try:
        return mutmut.wait()
    finally:
        if mutmut.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(mutmut.pid, signal.SIGTERM)
            mutmut.wait()


def run_campaign(settings: Settings) -> int:
    """A fresh campaign; or, with resume, the rest of an interrupted one (mutmut keeps every result)."""
    so_far: dict[str, Any] = {"seconds": 0, "jobs": []}  # of the runs of this campaign before this one
    if settings.resume:
        if not (STAGE / "mutants" / "mutmut-stats.json").exists():
            raise SystemExit("mutation: no interrupted campaign in .mutation/ to resume")
        if PROGRESS.exists():
            so_far = json.loads(PROGRESS.read_text(encoding="utf-8"))
        CAMPAIGN.unlink(missing_ok=True)
    else:
        prepare_stage(settings.tests, settings.isolation, settings.pytest_args)
        carried = {} if settings.fresh else seed_results(load_results())
        CARRIED.write_text(json.dumps(sorted(carried)), encoding="utf-8")
    (STAGE / "mutants" / "conftest.py").write_text(STAGE_CONFTEST, encoding="utf-8")
    for _, meta_file in _meta_files():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if forget_outside_kills(meta):
            meta_file.write_text(json.dumps(meta), encoding="utf-8")
    mutmut = Path(sys.executable).parent / "mutmut"
    command = [str(mutmut), "run", "--max-children", str(settings.jobs), *settings.mutants]
    # SIGTERM unwinds like Ctrl-C: mutmut's process group and the DynamoDB Local started here are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    started_at = datetime.now(UTC)
    jobs = [*so_far["jobs"], settings.jobs]
    first_started = so_far.get("started", started_at.isoformat(timespec="seconds"))
    returncode = -1  # interrupted
    try:
        with dynamodb_endpoint() as endpoint:
            print(
                f"mutation: DynamoDB Local {endpoint}; {' '.join(command)} (in .mutation/)", file=sys.stderr
            )
            returncode = _run_mutmut(command, {**os.environ, "DYNAMODB_ENDPOINT": endpoint})
    finally:
        save_results()  # finished or stopped, its kills carry over to the next campaign
        seconds = so_far["seconds"] + time.monotonic() - started
        if returncode != 0:  # failed or interrupted: what it took so far counts when it is resumed
            progress = {"started": first_started, "seconds": round(seconds), "jobs": jobs}
            PROGRESS.write_text(json.dumps(progress), encoding="utf-8")
            print(
                f"\nmutation: stopped after {seconds:.0f} s: `python -m local.mutation --resume`",
                file=sys.stderr,
            )
    if returncode != 0:
        return returncode
    PROGRESS.unlink(missing_ok=True)
    CAMPAIGN.write_text(
        json.dumps(
            {
                "started": first_started,
                "seconds": round(seconds),
                "started_runs": len(jobs),
                "tests": list(settings.tests),
                "pytest_args": list(settings.pytest_args),
                "jobs": jobs,
                "mutants": list(settings.mutants),
                "isolation": settings.isolation,
                "commit": _git_commit(),
                "mutmut": version("mutmut"),
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return 0


def _git_commit() -> str:
    answer = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", str(PACKAGE)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return answer.stdout.strip() + (" + uncommitted changes to the package" if dirty.stdout.strip() else "")


# --------------------------------------------------------------- results carried from campaign to campaign
# Kept: a test failed on the mutant (mutmut's exit codes: killed, pytest's internal error, timeouts,
# segfaults), and the survivors tests/mutation_verdicts.toml settles (equivalent or not worth a test: no
# new test is meant to kill them, and each costs a full run of its function's tests). Not kept: the other
# survivors and mutants without tests (a new test may kill them), and the type check's kills (37: it runs
# afresh every campaign).
CARRIED_EXIT_CODES = frozenset({1, 3, 36, -24, 24, 152, 255, -11})
# A mutant's process killed by SIGKILL was stopped from outside, never by its tests nor by mutmut (whose
# timeouts send SIGXCPU): the kernel's OOM killer, or whoever stopped the campaign. mutmut counts it as a
# segfault; here it is not checked, and the next run (--resume too) tests it again.
OUTSIDE_KILL = -9


def forget_outside_kills(meta: dict[str, Any]) -> int:
    """Marks the mutants of one of mutmut's result files that were killed from outside as not checked."""
    exit_codes = meta.get("exit_code_by_key", {})
    forgotten = [name for name, code in exit_codes.items() if code == OUTSIDE_KILL]
    for name in forgotten:
        exit_codes[name] = None
    return len(forgotten)


def _mutant_name(path: str, mangled: str) -> str:
    """mutmut's name of a mutant (or, with "", the module's prefix) of the module at `path`."""
    from mutmut.utils.format_utils import get_mutant_name  # noqa: PLC0415 - mutmut loads slowly

    return get_mutant_name(Path(path), mangled)


def _meta_files() -> Iterator[tuple[str, Path]]:
    """mutmut's result file of every mutated module: (messaging/…/module.py, its .meta)."""
    for meta in sorted((STAGE / "mutants" / "messaging").rglob("*.py.meta")):
        yield str(meta.relative_to(STAGE / "mutants"))[: -len(".meta")], meta


def collect_results(
    metas: Mapping[str, Mapping[str, Any]], settled: Collection[str] = frozenset()
) -> dict[str, Any]:
    """From mutmut's results per module: per module and function, its source's hash, its killed mutants and
    its `settled` survivors (names: those a verdict settles) by exit code (mutant numbers), sorted, so that
    the committed file changes only where results do."""
    files: dict[str, Any] = {}
    for path, meta in sorted(metas.items()):
        functions: dict[str, Any] = {}
        for function, digest in sorted(meta.get("hash_by_function_name", {}).items()):
            functions[function] = {"hash": digest, "killed": {}, "settled": {}}
        prefix = _mutant_name(path, "")  # the module's, as mutmut spells it: messaging.store.items.
        for name, exit_code in meta.get("exit_code_by_key", {}).items():
            function, _, number = name.removeprefix(prefix).rpartition("__mutmut_")
            if function not in functions or exit_code is None:
                continue
            kind = "killed" if exit_code in CARRIED_EXIT_CODES else "settled" if name in settled else None
            if kind is not None:
                functions[function][kind].setdefault(str(exit_code), []).append(int(number))
        for entry in functions.values():
            for kind in ("killed", "settled"):
                entry[kind] = {code: sorted(numbers) for code, numbers in sorted(entry[kind].items())}
            if not entry["settled"]:
                del entry["settled"]
        files[path] = functions
    return {"commit": _git_commit(), "files": files}


def save_results() -> None:
    metas = {path: json.loads(meta.read_text(encoding="utf-8")) for path, meta in _meta_files()}
    if metas:
        settled = Summary(load_mutants(), load_verdicts()).verdict_of
        RESULTS.write_text(json.dumps(collect_results(metas, settled), indent=1) + "\n", encoding="utf-8")


def load_results() -> dict[str, Any]:
    if not RESULTS.exists():
        return {"files": {}}
    results: dict[str, Any] = json.loads(RESULTS.read_text(encoding="utf-8"))
    return results


def seed_metas(results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """mutmut's result files for a fresh stage holding the carried results (kills and settled survivors):
    mutmut keeps each one whose function's hash is still the same when it generates the mutants, and tests
    the rest."""
    metas: dict[str, dict[str, Any]] = {}
    for path, functions in results["files"].items():
        exit_codes = {
            _mutant_name(path, f"{function}__mutmut_{number}"): int(code)
            for function, entry in functions.items()
            for kind in ("killed", "settled")
            for code, numbers in entry.get(kind, {}).items()
            for number in numbers
        }
        metas[path] = {
            "exit_code_by_key": exit_codes,
            "hash_by_function_name": {function: entry["hash"] for function, entry in functions.items()},
            "type_check_error_by_key": {},
            "durations_by_key": {},
            "estimated_durations_by_key": {},
        }
    return metas


def seed_results(results: Mapping[str, Any]) -> set[str]:
    """Writes the carried results into the fresh stage; returns the mutants they name."""
    carried: set[str] = set()
    for path, meta in seed_metas(results).items():
        target = STAGE / "mutants" / f"{path}.meta"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(meta), encoding="utf-8")
        carried |= set(meta["exit_code_by_key"])
    return carried


# --------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Mutant:
    name: str  # mutmut's: messaging.module.x_function__mutmut_3, messaging.module.xǁClassǁmethod__mutmut_3
    path: str  # messaging/module.py (relative to the stage; layers/shared/ in front in the repository)
    status: str
    line: int = 0
    original: tuple[str, ...] = ()
    mutated: tuple[str, ...] = ()
    carried: bool = False  # killed (or settled by a verdict) in an earlier campaign, its function unchanged

    @property
    def function(self) -> str:
        return self.name.partition("__mutmut_")[0]

    @property
    def number(self) -> str:
        return self.name.rpartition("__mutmut_")[2]

    @property
    def readable_function(self) -> str:
        """module.function or module.Class.method."""
        module, _, mangled = self.function.rpartition(".")
        if mangled.startswith("x_"):
            return f"{module}.{mangled[2:]}"
        return f"{module}.{'.'.join(part for part in mangled[1:].split('ǁ') if part)}"

    @property
    def location(self) -> str:
        return f"{PACKAGE.parent / self.path}:{self.line}"


@dataclass(frozen=True)
class Verdict:
    function: str
    original: str | None
    mutated: str | None
    kind: str
    why: str

    def matches(self, mutant: Mutant) -> bool:
        if self.function not in (mutant.function, mutant.readable_function):
            return False
        if self.original is None and self.mutated is None:
            return True  # a verdict on every survivor of the function
        return (self.original, self.mutated) == ("\n".join(mutant.original), "\n".join(mutant.mutated))


def load_verdicts(path: Path = VERDICTS) -> list[Verdict]:
    if not path.exists():
        return []
    with path.open("rb") as stream:
        entries = tomllib.load(stream).get("survivor", [])
    verdicts = []
    for number, entry in enumerate(entries, start=1):
        kind, why = entry.get("verdict"), entry.get("why")
        if kind not in VERDICT_KINDS or not why or not entry.get("function"):
            raise SystemExit(
                f"{path}: survivor #{number} needs function, verdict ({' or '.join(VERDICT_KINDS)}) and why"
            )
        verdicts.append(Verdict(entry["function"], entry.get("original"), entry.get("mutated"), kind, why))
    return verdicts


def _changed_lines(diff: str) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    """From a unified diff of one function: the first changed line (1-based in the function's text), the
    removed lines and the added lines, stripped."""
    first, removed, added, line = 0, [], [], 0
    for text in diff.splitlines():
        if text.startswith(("---", "+++")):
            continue
        hunk = re.match(r"@@ -(\d+)", text)
        if hunk:
            line = int(hunk.group(1)) - 1
            continue
        if text.startswith("-"):
            line += 1
            first = first or line
            removed.append(text[1:].strip())
        elif text.startswith("+"):
            first = first or line + 1
            added.append(text[1:].strip())
        else:
            line += 1
    return first, tuple(removed), tuple(added)


def _function_nodes(source: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Top-level functions as x_name and methods as xǁClassǁname: the keys mutmut mangles them to."""
    nodes: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            nodes[f"x_{node.name}"] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    nodes[f"xǁ{node.name}ǁ{item.name}"] = item
    return nodes


def _file_line(mutant_name: str, diff: str, source_lines: Sequence[str], nodes: Mapping[str, Any]) -> int:
    """The mutated line in the source file: the diff's line in the function, placed at the function's def."""
    first, removed, _ = _changed_lines(diff)
    node = nodes.get(mutant_name.partition("__mutmut_")[0].rpartition(".")[2])
    if node is None:
        return 0
    function_text = [t[1:] for t in diff.splitlines() if t[:1] in (" ", "-") and not t.startswith("---")]
    def_index = next(
        (index for index, text in enumerate(function_text, 1) if re.match(r"\s*(async\s+)?def\s", text)), 1
    )
    line = int(node.lineno) + first - def_index
    if removed and not (0 < line <= len(source_lines) and source_lines[line - 1].strip() == removed[0]):
        within = range(int(node.lineno), int(node.end_lineno or node.lineno) + 1)
        line = next((n for n in within if source_lines[n - 1].strip() == removed[0]), line)
    return line


def load_mutants() -> list[Mutant]:
    """Every mutant of the last campaign, with the line and the change of each one not killed."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # noqa: PLC0415 - only with results to read
    from mutmut.stats import status_by_exit_code  # noqa: PLC0415

    mutants = []
    with contextlib.chdir(STAGE):
        for meta in sorted(Path("mutants/messaging").rglob("*.py.meta")):
            path = str(meta.relative_to("mutants"))[: -len(".meta")]
            source = Path(path).read_text(encoding="utf-8")
            source_lines = source.splitlines()
            nodes = _function_nodes(source)
            results = json.loads(meta.read_text(encoding="utf-8"))
            exit_codes: dict[str, int | None] = results["exit_code_by_key"]
            tested = results.get("durations_by_key", {})
            for name, exit_code in exit_codes.items():
                status = "not checked" if exit_code == OUTSIDE_KILL else status_by_exit_code[exit_code]
                if status in KILLED or status == "not checked":
                    # a kill this campaign did not test again: carried from tests/mutation-results.json
                    carried = exit_code in CARRIED_EXIT_CODES and name not in tested
                    mutants.append(Mutant(name, path, status, carried=carried))
                    continue
                diff = get_diff_for_mutant(name, path=path)
                _, removed, added = _changed_lines(diff)
                line = _file_line(name, diff, source_lines, nodes)
                # a survivor this campaign did not test again: settled by a verdict in an earlier campaign
                mutants.append(Mutant(name, path, status, line, removed, added, carried=name not in tested))
    return mutants


def not_mutated_functions() -> list[str]:
    """Functions mutmut leaves alone: decorated ones (their decorators run at import and would break on the
    trampoline; a single @staticmethod or @classmethod is fine)."""
    found = []
    for source_file in sorted((REPO_ROOT / PACKAGE).rglob("*.py")):
        relative = source_file.relative_to(REPO_ROOT / PACKAGE.parent)
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        for key, node in _function_nodes(source_file.read_text(encoding="utf-8")).items():
            plain = len(node.decorator_list) == 1 and isinstance(node.decorator_list[0], ast.Name)
            if node.decorator_list and not (
                plain and getattr(node.decorator_list[0], "id", "") in ("staticmethod", "classmethod")
            ):
                name = key[2:] if key.startswith("x_") else ".".join(p for p in key[1:].split("ǁ") if p)
                decorators = ", ".join("@" + ast.unparse(d) for d in node.decorator_list)
                found.append(f"- `{module}.{name}` ({decorators}): {PACKAGE.parent / relative}:{node.lineno}")
    return found


# --------------------------------------------------------------------------------------------- report
@dataclass
class Summary:
    mutants: list[Mutant]
    verdicts: list[Verdict]
    verdict_of: dict[str, Verdict] = field(default_factory=dict)
    unused: list[Verdict] = field(default_factory=list)

    def __post_init__(self) -> None:
        used: set[int] = set()
        for mutant in self.survivors:
            for index, verdict in enumerate(self.verdicts):
                if verdict.matches(mutant):
                    self.verdict_of[mutant.name] = verdict
                    used.add(index)
                    break
        self.unused = [verdict for index, verdict in enumerate(self.verdicts) if index not in used]

    @property
    def statuses(self) -> Counter[str]:
        return Counter(mutant.status for mutant in self.mutants)

    @property
    def survivors(self) -> list[Mutant]:
        return [mutant for mutant in self.mutants if mutant.status in SURVIVED]

    @property
    def suspicious(self) -> list[Mutant]:
        return [m for m in self.mutants if m.status not in KILLED | SURVIVED and m.status != "not checked"]

    def count(self, kind: str) -> int:
        return sum(1 for verdict in self.verdict_of.values() if verdict.kind == kind)


def _change(mutant: Mutant) -> str:
    def code(lines: Sequence[str]) -> str:
        text = " ⏎ ".join(lines) or "(nothing)"
        fence = "``" if "`" in text else "`"
        return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"

    return f"{code(mutant.original)} → {code(mutant.mutated)}"


def _survivor_line(mutant: Mutant, verdict: Verdict | None) -> str:
    tail = f" — **{verdict.kind}**: {verdict.why}" if verdict else ""
    untested = " (no selected test calls this function)" if mutant.status == "no tests" else ""
    where = f"`{mutant.location}` `{mutant.readable_function}` #{mutant.number}{untested}"
    return f"- {where}: {_change(mutant)}{tail}"


def _jobs(campaign: Mapping[str, Any]) -> str:
    jobs = campaign.get("jobs", "?")
    if not isinstance(jobs, list):
        return f"{jobs} mutants at a time"
    if len(set(jobs)) == 1:
        runs = f" (in {len(jobs)} runs: interrupted and resumed)" if len(jobs) > 1 else ""
        return f"{jobs[0]} mutants at a time{runs}"
    return f"{' then '.join(map(str, jobs))} mutants at a time (interrupted and resumed)"


def render(summary: Summary, campaign: Mapping[str, Any]) -> str:
    statuses = summary.statuses
    total = len(summary.mutants)
    killed = sum(statuses[s] for s in KILLED)
    survived = len(summary.survivors)
    equivalent = summary.count("equivalent")
    not_checked = statuses["not checked"]
    carried = sum(1 for mutant in summary.mutants if mutant.carried and mutant.status in KILLED)
    settled = sum(1 for mutant in summary.mutants if mutant.carried and mutant.status in SURVIVED)
    judged = total - equivalent - not_checked
    rate = f"{100 * killed / judged:.1f} %" if judged else "n/a"
    minutes, seconds = divmod(int(campaign.get("seconds", 0)), 60)
    tests = " ".join([*campaign.get("tests", []), *map(shlex.quote, campaign.get("pytest_args", []))]) or "?"
    lines = [
        "# Mutation testing of the shared layer",
        "",
        "Generated by `make mutation` (`local/mutation.py`): do not edit. Verdicts on survivors go in",
        "[`mutation_verdicts.toml`](mutation_verdicts.toml); `python -m local.mutation report` merges them",
        "in without a new campaign.",
        "",
        f"- Tool: mutmut {campaign.get('mutmut', '?')}, over every module of `{PACKAGE}`.",
        f"- Tests per mutant: `pytest {tests}`, only those that call the mutated function (mutmut's",
        "  per-function stats), stopping at the first failure; one DynamoDB Local for the whole campaign.",
        f"- Campaign: {campaign.get('started', '?')}, commit {campaign.get('commit', '?')}, "
        f"{minutes} min {seconds:02d} s wall clock with {_jobs(campaign)}"
        + (f", only mutants {' '.join(campaign['mutants'])}" if campaign.get("mutants") else "")
        + ".",
        *(
            [
                f"- Carried: {carried} of the kills and {settled} survivors with a verdict come from earlier "
                "campaigns (`mutation-results.json`: their functions are unchanged since); `make mutation "
                "FRESH=1` tests them again."
            ]
            if carried or settled
            else []
        ),
        *(
            [
                f"- **Interrupted**: {not_checked} of {total} mutants not checked yet (listed at the end);",
                "  `python -m local.mutation --resume` finishes the campaign.",
            ]
            if campaign.get("interrupted")
            else []
        ),
        "",
        "| mutants | killed | survived | equivalent | not worth a test | needs a test or a verdict "
        "| kill rate over non-equivalent mutants |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {total} | {killed} | {survived} | {equivalent} | {summary.count('not worth a test')} "
        f"| {survived - len(summary.verdict_of)} | {rate} |",
        "",
        "Killed counts mutants a test failed on ("
        + ", ".join(f"{s} {statuses[s]}" for s in sorted(KILLED) if statuses[s])
        + "); survived counts those no test failed on ("
        + ", ".join(f"{s} {statuses[s]}" for s in sorted(SURVIVED) if statuses[s])
        + "). Kill rate = killed / (mutants − equivalent"
        + (" − not checked" if not_checked else "")
        + ")."
        + (f" {not_checked} mutants were not checked." if not_checked else ""),
    ]
    if summary.suspicious:
        lines += ["", "## Suspicious (odd exit codes: look at them)", ""]
        lines += [
            f"- `{m.location}` `{m.readable_function}` #{m.number}: {m.status}" for m in summary.suspicious
        ]
    by_kind: dict[str, list[Mutant]] = defaultdict(list)
    for mutant in summary.survivors:
        verdict = summary.verdict_of.get(mutant.name)
        by_kind[verdict.kind if verdict else "needs a test or a verdict"].append(mutant)
    for kind in ("needs a test or a verdict", *VERDICT_KINDS):
        group = sorted(by_kind[kind], key=lambda m: (m.path, m.line, int(m.number)))
        lines += ["", f"## Survivors: {kind} ({len(group)})", ""]
        if kind == "needs a test or a verdict" and group:
            lines += [
                "Each needs a test that fails on it, or an entry in `mutation_verdicts.toml` (stubs for",
                "all of them: `.mutation/verdicts-todo.toml` after a campaign).",
                "",
            ]
        lines += [_survivor_line(m, summary.verdict_of.get(m.name)) for m in group] or ["None."]
    if not_checked:
        unchecked = Counter(m.readable_function for m in summary.mutants if m.status == "not checked")
        lines += ["", f"## Not checked yet ({not_checked})", ""]
        lines += [f"- `{function}`: {count}" for function, count in sorted(unchecked.items())]
    if summary.unused:
        lines += ["", "## Verdicts that match no survivor (stale: update or remove them)", ""]
        lines += [f"- `{v.function}`: `{v.original}` → `{v.mutated}` ({v.kind})" for v in summary.unused]
    lines += [
        "",
        "## Not mutated",
        "",
        "mutmut mutates the bodies of functions and methods only: module-level code, class bodies (pydantic",
        "field declarations, constants) and these decorated functions are never mutated:",
        "",
        *(not_mutated_functions() or ["None."]),
        "",
        "A function that runs only while its module is imported (building pydantic types, say) is mutated,",
        "but mutmut switches a mutant on only after the import: such mutants survive, whatever the tests.",
        "",
    ]
    return "\n".join(lines)


def todo_stubs(summary: Summary) -> str:
    stubs = ["# Stubs for the survivors without a verdict: copy the ones that deserve a verdict into", ""]
    stubs[0] += " tests/mutation_verdicts.toml."
    for mutant in summary.survivors:
        if mutant.name in summary.verdict_of:
            continue
        stubs += [
            f"# {mutant.location} #{mutant.number}",
            "[[survivor]]",
            f"function = {_toml_value(mutant.readable_function)}",
            f"original = {_toml_value(chr(10).join(mutant.original))}",
            f"mutated = {_toml_value(chr(10).join(mutant.mutated))}",
            'verdict = "equivalent"  # or "not worth a test"',
            'why = ""',
            "",
        ]
    return "\n".join(stubs)


def campaign_facts() -> dict[str, Any]:
    """What the last campaign was: campaign.json once finished; for an interrupted one, progress.json and
    the stage's settings."""
    if CAMPAIGN.exists():
        facts: dict[str, Any] = json.loads(CAMPAIGN.read_text(encoding="utf-8"))
        return facts
    if not PROGRESS.exists():
        raise SystemExit("mutation: no campaign in .mutation/: run `make mutation` first")
    with (STAGE / "pyproject.toml").open("rb") as stream:
        mutmut_settings = tomllib.load(stream)["tool"]["mutmut"]
    return {
        **json.loads(PROGRESS.read_text(encoding="utf-8")),
        "tests": mutmut_settings["pytest_add_cli_args_test_selection"],
        "pytest_args": mutmut_settings["pytest_add_cli_args"][2:],  # after "-p no:cacheprovider"
        "commit": _git_commit(),
        "mutmut": version("mutmut"),
        "interrupted": True,
    }


def write_report() -> Path:
    campaign = campaign_facts()
    save_results()  # also after a campaign an older local/mutation.py ran, or one stopped from outside
    summary = Summary(load_mutants(), load_verdicts())
    target = PARTIAL_REPORT if campaign.get("mutants") else REPORT
    target.write_text(render(summary, campaign), encoding="utf-8")
    TODO.write_text(todo_stubs(summary), encoding="utf-8")
    statuses = summary.statuses
    print(
        f"mutation: {len(summary.mutants)} mutants, {sum(statuses[s] for s in KILLED)} killed, "
        f"{len(summary.survivors)} survived ({len(summary.survivors) - len(summary.verdict_of)} without a "
        f"verdict) -> {target.relative_to(REPO_ROOT)}",
        file=sys.stderr,
    )
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", nargs="?", choices=("run", "report"), default="run")
    parser.add_argument("--tests", default=os.environ.get("MUTATION_TESTS") or DEFAULT_TESTS)
    parser.add_argument("--pytest-args", default=os.environ.get("MUTATION_PYTEST_ARGS", DEFAULT_PYTEST_ARGS))
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS") or DEFAULT_JOBS))
    parser.add_argument("--mutants", default=os.environ.get("MUTANTS", ""), help="mutmut name globs")
    parser.add_argument("--isolation", choices=("fork", "forkserver"), default="fork")
    parser.add_argument("--resume", action="store_true", help="finish an interrupted campaign")
    parser.add_argument(
        "--fresh",
        action="store_true",
        default=bool(os.environ.get("FRESH")),
        help="test every mutant again (no kills carried from tests/mutation-results.json)",
    )
    arguments = parser.parse_args(argv)
    if arguments.action == "run":
        settings = Settings(
            tests=tuple(arguments.tests.split()),
            pytest_args=tuple(shlex.split(arguments.pytest_args)),
            jobs=arguments.jobs,
            mutants=tuple(arguments.mutants.split()),
            isolation=arguments.isolation,
            resume=arguments.resume,
            fresh=arguments.fresh,
        )
        code = run_campaign(settings)
        if code != 0:
            return code
    write_report()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
