"""caseaudit benchmarks: `make bench` (or `python benchmarks/run.py --presets median largest`).

Each figure is printed beside a baseline measured in the same run, because these
machines are noisy: medians of several runs, and ratios.

- allocate, whole process: `caseaudit allocate` as P&Q run it (interpreter start and
  imports included), beside `python -c "import caseaudit.cli.main"` alone.
- solve stage: flow + CP-SAT model build + CP-SAT proof, beside OR-Tools min-cost flow
  alone on the same eligible pairs (the limit for the assignment core).
- reallocate: 5 honoured exemptions on the month's plan: solve stage and the number of
  changed allocations against the number of freed audits.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from caseaudit import allocate, build_problem, load, reallocate
from caseaudit.io.tables import write_input_tables
from caseaudit.solver.month import encode_month, fold_costs, month_assignment, solve_month
from caseaudit.solver.network import solve_flow
from caseaudit.solver.pairs import ImplicitPairs
from caseaudit.synth import DEFAULT_MONTH, generate_tables

BIN = Path(sys.executable).parent


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True)
    return time.perf_counter() - started


def process_times(data_dir: Path, runs: int) -> tuple[float, float]:
    out = data_dir.parent / "out-process"
    allocate_cmd = [
        str(BIN / "caseaudit"),
        "allocate",
        str(data_dir),
        "--month",
        DEFAULT_MONTH,
        "--out",
        str(out),
        "--force",
    ]
    import_cmd = [sys.executable, "-c", "import caseaudit.cli.main, caseaudit.api"]
    whole = statistics.median(timed(allocate_cmd) for _ in range(runs))
    imports = statistics.median(timed(import_cmd) for _ in range(runs))
    return whole, imports


def solve_times(data_dir: Path, runs: int) -> dict[str, object]:
    """The solve stage against OR-Tools' min-cost flow alone on every allowed pair."""
    data = load(data_dir, DEFAULT_MONTH)
    problem = build_problem(data, DEFAULT_MONTH)
    index = encode_month(problem)
    assignment = month_assignment(index, fold_costs(index, data.config.weights, 0))
    assert isinstance(assignment.pairs, ImplicitPairs)
    every_pair = assignment.pairs.materialise()
    stage, flow_only, statuses = [], [], set()
    for _ in range(runs):
        result = solve_month(problem, data.config, 0)
        stage.append(result.timings["solve_s"])
        statuses.add(result.status)
        started = time.perf_counter()
        solve_flow(assignment.capacities, every_pair.task, every_pair.agent, every_pair.cost)
        flow_only.append(time.perf_counter() - started)
    return {
        "cases": index.n_cases,
        "auditors": index.n_auditors,
        "pairs": every_pair.count,
        "stage": statistics.median(stage),
        "flow": statistics.median(flow_only),
        "status": "/".join(sorted(statuses)),
    }


def reallocation_figures(data_dir: Path, work: Path, exemptions: int) -> dict[str, object]:
    first = allocate(load(data_dir, DEFAULT_MONTH), DEFAULT_MONTH)
    previous = work / "previous"
    first.write(previous, force=True)
    staff = pd.read_parquet(data_dir / "staff.parquet")
    approver = {
        "csc": staff.loc[staff["role"] == "assistant_director", "staff_id"].min(),
        "pq": staff.loc[staff["role"] == "strategic_lead_ipq", "staff_id"].min(),
    }
    group = dict(zip(staff["staff_id"], staff["staff_group"], strict=True))
    chosen = first.allocations.sort_values("audit_id").head(exemptions)
    extra = pd.DataFrame(
        {
            "case_id": chosen["case_id"],
            "month": DEFAULT_MONTH,
            "auditor_id": chosen["auditor_id"],
            "requested_on": pd.Timestamp("2026-03-03").date(),
            "decision": "approved",
            "decided_by": [approver[group[a]] for a in chosen["auditor_id"]],
            "decided_on": pd.Timestamp("2026-03-04").date(),
        }
    )
    later = work / "later"
    shutil.copytree(data_dir, later, dirs_exist_ok=True)
    existing = pd.read_parquet(later / "exemptions.parquet")
    keys = set(zip(extra["case_id"], extra["auditor_id"], strict=True))
    kept = [
        (c, a) not in keys for c, a in zip(existing["case_id"], existing["auditor_id"], strict=True)
    ]
    write_input_tables(later, {"exemptions": pd.concat([existing[kept], extra])}, "parquet")
    result = reallocate(load(later, DEFAULT_MONTH), DEFAULT_MONTH, previous)
    counts = result.manifest["counts"]
    assert isinstance(counts, dict)
    return {
        "stage": result.solve.timings["solve_s"],
        "flow": result.solve.timings["flow_s"],
        "freed": counts["must_move"],
        "changed": counts["moved"],
        "unallocated": len(result.unallocated),
        "status": result.solve.status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["median", "largest"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()
    figures: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.presets:
            work = Path(tmp) / preset
            data_dir = work / "data"
            write_input_tables(data_dir, generate_tables(preset, 0), "parquet")
            row: dict[str, object] = {}
            whole, imports = process_times(data_dir, args.runs)
            row["process_s"], row["imports_s"] = whole, imports
            row.update(solve_times(data_dir, args.runs))
            re = reallocation_figures(data_dir, work, 5)
            row.update({f"realloc_{k}": v for k, v in re.items()})
            figures[preset] = row
            print(
                f"{preset:9s} cases {row['cases']:>6} auditors {row['auditors']:>6} pairs "
                f"{row['pairs']:>9}\n"
                f"  allocate process  {whole:8.3f} s   (imports alone {imports:.3f} s)\n"
                f"  solve stage       {row['stage']:8.3f} s   (min-cost flow alone "
                f"{row['flow']:.4f} s, ratio {row['stage'] / max(row['flow'], 1e-9):.1f}x) "  # type: ignore[operator]
                f"{row['status']}\n"
                f"  reallocate 5 ex.  {re['stage']:8.3f} s   (flow {re['flow']:.4f} s) freed "
                f"{re['freed']}, changed {re['changed']}, unallocated {re['unallocated']}, "
                f"{re['status']}",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
