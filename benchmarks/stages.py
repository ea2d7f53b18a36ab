"""One whole ``caseaudit`` process, timed stage by stage (issue 23).

``python benchmarks/stages.py REPORT.json explain DATA --month M --case C`` runs the
command as P&Q run it (``caseaudit.cli.main``, in this process), and writes to
REPORT.json its exit code, the peak resident memory of the process, and the seconds of
each stage the command tells its progress (issue 24: reading, checking, building,
solving, reasons, writing, ...), ``start`` being the interpreter's start and the
imports before the first stage. :func:`measured` runs it as a child and times it from
outside; :func:`national_line` prints a figure beside ``caseaudit validate`` on the
same folder, naming the stage that took the time.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

STARTED = time.perf_counter()
HERE = Path(__file__)


def main() -> None:
    report, arguments = Path(sys.argv[1]), sys.argv[2:]
    from caseaudit.cli import progress

    told: list[tuple[str, float]] = [("start", STARTED)]
    shown = progress.Progress.__call__

    def timed(self: progress.Progress, stage: str) -> None:
        if stage != told[-1][0]:
            told.append((stage, time.perf_counter()))
        shown(self, stage)

    progress.Progress.__call__ = timed  # type: ignore[method-assign]
    from caseaudit.cli.main import cli

    code = 0
    try:
        cli.main(args=arguments, prog_name="caseaudit", standalone_mode=False)
    except SystemExit as stop:
        code = int(stop.code or 0)
    ended = time.perf_counter()
    stages: dict[str, float] = {}
    for (stage, at), (_, until) in zip(told, [*told[1:], ("end", ended)], strict=True):
        stages[stage] = stages.get(stage, 0.0) + until - at
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report.write_text(json.dumps({"exit": code, "peak_mib": peak_kib / 1024, "stages": stages}))


@dataclass(frozen=True)
class Run:
    """One whole process: wall time from outside, exit, peak memory, stage seconds."""

    wall_s: float
    exit: int
    peak_mib: float
    stages: dict[str, float]
    stdout: str

    @property
    def slowest(self) -> str:
        stage, seconds = max(self.stages.items(), key=lambda item: item[1])
        return f"{stage} {seconds:.1f} s"

    def __str__(self) -> str:
        parts = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in self.stages.items())
        return (
            f"{self.wall_s:6.1f} s, peak {self.peak_mib:5.0f} MiB, most in {self.slowest} ({parts})"
        )


def measured(arguments: list[str], report: Path) -> Run:
    """``caseaudit ARGUMENTS`` as one child process, timed from outside."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(HERE), str(report), *arguments], capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if not report.exists():
        raise SystemExit(done.stderr)
    measurement = json.loads(report.read_text())
    report.unlink()
    if measurement["exit"] not in (0, 3):
        raise SystemExit(done.stderr)
    return Run(
        wall, measurement["exit"], measurement["peak_mib"], measurement["stages"], done.stdout
    )


def national_line(label: str, run: Run, target_s: float, baseline: Run) -> str:
    """A national figure beside ``caseaudit validate`` of the same run and folder."""
    verdict = "met" if run.wall_s <= target_s and run.peak_mib <= 1536 else "MISSED"
    return (
        f"  {label:<22} {run} [target ≤ {target_s:g} s, ≤ 1.5 GiB: {verdict}]\n"
        f"  {'beside: validate':<22} {baseline}"
    )


if __name__ == "__main__":
    main()
