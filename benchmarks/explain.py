"""caseaudit explain at scale (issue 11): `python benchmarks/explain.py`.

The `largest` preset (seed 1), its default month. Three whole processes as P&Q would
run them (interpreter start, imports, reading, validation, the solves), each the median
of a few runs with the peak memory of the process (``benchmarks/measure.py``):

- the baseline: ``caseaudit allocate`` on the same data;
- one pair question (``--case C --auditor A``, an allowed pair the plan did not choose,
  so the month is solved twice: the plan and the plan with the pair forced in);
- the month diagnosis with its relaxations, on the same data with
  ``[policy] max_audits_per_year = 9`` so that the month is short of auditors.

Targets (issue 11): pair ≤ 2 s, month diagnosis ≤ 10 s.
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
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from caseaudit.io.tables import write_input_tables
from caseaudit.synth import DEFAULT_MONTH, generate_tables

MEASURE = Path(__file__).with_name("measure.py")


@dataclass(frozen=True)
class Measured:
    wall_s: float
    cpu_s: float
    peak_mib: float
    output: str

    def __str__(self) -> str:
        return f"{self.wall_s:7.3f} s (CPU {self.cpu_s:.3f} s), peak {self.peak_mib:5.0f} MiB"


def measured(arguments: list[str], report: Path, runs: int) -> Measured:
    """Median wall and CPU time and the peak MiB of the whole process, and its stdout.
    CPU time is given beside the wall time: on a shared machine it varies less."""
    times, cpu, peaks, output = [], [], [], ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(MEASURE), str(report), *arguments],
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        measurement = json.loads(report.read_text())
        if measurement["exit"] not in (0, 3):
            raise SystemExit(done.stderr)
        peaks.append(measurement["peak_mib"])
        output = done.stdout
    return Measured(statistics.median(times), statistics.median(cpu), max(peaks), output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="largest")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    month = DEFAULT_MONTH
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data_dir, tight_dir, out = root / "data", root / "tight", root / "out"
        tables = generate_tables(args.preset, args.seed, month)
        write_input_tables(data_dir, tables, "parquet")
        write_input_tables(tight_dir, tables, "parquet")
        (tight_dir / "config.toml").write_text("[policy]\nmax_audits_per_year = 9\n")
        report = root / "measure.json"

        baseline = measured(
            ["allocate", str(data_dir), "--month", month, "--out", str(out), "--force"],
            report,
            args.runs,
        )
        plan = pd.read_parquet(out / "allocations.parquet")
        # An allowed pair the plan did not choose: the first case's auditor, asked about
        # the second case (two auditors with one audit a month cannot both be chosen).
        case_id, auditor_id = str(plan["case_id"].iloc[1]), str(plan["auditor_id"].iloc[0])
        pair = measured(
            [
                "explain",
                str(data_dir),
                "--month",
                month,
                "--case",
                case_id,
                "--auditor",
                auditor_id,
            ],
            report,
            args.runs,
        )
        diagnosis_run = measured(
            ["explain", str(tight_dir), "--month", month, "--json"], report, args.runs
        )
    diagnosis = json.loads(diagnosis_run.output)["month"]
    relaxations = ", ".join(
        f"{r['rule']} +{r['cases_gained']} ({r['penalty']} steps)" for r in diagnosis["relaxations"]
    )
    print(
        f"explain  {args.preset} (seed {args.seed}), {month}, median of {args.runs} whole "
        f"processes\n"
        f"  allocate (baseline)  {baseline}, {len(plan)} allocated\n"
        f"  pair question        {pair} (target 2 s): {case_id} / {auditor_id}: "
        f"{pair.output.splitlines()[-1][:80]}\n"
        f"  month diagnosis      {diagnosis_run} (target 10 s): "
        f"max_audits_per_year = 9, {diagnosis['allocated']} of {diagnosis['cases']} "
        f"allocated, {len(diagnosis['deficient_sets'])} deficient set(s); {relaxations}",
        flush=True,
    )


if __name__ == "__main__":
    main()
