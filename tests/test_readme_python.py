"""The README's Python blocks run as printed (issue 18): "From Python" in a fresh folder,
and the `sweep` example as a plain script, whose process pool needs the
``if __name__ == "__main__":`` guard. Each block is taken from README.md, so that the
README cannot rot; the only change is the small preset for the median (and, for the
sweep's year, two months for twelve), to keep the test short."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"
SOURCES = Path(__file__).parent.parent / "src"


def python_block(after_heading: str) -> str:
    """The first ```python block after the heading ``after_heading``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{after_heading}\n")
    match = re.compile(r"```python\n(.*?)```", re.DOTALL).search(text, start)
    assert match is not None, after_heading
    return match[1]


def run_script(source: str, folder: Path) -> subprocess.CompletedProcess[str]:
    script = folder / "example.py"
    script.write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SOURCES)}
    return subprocess.run(
        [sys.executable, script.name],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def smaller(source: str) -> str:
    assert '"median"' in source
    return source.replace('"median"', '"small"')


def test_the_from_python_block_runs_as_printed_in_a_fresh_folder(tmp_path: Path) -> None:
    done = run_script(smaller(python_block("## From Python (notebooks)")), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("2026-03: ")
    assert (tmp_path / "out" / "2026-03" / "allocations.csv").is_file()


def test_the_sweep_example_runs_as_a_plain_script(tmp_path: Path) -> None:
    source = smaller(python_block("### Many what-ifs: `sweep`"))
    assert "months=12" in source
    done = run_script(source.replace("months=12", "months=2"), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("as it is", "cap 10%", "no P&Q officers", "two teams merged, a year"):
        assert name in done.stdout
