"""Benchmark of the annual break plan (issue 9): `python benchmarks/break_plan.py`.

- median preset: the solve alone (encode, every stage's min-cost flow, decode), median of
  several runs; target ≤ 1 s.
- national preset (20,000 auditors): `caseaudit plan-breaks` as P&Q run it, one process
  (interpreter start, reading, solving, tables, figure, writing), whether the manifest
  says proven optimal, and the process's peak memory (``resource.getrusage`` of the
  child); target ≤ 15 s. Beside it, `caseaudit validate` on the same directory: reading
  and checking the inputs, which every command pays before it plans anything.

Generating the national preset takes about 30 s; it is written as Parquet.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from caseaudit import load
from caseaudit.io.tables import write_input_tables
from caseaudit.plans.break_year.adapter import solve_year
from caseaudit.plans.break_year.problem import build_break_year
from caseaudit.synth import generate_tables

BIN = Path(sys.executable).parent
YEAR = 2026  # the audit year after the presets' default month (2026-03)


def median_solve(root: Path, runs: int) -> tuple[float, str]:
    data_dir = root / "median"
    write_input_tables(data_dir, generate_tables("median", 1, None), "csv")
    problem = build_break_year(load(data_dir), YEAR)
    times, status = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        solution = solve_year(problem, seed=0)
        times.append(time.perf_counter() - started)
        status = solution.status
    return statistics.median(times), status


def child_run(command: list[str]) -> tuple[float, int, float]:
    """Wall time, exit code and peak RSS (MiB) of a child process. ``RUSAGE_CHILDREN``
    gives the largest child so far, so the first child run is the one measured."""
    started = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, done.returncode, peak / 1024


def national_run(root: Path) -> dict[str, object]:
    data_dir, out = root / "national", root / "national-out"
    started = time.perf_counter()
    write_input_tables(data_dir, generate_tables("national", 1, None), "parquet")
    generated = time.perf_counter() - started
    plan_cmd = [
        str(BIN / "caseaudit"),
        "plan-breaks",
        str(data_dir),
        "--year",
        str(YEAR),
        "--out",
        str(out),
        "--force",
    ]
    wall, code, peak = child_run(plan_cmd)
    manifest = json.loads((out / "manifest.json").read_text())
    validate_wall, _, _ = child_run([str(BIN / "caseaudit"), "validate", str(data_dir)])
    solver = manifest["solver"]
    return {
        "generate_s": generated,
        "whole_s": wall,
        "exit": code,
        "peak_mib": peak,
        "status": solver["status"],
        "stages": [(s["stage"], s["status"]) for s in solver["stages"]],
        "timings": manifest["timings_s"],
        "validate_s": validate_wall,
        "breaks": manifest["counts"]["break_plan"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="Median over this many solves.")
    parser.add_argument("--skip-national", action="store_true", help="Median preset only.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        solve_s, status = median_solve(root, args.runs)
        print(
            f"plan-breaks median preset: solve {solve_s:.3f} s (median of {args.runs}), "
            f"{status} [target ≤ 1 s]"
        )
        if args.skip_national:
            return
        figures = national_run(root)
        proven = "proven optimal" if figures["status"] == "optimal" else "NOT proven optimal"
        print(
            f"plan-breaks national preset (20,000 auditors): whole run {figures['whole_s']:.1f} s, "
            f"{proven}, peak {figures['peak_mib']:.0f} MiB, exit {figures['exit']}, "
            f"{figures['breaks']} breaks [target ≤ 15 s]"
        )
        print(f"  stages: {figures['stages']}; in-process timings (s): {figures['timings']}")
        print(
            f"  beside it: caseaudit validate on the same data {figures['validate_s']:.1f} s "
            f"(reading and checking the inputs); generating the preset "
            f"{figures['generate_s']:.0f} s"
        )


if __name__ == "__main__":
    main()
