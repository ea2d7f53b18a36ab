"""Run one ``caseaudit`` command in this process and report its peak memory.

``python benchmarks/measure.py REPORT.json allocate DATA --month M --out OUT``: the
command runs as P&Q run it (``caseaudit.cli.main``), then this writes the exit code and
the peak resident memory of the whole process to REPORT.json, with the seconds each
stage took (``stages_s``: reading, checking, building, solving, reasons, writing, as the
progress lines on a terminal name them, issue 24; the time before the first stage is
``start``: interpreter, imports, arguments). The caller times the process from outside,
so interpreter start and imports count.
"""

from __future__ import annotations

import itertools
import json
import resource
import sys
import time
from pathlib import Path

#: When the interpreter reached this module, near enough its start.
STARTED = time.perf_counter()


def record_stages(marks: list[tuple[str, float]]) -> None:
    """Have every command's progress (shown or not) append (stage, when) to ``marks``."""
    from caseaudit.cli import progress

    told = progress.Progress.__call__

    def telling(self: progress.Progress, stage: str) -> None:
        if not marks or marks[-1][0] != stage:
            marks.append((stage, time.perf_counter()))
        told(self, stage)

    progress.Progress.__call__ = telling  # type: ignore[method-assign]


def stage_seconds(marks: list[tuple[str, float]], ended: float) -> dict[str, float]:
    """Seconds per stage (a stage entered twice adds up), ``start`` before the first."""
    seconds: dict[str, float] = {}
    edges = [("start", STARTED), *marks, ("end", ended)]
    for (stage, began), (_, next_began) in itertools.pairwise(edges):
        seconds[stage] = round(seconds.get(stage, 0.0) + next_began - began, 3)
    return seconds


def main() -> None:
    report, arguments = Path(sys.argv[1]), sys.argv[2:]
    from caseaudit.cli.main import cli

    marks: list[tuple[str, float]] = []
    record_stages(marks)
    code = 0
    try:
        cli.main(args=arguments, prog_name="caseaudit", standalone_mode=False)
    except SystemExit as stop:
        code = int(stop.code or 0)
    stages = stage_seconds(marks, time.perf_counter())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report.write_text(json.dumps({"exit": code, "peak_mib": peak_kib / 1024, "stages_s": stages}))


if __name__ == "__main__":
    main()
