"""caseaudit moderate at scale (issue 8): `python benchmarks/moderation.py`.

The `region` preset (seed 1) with its challenges topped up to 200 audits waiting for a
moderator, as of the first working day of the target month. The figure is the whole
`caseaudit moderate` process as P&Q would run it (interpreter start, imports, reading,
validation, the solve and the files), the median of a few runs, beside its status and
the peak memory of those runs (``resource.getrusage`` of the child processes).

Then the national preset (issue 23; ``--national-dir`` names a folder of it, else it is
generated, seed 0) with its challenges topped up the same way to 2,000 audits waiting:
one whole ``caseaudit moderate`` process beside ``caseaudit validate`` on the same
folder, with the peak memory and the seconds of each stage (``benchmarks/stages.py``).
Target: ≤ 5 s, ≤ 1.5 GiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from caseaudit.io.tables import write_input_tables
from caseaudit.synth import generate_tables
from stages import measured, national_line

BIN = Path(sys.executable).parent
#: Finished or judged audits that a practitioner may still challenge (§21).
CHALLENGEABLE = ("completed", "returned", "finalised", "actions_complete")


def open_audits(tables: dict[str, pd.DataFrame], as_of: str) -> set[str]:
    challenges, moderations = tables["challenges"], tables["moderations"]
    raised = challenges["raised_on"].map(lambda d: d.isoformat() <= as_of)
    waiting = challenges[raised & (challenges["consensus_reached"] != True)]  # noqa: E712
    return set(waiting["audit_id"]) - set(moderations["audit_id"])


def top_up_challenges(tables: dict[str, pd.DataFrame], wanted: int, as_of: str) -> int:
    """Add challenges without consensus, raised by each case's worker, on audits of the
    last two months that nobody challenged (never an inadequate one, so no re-audit
    changes), until ``wanted`` audits wait for a moderator. Returns how many wait."""
    missing = wanted - len(open_audits(tables, as_of))
    if missing <= 0:
        return len(open_audits(tables, as_of))
    history, cases = tables["history"], tables["cases"]
    months = sorted(history["month"].unique())[-2:]
    pool = history[
        history["month"].isin(months)
        & history["status"].isin(CHALLENGEABLE)
        & (history["overall_judgement"] != "inadequate")
        & ~history["audit_id"].isin(set(tables["challenges"]["audit_id"]))
    ].sort_values("audit_id")
    chosen = pool.iloc[np.random.default_rng(0).choice(len(pool), missing, replace=False)]
    worker = cases.set_index(["case_id", "month"])["allocated_worker_id"]
    raised_on = pd.Timestamp(as_of).date() - pd.Timedelta(days=7)
    added = pd.DataFrame(
        {
            "audit_id": chosen["audit_id"].to_numpy(),
            "raised_by": [
                worker[key] for key in zip(chosen["case_id"], chosen["month"], strict=True)
            ],
            "raised_on": raised_on,
            "consensus_reached": False,
        }
    )
    tables["challenges"] = pd.concat([tables["challenges"], added], ignore_index=True)
    return len(open_audits(tables, as_of))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="region")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--challenges", type=int, default=200)
    parser.add_argument("--as-of", default="2026-03-02")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-national", action="store_true", help="Leave out national.")
    parser.add_argument("--national-dir", type=Path, help="A national preset's folder to use.")
    parser.add_argument("--national-only", action="store_true", help="National alone.")
    parser.add_argument("--national-challenges", type=int, default=2000)
    args = parser.parse_args()
    if not args.national_only:
        preset_figures(args)
    if not args.skip_national:
        national_figures(args.national_dir, args.national_challenges, args.as_of)


def national_figures(data_dir: Path | None, wanted: int, as_of: str) -> None:
    """National with ``wanted`` audits waiting: moderate beside validate, one run each."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        national = root / "national"
        if data_dir is None:
            write_input_tables(national, generate_tables("national", 0), "parquet")
        else:
            shutil.copytree(data_dir, national)
        names = ("challenges", "moderations", "history", "cases")
        tables = {name: pd.read_parquet(national / f"{name}.parquet") for name in names}
        waiting = top_up_challenges(tables, wanted, as_of)
        write_input_tables(national, {"challenges": tables["challenges"]}, "parquet")
        report, out = root / "stages.json", root / "out"
        baseline = measured(["validate", str(national)], report)
        run = measured(["moderate", str(national), "--as-of", as_of, "--out", str(out)], report)
        manifest = json.loads((out / "manifest.json").read_text())
    counts, solver = manifest["counts"], manifest["solver"]
    print(
        f"moderate  national (seed 0), {waiting} challenged audits as of {as_of}: "
        f"{solver['status']} ({solver['proof']}), {counts['moderation']} moderated, "
        f"{counts['unmoderated']} left",
        flush=True,
    )
    print(national_line("moderate", run, 5, baseline), flush=True)


def preset_figures(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, out = Path(tmp) / "data", Path(tmp) / "out"
        tables = generate_tables(args.preset, args.seed)
        waiting = top_up_challenges(tables, args.challenges, args.as_of)
        write_input_tables(data_dir, tables, "parquet")
        command = [str(BIN / "caseaudit"), "moderate", str(data_dir), "--as-of", args.as_of]
        times, cpu = [], []
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run([*command, "--out", str(out), "--force"], capture_output=True)
            times.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if done.returncode not in (0, 3):
                raise SystemExit(done.stderr.decode())
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        manifest = json.loads((out / "manifest.json").read_text())
    counts, solver, timings = manifest["counts"], manifest["solver"], manifest["timings_s"]
    print(
        f"moderate  {args.preset} (seed {args.seed}), {waiting} challenged audits as of "
        f"{args.as_of}, {counts['senior_managers']} senior managers\n"
        f"  whole process  {statistics.median(times):8.3f} s (median of {args.runs}; CPU "
        f"{statistics.median(cpu):.3f} s), peak {peak_mib:.0f} MiB, {solver['status']} "
        f"({solver['proof']}), "
        f"{counts['moderation']} moderated, {counts['unmoderated']} left, largest load "
        f"{solver['tiers']['largest_load']}; load {timings['load_s']:.3f} s, problem "
        f"{timings['problem_s']:.3f} s, solve {timings['solve_s']:.3f} s",
        flush=True,
    )


if __name__ == "__main__":
    main()
