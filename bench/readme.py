"""Keeps the README's benchmark table the latest run's: the summary of bench/RESULTS.md between markers."""

from __future__ import annotations

from pathlib import Path

from bench import REPO

README = REPO / "README.md"
START = "<!-- bench:start (written by make bench) -->"
END = "<!-- bench:end -->"


def summary(report: str) -> str:
    """The report's run line, goal count and goal table: everything before its first section."""
    head = report.split("\n### ", 1)[0]
    lines = [line for line in head.splitlines() if not line.startswith("# ")]
    return "\n".join(lines).strip()


def publish(report: str, readme: Path = README) -> bool:
    """Replaces the README's marked block with the run's summary; False when the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return False
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    readme.write_text(f"{before}{START}\n{summary(report)}\n{END}{after}", encoding="utf-8")
    return True
