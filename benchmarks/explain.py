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

Then the national preset (issue 23; ``--national-dir`` names a folder of it, else it is
generated, seed 0, Parquet), one whole process each, beside ``caseaudit validate`` on the
same folder (reading and checking the inputs, which every command pays first), with the
peak memory and the seconds of each stage (``benchmarks/stages.py``): a pair and a case
of the plan that ``allocate`` wrote (``--previous``: the plan is given), and the month.
Targets: a pair ≤ 4 s, a case ≤ 4 s, the month ≤ 8 s, each ≤ 1.5 GiB.
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
from stages import measured as staged
from stages import national_line

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
    parser.add_argument("--skip-national", action="store_true", help="Leave out national.")
    parser.add_argument("--national-dir", type=Path, help="A national preset's folder to use.")
    parser.add_argument(
        "--national-plan", type=Path, help="allocate's output on that folder (else run here)."
    )
    parser.add_argument("--national-only", action="store_true", help="National alone.")
    args = parser.parse_args()
    if not args.national_only:
        preset_figures(args)
    if not args.skip_national:
        national_figures(args.national_dir, args.national_plan)


def national_figures(data_dir: Path | None, plan_dir: Path | None) -> None:
    """The national preset's questions, one whole process each, beside validate."""
    month = DEFAULT_MONTH
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        report = root / "stages.json"
        if data_dir is None:
            data_dir = root / "national"
            write_input_tables(data_dir, generate_tables("national", 0, month), "parquet")
        if plan_dir is None:
            plan_dir = root / "plan"
            staged(["allocate", str(data_dir), "--month", month, "--out", str(plan_dir)], report)
        plan = pd.read_parquet(plan_dir / "allocations.parquet")
        case_id, auditor_id = str(plan["case_id"].iloc[1]), str(plan["auditor_id"].iloc[0])
        question = ["explain", str(data_dir), "--month", month]
        given = ["--previous", str(plan_dir)]
        baseline = staged(["validate", str(data_dir)], report)
        pair = staged([*question, "--case", case_id, "--auditor", auditor_id, *given], report)
        case = staged([*question, "--case", case_id, *given], report)
        whole = staged(question, report)
    print(f"explain  national (seed 0), {month}, one whole process each", flush=True)
    print(national_line(f"pair {case_id}/{auditor_id}", pair, 4, baseline))
    print(national_line(f"case {case_id}", case, 4, baseline))
    print(national_line("month", whole, 8, baseline), flush=True)


def preset_figures(args: argparse.Namespace) -> None:
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
