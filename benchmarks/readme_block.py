"""README blocks written by the benchmarks: the text between two markers, and the conditions of the run.

``bench_scan.py --update-readme`` and ``bench_pyhf_export.py --update-readme`` both replace their block between
``<!-- <name>:start -->`` and ``<!-- <name>:end -->`` in README.md, headed by :func:`run_note` (date, commit, cores,
load average at the start and the end): timings on a shared machine depend on its load, so a block always says
under which conditions it was measured.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from kinmix_stats.io.atomic import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of block ``name``."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def read_block(text: str, name: str) -> str:
    """The text between the markers of ``name`` in ``text``; raises unless each marker occurs once, in order."""
    start, end = markers(name)
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"expected one {start} followed by one {end}")
    return text.split(start, 1)[1].split(end, 1)[0]


def replace_block(path: Path, name: str, body: str) -> None:
    """Replace the text between the markers of ``name`` in ``path`` by ``body`` (atomically; the rest unchanged)."""
    text = path.read_text(encoding="utf-8")
    read_block(text, name)  # checks the markers
    start, end = markers(name)
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    atomic_write_text(path, f"{head}{start}\n{body.strip()}\n{end}{tail}")


def commit() -> str:
    """Short commit id of the checkout, with ``+ uncommitted changes`` if the work tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    rev = git("rev-parse", "--short", "HEAD") or "unknown commit"
    return rev + (" + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


class RunConditions:
    """Start time and load average of a benchmark run; :meth:`note` describes the run when it ends."""

    def __init__(self) -> None:
        self.started = time.gmtime()
        self.load_start = os.getloadavg()[0]

    def note(self, command: str) -> str:
        """One paragraph: command, UTC date and times, commit, cores, 1-min load average at the start and the end."""
        load_end = os.getloadavg()[0]
        return (
            f"Measured by `{command}` ({time.strftime('%Y-%m-%d %H:%M', self.started)} to "
            f"{time.strftime('%H:%M UTC', time.gmtime())}, commit {commit()}, {os.cpu_count()} cores, 1-min load average "
            f"{self.load_start:.1f} at the start and {load_end:.1f} at the end; the load includes any other jobs on the "
            "machine, so absolute times are upper bounds and the ratios within this one run are the meaningful part):"
        )


def markdown_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
