"""Write benchmark results into docs/benchmarks.md, between markers, keeping the rest.

Each (size, section) pair has its own block, delimited by
``<!-- bench:SIZE:SECTION -->`` and ``<!-- /bench:SIZE:SECTION -->``. A run
replaces only the blocks it produced, so a small run keeps the last full
run's figures, and the hand-written text outside the blocks stays.
"""

from __future__ import annotations

import re
from pathlib import Path

SKELETON = "# Benchmarks\n"


def _markers(size: str, section: str) -> tuple[str, str]:
    return f"<!-- bench:{size}:{section} -->", f"<!-- /bench:{size}:{section} -->"


def write_block(path: Path, size: str, section: str, heading: str, body: str) -> None:
    """Replace the block of (size, section) in the file, or append it under `heading`."""
    text = path.read_text(encoding="utf-8") if path.exists() else SKELETON
    begin, end = _markers(size, section)
    block = f"{begin}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = f"{text.rstrip()}\n\n{heading}\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def table(header: list[str], rows: list[list[str]]) -> str:
    """Format a Markdown table; numeric columns are right-aligned."""
    aligns = [
        "---:" if rows and all(_numeric(row[index]) for row in rows) else "---"
        for index in range(len(header))
    ]
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(aligns) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    return "\n".join(lines)


def _numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[0-9][0-9,.]*( ?[a-zA-Z%]+)?", cell.strip()))


def ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def count(value: float) -> str:
    return f"{value:,.0f}"
