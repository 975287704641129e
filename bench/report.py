"""Goal rows, medians and the markdown the bench prints and writes to bench/RESULTS.md."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


def median(values: Iterable[float]) -> float:
    data = list(values)
    if not data:
        raise ValueError("median of nothing")
    return float(statistics.median(data))


@dataclass(frozen=True)
class Goal:
    """One measured figure against its goal (lower is better)."""

    metric: str
    measured: float
    goal: float | None  # None: reported for information, no goal
    unit: str  # shown after the numbers (" MB", " calls"); "$" is shown before
    detail: str = ""
    digits: int = 2
    refused: bool = False  # a condition beside the figure failed (say which in `detail`): never met

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        return not self.refused and self.measured <= self.goal

    def _number(self, value: float) -> str:
        if self.unit == "$":
            return f"${value:,.{self.digits}f}"
        return f"{value:,.{self.digits}f}{self.unit}"

    def row(self) -> list[str]:
        verdict = {True: "MET", False: "**NOT MET**", None: "info"}[self.met]
        goal = "—" if self.goal is None else f"≤ {self._number(self.goal)}"
        return [self.metric, self._number(self.measured), goal, verdict, self.detail]


@dataclass
class Section:
    """A titled block of the report: a table (header + rows) and notes under it."""

    title: str
    header: Sequence[str] = ()
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        if self.header:
            lines += [table(self.header, self.rows), ""]
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(header), "|" + "|".join("---" for _ in header) + "|", *map(line, rows)])


def goals_table(goals: Sequence[Goal]) -> str:
    return table(("Goal", "Measured", "Goal", "Verdict", "How"), [goal.row() for goal in goals])


def ms(value: float) -> str:
    return f"{value:,.1f} ms"
