"""Benchmark of the annual break plan (issue 9): `python benchmarks/break_plan.py`.

- median preset: the solve alone (encode, every stage's min-cost flow, decode), median of
  several runs; target ≤ 1 s.
- national preset (20,000 auditors): `caseaudit plan-breaks` as P&Q run it, one process
  (interpreter start, reading, solving, tables, figure, writing), whether the manifest
  says proven optimal, the process's peak memory and the seconds of each stage
  (``benchmarks/stages.py``); target ≤ 5 s, ≤ 1.5 GiB (issue 23). Beside it,
  `caseaudit validate` on the same directory: reading and checking the inputs, which
  every command pays before it plans anything.

Generating the national preset (seed 1) takes about 30 s; it is written as Parquet.
``--national-dir`` names a folder of it to use instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from caseaudit import load
from caseaudit.io.tables import write_input_tables
from caseaudit.plans.break_year.adapter import solve_year
from caseaudit.plans.break_year.problem import build_break_year
from caseaudit.synth import generate_tables
from stages import Run, measured, national_line

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


def national_run(root: Path, data_dir: Path | None) -> dict[str, object]:
    generated = 0.0
    if data_dir is None:
        data_dir = root / "national"
        started = time.perf_counter()
        write_input_tables(data_dir, generate_tables("national", 1, None), "parquet")
        generated = time.perf_counter() - started
    out, report = root / "national-out", root / "stages.json"
    baseline = measured(["validate", str(data_dir)], report)
    run = measured(["plan-breaks", str(data_dir), "--year", str(YEAR), "--out", str(out)], report)
    manifest = json.loads((out / "manifest.json").read_text())
    solver = manifest["solver"]
    return {
        "generate_s": generated,
        "run": run,
        "baseline": baseline,
        "status": solver["status"],
        "stages": [(s["stage"], s["status"]) for s in solver["stages"]],
        "timings": manifest["timings_s"],
        "breaks": manifest["counts"]["break_plan"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="Median over this many solves.")
    parser.add_argument("--skip-national", action="store_true", help="Median preset only.")
    parser.add_argument("--national-dir", type=Path, help="A national preset's folder to use.")
    parser.add_argument("--national-only", action="store_true", help="National alone.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        if not args.national_only:
            solve_s, status = median_solve(root, args.runs)
            print(
                f"plan-breaks median preset: solve {solve_s:.3f} s (median of {args.runs}), "
                f"{status} [target ≤ 1 s]"
            )
        if args.skip_national:
            return
        figures = national_run(root, args.national_dir)
        proven = "proven optimal" if figures["status"] == "optimal" else "NOT proven optimal"
        run, baseline = figures["run"], figures["baseline"]
        assert isinstance(run, Run) and isinstance(baseline, Run)
        print(
            f"plan-breaks national preset (20,000 auditors): {proven}, exit {run.exit}, "
            f"{figures['breaks']} breaks; solver stages {figures['stages']}"
        )
        print(national_line("plan-breaks", run, 5, baseline))
        print(f"  in-process timings (s): {figures['timings']}")
        if figures["generate_s"]:
            print(f"  generating the preset {figures['generate_s']:.0f} s")


if __name__ == "__main__":
    main()
