"""README's Performance numbers are the blocks the benchmarks write (``--update-readme``, benchmarks/readme_block.py).

Each block sits between its markers inside the Performance section and says how it was measured (command, commit,
load); the writer replaces only the text between the markers.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("readme_block", ROOT / "benchmarks" / "readme_block.py")
assert _spec is not None and _spec.loader is not None
readme_block = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_block)


def _performance_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Performance")
    return text[start : text.index("\n## ", start + 1)]


@pytest.mark.parametrize("name", ["bench_scan", "bench_pyhf_export"])
def test_benchmark_block_is_in_the_performance_section_and_says_how_it_was_measured(name):
    block = readme_block.read_block(_performance_section(), name)  # one start marker, then one end marker
    assert block.strip().startswith(f"Measured by `python benchmarks/{name}.py --update-readme`")
    assert re.search(r"load average \d+\.\d", block), "the block must state the machine's load"
    table = [line for line in block.splitlines() if line.startswith("|")]
    assert len(table) >= 3 and set(table[1]) <= set("|-")


def test_scan_block_has_the_same_run_ratio_to_the_pre_14_treatment():
    block = readme_block.read_block(_performance_section(), "bench_scan")
    assert "commit " in block
    row = next(line for line in block.splitlines() if line.startswith("| ratio ours / pre-#14"))
    assert float(row.split("|")[2]) > 0


def test_replace_block_changes_only_the_text_between_the_markers(tmp_path):
    start, end = readme_block.markers("x")
    path = tmp_path / "README.md"
    path.write_text(f"head\n{start}\nold\n{end}\ntail {start[:4]}\n", encoding="utf-8")
    readme_block.replace_block(path, "x", "new\n| a |")
    assert path.read_text(encoding="utf-8") == f"head\n{start}\nnew\n| a |\n{end}\ntail {start[:4]}\n"
    path.write_text(f"{start}\n{end}\n{start}\n{end}\n", encoding="utf-8")  # two blocks: which one is meant?
    with pytest.raises(ValueError, match="expected one"):
        readme_block.replace_block(path, "x", "new")
    path.write_text(f"{end}\n{start}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected one"):
        readme_block.replace_block(path, "x", "new")
