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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from caseaudit.io.tables import write_input_tables
from caseaudit.synth import DEFAULT_MONTH, generate_tables

MEASURE = Path(__file__).with_name("measure.py")


def measured(arguments: list[str], report: Path, runs: int) -> tuple[float, float, str]:
    """Median wall time and peak MiB of the whole process, and its stdout."""
    times, peaks, output = [], [], ""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(MEASURE), str(report), *arguments],
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - started)
        measurement = json.loads(report.read_text())
        if measurement["exit"] not in (0, 3):
            raise SystemExit(done.stderr)
        peaks.append(measurement["peak_mib"])
        output = done.stdout
    return statistics.median(times), max(peaks), output


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

        allocate_s, allocate_mib, _ = measured(
            ["allocate", str(data_dir), "--month", month, "--out", str(out), "--force"],
            report,
            args.runs,
        )
        plan = pd.read_parquet(out / "allocations.parquet")
        # An allowed pair the plan did not choose: the first case's auditor, asked about
        # the second case (two auditors with one audit a month cannot both be chosen).
        case_id, auditor_id = str(plan["case_id"].iloc[1]), str(plan["auditor_id"].iloc[0])
        pair_s, pair_mib, pair_text = measured(
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
        month_s, month_mib, month_text = measured(
            ["explain", str(tight_dir), "--month", month, "--json"], report, args.runs
        )
    diagnosis = json.loads(month_text)["month"]
    relaxations = ", ".join(
        f"{r['rule']} +{r['cases_gained']} ({r['penalty']} steps)" for r in diagnosis["relaxations"]
    )
    print(
        f"explain  {args.preset} (seed {args.seed}), {month}, median of {args.runs} whole "
        f"processes\n"
        f"  allocate (baseline)   {allocate_s:7.3f} s, peak {allocate_mib:5.0f} MiB, "
        f"{len(plan)} allocated\n"
        f"  pair question         {pair_s:7.3f} s, peak {pair_mib:5.0f} MiB (target 2 s): "
        f"{case_id} / {auditor_id}: {pair_text.splitlines()[-1][:90]}\n"
        f"  month diagnosis       {month_s:7.3f} s, peak {month_mib:5.0f} MiB (target 10 s): "
        f"max_audits_per_year = 9, {diagnosis['allocated']} of {diagnosis['cases']} "
        f"allocated, {len(diagnosis['deficient_sets'])} deficient set(s); {relaxations}",
        flush=True,
    )


if __name__ == "__main__":
    main()
