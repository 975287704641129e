"""make bench keeps the README's table the latest run's."""

from __future__ import annotations

from pathlib import Path

from bench.readme import END, START, publish

REPORT = (
    "# Benchmark results\n\nRun 1\n\n**2 of 3 goals met.**\n\n| Goal |\n|---|\n\n### 1. Cold init\n\ndetail\n"
)


def test_the_marked_block_gets_the_summary_and_nothing_else(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{START}\nold table\n{END}\noutro\n")
    assert publish(REPORT, readme)
    text = readme.read_text()
    assert "old table" not in text and "**2 of 3 goals met.**" in text and "| Goal |" in text
    assert "detail" not in text and "# Benchmark results" not in text
    assert text.startswith("intro\n") and text.endswith(f"{END}\noutro\n")


def test_a_readme_without_markers_is_left_alone(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    assert not publish(REPORT, readme)
    assert readme.read_text() == "no markers\n"
