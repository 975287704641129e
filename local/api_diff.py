"""Breaking-change check: openapi.json against the last release, every breaking change declared in the README.

`python -m local.api_diff` (`make api-diff`, part of `make test`) compares the working tree's openapi.json
with the one at the baseline: the newest `v*` tag reachable from HEAD, else the previous commit (HEAD~1),
else nothing (it passes, saying so); `--base-rev REV` or `--base FILE` chooses another. It fails unless every
breaking change is declared in README.md: the newest `###` section under `## Changelog` holds lines

    - BREAKING `<change id, or the start of one>`: <why, and what clients do about it>

A change's id is `<rule> <where> [<location>]` as printed, e.g.
`operation-removed GET /api/v1.0/consumer/conversation/{conversationId}` or `property-removed POST
/api/v1.0/consumer/conversations/create responses/200/content/application/json/schema/properties/isNew`. A
declaration covers every change whose id it matches from the start up to a space or `/` (or the end), `*`
matching any text: `media-type-removed *` declares every removed media type at once.

The comparison is Redocly CLI's `redocly diff` (npm `@redocly/cli`, pinned in package.json). Why that tool:
it is maintained (frequent releases by Redocly), reads OpenAPI 3.1 natively, names a stable rule id for each
change it rates `major` (breaking), writes a JSON report, and is one bundled package without install scripts
or downloads; with REDOCLY_TELEMETRY=off it runs offline. Evaluated and rejected: oasdiff (not on npm or
PyPI), Atlassian's openapi-diff (rejects OpenAPI 3.1), @useoptic/optic (crashes at start as resolved today,
telemetry on by default), openapi-changes (its npm install downloads a binary), api-smart-diff (a library
without rule ids). Redocly reports a change to a shared ($ref) schema once, under the first operation using
it. Its `diff` command is marked experimental: a change it rates wrongly is declared like any other.
Without a `v*` tag only the last commit's change is seen: tag each release so that the check spans it.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent  # not local.dynamodb_local: boto3 is slow to import
SPEC = "openapi.json"
README = REPO_ROOT / "README.md"
REDOCLY = REPO_ROOT / "node_modules" / ".bin" / "redocly"
# No usage telemetry, no update check: the check must run offline and tell nobody about this repository.
TOOL_ENVIRONMENT = {
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "REDOCLY_SUPPRESS_NOTIFICATIONS": "true",
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
DECLARATION = re.compile(r"^\s*[-*]\s+BREAKING\s+`?(?P<pattern>[^`]+?)`?:\s+\S")
HOW_TO_DECLARE = (
    "A declaration covers every change whose id it matches from the start up to a space or '/' "
    "(or the end); '*' matches any text."
)


class ApiDiffError(RuntimeError):
    """The comparison itself could not run."""


@dataclass(frozen=True, order=True)
class BreakingChange:
    rule: str  # Redocly's rule id, e.g. operation-removed
    where: str  # "POST /path" for an operation, else "/path", "components", ...
    location: str  # JSON path below `where` ("" for the whole of it)
    message: str

    @property
    def id(self) -> str:
        return " ".join(part for part in (self.rule, self.where, self.location) if part)


def _where(pointer: str) -> tuple[str, str]:
    """`#/paths/~1a~1b/post/requestBody/...` -> ("POST /a/b", "requestBody/...")."""
    steps = [step.replace("~1", "/").replace("~0", "~") for step in pointer.lstrip("#/").split("/") if step]
    if len(steps) >= 2 and steps[0] == "paths":
        if len(steps) >= 3 and steps[2] in HTTP_METHODS:
            return f"{steps[2].upper()} {steps[1]}", "/".join(steps[3:])
        return steps[1], "/".join(steps[2:])
    return (steps[0] if steps else "document"), "/".join(steps[1:])


def parse_report(report: dict[str, Any]) -> list[BreakingChange]:
    """The `major` verdicts of a `redocly diff --format json` report, one per rule and place."""
    found: set[BreakingChange] = set()
    for change in report.get("changes", []):
        where, location = _where(str(change.get("path", "")))
        if change.get("property"):
            location = f"{location}/{change['property']}".lstrip("/")
        verdicts = [v for v in change.get("verdicts", []) if v.get("impact", change.get("impact")) == "major"]
        if not verdicts and change.get("impact") == "major":  # rated major without a named rule
            verdicts = [{"ruleId": str(change.get("kind", "changed"))}]
        for verdict in verdicts:
            message = str(verdict.get("message", ""))
            found.add(BreakingChange(str(verdict["ruleId"]), where, location, message))
    return sorted(found)


def breaking_changes(base: Path, current: Path, tool: Path = REDOCLY) -> list[BreakingChange]:
    if not tool.exists():
        raise ApiDiffError(f"{tool} is missing: run `npm ci` (`make dynamodb-local` does) and try again.")
    with tempfile.TemporaryDirectory(prefix="api-diff-") as folder:
        output = Path(folder) / "diff.json"
        command = [str(tool), "diff", str(base), str(current), "--format", "json", "--output", str(output)]
        done = subprocess.run(
            [*command, "--fail-on", "none", "--lint-config", "off"],
            env={**os.environ, **TOOL_ENVIRONMENT},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0 or not output.is_file():
            raise ApiDiffError(f"`redocly diff` failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
        return parse_report(json.loads(output.read_text(encoding="utf-8")))


def current_changelog_section(readme: str) -> tuple[str, list[str]]:
    """The title and lines of the newest `###` section under `## Changelog` ("", [] when there is none)."""
    title, lines, in_changelog, in_code = "", list[str](), False, False
    for line in readme.splitlines():
        in_code ^= line.lstrip().startswith("```")
        if in_code or line.lstrip().startswith("```"):
            continue
        if line.startswith(("# ", "## ")):
            if title:
                break
            in_changelog = line.strip().lower() == "## changelog"
        elif in_changelog and line.startswith("### "):
            if title:
                break
            title = line.removeprefix("### ").strip()
        elif title:
            lines.append(line)
    return title, lines


def declarations(readme: str) -> list[str]:
    """The patterns of the `- BREAKING <pattern>: <why>` lines of the changelog's newest section."""
    _, lines = current_changelog_section(readme)
    return [" ".join(m["pattern"].split()) for line in lines if (m := DECLARATION.match(line))]


def declares(pattern: str, change: BreakingChange) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(rf"{regex}(?:[ /].*)?", change.id) is not None


@dataclass(frozen=True)
class Outcome:
    changes: list[BreakingChange]
    undeclared: list[BreakingChange]
    unused: list[str]  # declarations that match no change (typos show up here)

    @property
    def ok(self) -> bool:
        return not self.undeclared


def judge(changes: list[BreakingChange], readme: str) -> Outcome:
    patterns = declarations(readme)
    undeclared = [c for c in changes if not any(declares(p, c) for p in patterns)]
    unused = [p for p in patterns if not any(declares(p, c) for c in changes)]
    return Outcome(changes, undeclared, unused)


def check(base: Path, current: Path, readme: str, tool: Path = REDOCLY) -> Outcome:
    return judge(breaking_changes(base, current, tool), readme)


def explain(outcome: Outcome, readme: str, changelog_name: str = "README.md") -> str:
    """What failed, and the exact lines that declare it."""
    title = current_changelog_section(readme)[0]
    out = [f"{len(outcome.undeclared)} of {len(outcome.changes)} breaking API changes are not declared:"]
    for change in outcome.undeclared:
        out += [f"  ✖ {change.id}", *([f"      {change.message}"] if change.message else [])]
    section = f"its newest section, `### {title}`" if title else "a new `### Unreleased` section"
    out += ["", f"Declare them under `## Changelog` in {changelog_name}, in {section}, one line each:", ""]
    out += [f"- BREAKING `{change.id}`: <why; what clients must do>" for change in outcome.undeclared]
    shared = [rule for rule, count in Counter(c.rule for c in outcome.undeclared).items() if count > 2]
    if shared:
        out += ["", "or one line for every change of a rule:", ""]
        out += [f"- BREAKING `{rule} *`: <why; what clients must do>" for rule in shared]
    out += ["", HOW_TO_DECLARE]
    if outcome.unused:
        out += [f"Declared in the newest section but matching no change: {'; '.join(outcome.unused)}"]
    return "\n".join(out)


def _git(repo: Path, *args: str) -> str | None:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=60, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def baseline_revision(repo: Path = REPO_ROOT) -> tuple[str, str] | None:
    """(revision, what it is): the newest `v*` tag reachable from HEAD, else HEAD~1, else None."""
    tag = _git(repo, "describe", "--tags", "--abbrev=0", "--match", "v*")
    if tag:
        return tag, f"the last release tag {tag}"
    if _git(repo, "rev-parse", "--verify", "--quiet", "HEAD~1^{commit}"):
        return "HEAD~1", "the previous commit (HEAD~1; no v* release tag)"
    return None


def spec_at(revision: str, destination: Path, repo: Path = REPO_ROOT) -> bool:
    """Writes openapi.json as of `revision` to destination; False when the revision has none."""
    text = _git(repo, "show", f"{revision}:{SPEC}")
    if text is None:
        return False
    destination.write_text(text, encoding="utf-8")
    return True


def run(base: Path, label: str, current: Path, changelog: Path) -> int:
    readme = changelog.read_text(encoding="utf-8") if changelog.is_file() else ""
    try:
        outcome = check(base, current, readme)
    except ApiDiffError as error:
        print(f"api-diff: {error}", file=sys.stderr)
        return 2
    if not outcome.ok:
        print(f"api-diff: {current.name} vs {label}", file=sys.stderr)
        print(explain(outcome, readme, changelog.name), file=sys.stderr)
        return 1
    print(f"api-diff: {current.name} vs {label}: {len(outcome.changes)} breaking change(s), all declared.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fail on undeclared breaking API changes.")
    parser.add_argument("--base", type=Path, help="baseline document (default: openapi.json at --base-rev)")
    parser.add_argument("--base-rev", help="git revision of the baseline (default: last v* tag, else HEAD~1)")
    parser.add_argument("--current", type=Path, default=REPO_ROOT / SPEC)
    parser.add_argument("--changelog", type=Path, default=README, help="the README holding `## Changelog`")
    args = parser.parse_args(argv)
    if args.base is not None:
        return run(args.base, str(args.base), args.current, args.changelog)
    commit = f"{args.base_rev}^{{commit}}"
    if args.base_rev and not _git(REPO_ROOT, "rev-parse", "--verify", "--quiet", commit):
        print(f"api-diff: no such revision: {args.base_rev}", file=sys.stderr)
        return 2
    found = (args.base_rev, args.base_rev) if args.base_rev else baseline_revision()
    if found is None:
        print("api-diff: no baseline (no v* tag, no previous commit): nothing to compare, passing.")
        return 0
    revision, label = found
    with tempfile.TemporaryDirectory(prefix="api-diff-") as folder:
        base = Path(folder) / SPEC
        if not spec_at(revision, base):
            print(f"api-diff: {label} has no {SPEC}: nothing to compare, passing.")
            return 0
        return run(base, label, args.current, args.changelog)


if __name__ == "__main__":
    sys.exit(main())
