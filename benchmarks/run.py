"""caseaudit benchmarks: `make bench` (or `python benchmarks/run.py --presets median largest`).

Each figure is printed beside a baseline measured in the same run, because these
machines are noisy: medians of several runs, ratios, and the peak memory of each run.

- allocate, whole process: `caseaudit allocate` as P&Q run it (interpreter start and
  imports included, peak resident memory of the process), beside
  `python -c "import caseaudit.cli.main"` alone; with the manifest's proof: how many
  pairs the month allows, how many the flow was built on, how many pricing added.
- solve stage: the assignment core (flow, potentials, pricing, proof), beside OR-Tools
  min-cost flow alone on every allowed pair of the same instance (the limit for the
  core). Where the pairs cannot all be held in memory (national), the baseline is the
  flow alone on the pairs the core ended with, and says so.
- reallocate, whole process: 5 honoured exemptions on the month's plan (and 500 at
  national): wall time, peak memory, the solve's stages (lexicographic where the tiers
  do not fit one 64-bit cost), and the changed allocations against the freed audits.
- baseline of issue 23: ``caseaudit validate --month`` on the same folder in the same
  run (reading and checking alone), printed beside allocate and reallocate with each
  run's stage split from its manifest (read, check, build, solve, reasons; write is
  the rest of the process after the imports).

``--data DIR`` reuses a generated folder (``--presets national --data DIR``) instead of
generating the preset again.
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

import numpy as np
import pandas as pd

from caseaudit import build_problem, load
from caseaudit.io.tables import write_input_tables
from caseaudit.plans.month.adapter import encode_month, fold_costs, month_assignment, solve_month
from caseaudit.solver.core import SolveOptions
from caseaudit.solver.network import solve_flow
from caseaudit.solver.pairs import ImplicitPairs, pair_keys
from caseaudit.synth import DEFAULT_MONTH, generate_tables

BIN = Path(sys.executable).parent


MEASURE = Path(__file__).with_name("measure.py")
#: Above this many allowed pairs the baseline flow is run on the core's final pairs.
BASELINE_ALL_PAIRS_UP_TO = 20_000_000


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True)
    return time.perf_counter() - started


def process_figures(data_dir: Path, runs: int) -> dict[str, object]:
    """Whole `caseaudit allocate` runs: median wall time, peak memory, the proof."""
    out = data_dir.parent / "out-process"
    report = data_dir.parent / "measure.json"
    walls, peaks = [], []
    for _ in range(runs):
        command = [sys.executable, str(MEASURE), str(report), "allocate", str(data_dir)]
        command += ["--month", DEFAULT_MONTH, "--out", str(out), "--force"]
        walls.append(timed(command))
        peaks.append(json.loads(report.read_text())["peak_mib"])
    import_cmd = [sys.executable, "-c", "import caseaudit.cli.main, caseaudit.api"]
    imports = statistics.median(timed(import_cmd) for _ in range(runs))
    manifest = json.loads((out / "manifest.json").read_text())
    solver = manifest["solver"]
    return {
        "process_s": statistics.median(walls),
        "process_peak_mib": max(peaks),
        "split": stage_split(manifest, statistics.median(walls), imports),
        "imports_s": imports,
        "proof_status": solver["status"],
        "proof": solver["proof"],
        "unique": solver["optimum_unique"],
        "pair_stats": solver["pairs"],
        "process_timings": manifest["timings_s"],
    }


def stage_split(manifest: dict[str, object], wall: float, imports: float) -> dict[str, float]:
    """Where a run's time went, from its manifest's ``timings_s`` (the API's stages) and
    the process's wall time: write is what is left after the imports and the API."""
    timings = manifest["timings_s"]
    assert isinstance(timings, dict)
    split = {
        stage: float(timings.get(f"{key}_s", 0.0))
        for stage, key in (
            ("read", "reading"),
            ("check", "checking"),
            ("build", "building"),
            ("solve", "solving"),
            ("reasons", "reasons"),
        )
    }
    split["write"] = max(wall - imports - float(timings.get("total_s", 0.0)), 0.0)
    return split


def validate_figures(data_dir: Path) -> dict[str, object]:
    """The baseline of issue 23: `caseaudit validate --month` of the same folder, whole
    process (reading and checking the inputs, nothing else), with its peak memory."""
    report = data_dir.parent / "measure-validate.json"
    command = [sys.executable, str(MEASURE), str(report), "validate", str(data_dir)]
    wall = timed([*command, "--month", DEFAULT_MONTH])
    return {"process_s": wall, "peak_mib": json.loads(report.read_text())["peak_mib"]}


def solve_times(data_dir: Path, runs: int) -> dict[str, object]:
    """The solve stage against OR-Tools' min-cost flow alone on the same instance."""
    data = load(data_dir, DEFAULT_MONTH)
    problem = build_problem(data, DEFAULT_MONTH)
    index = encode_month(problem)
    assignment = month_assignment(index, fold_costs(index, data.config.weights, 0))
    space = assignment.pairs
    assert isinstance(space, ImplicitPairs)
    stage, statuses = [], set()
    result = None
    for _ in range(runs):
        result = solve_month(problem, data.config, 0)
        stage.append(result.timings["solve_s"])
        statuses.add(result.status)
    assert result is not None
    if space.count <= BASELINE_ALL_PAIRS_UP_TO:
        pairs = space.materialise()
        task, agent, cost = pairs.task, pairs.agent, pairs.cost
        baseline = "every allowed pair"
    else:
        keys = pair_keys(
            index.case_ids.searchsorted(result.assignment["case_id"].to_numpy()),
            index.auditor_ids.searchsorted(result.assignment["auditor_id"].to_numpy()),
            index.n_auditors,
        )
        # The core's own start (every pair of small tie-break) plus its plan: the flow
        # the core cannot do without.
        start = space.ties_below(space.tie_floor(SolveOptions().small_ties_per_task))
        keys = np.unique(np.concatenate([keys, start, space.must_include()]))
        task, agent = np.divmod(keys, index.n_auditors)
        cost = space.cost(task, agent)
        baseline = f"{len(keys)} pairs only (all {space.count} do not fit in memory)"
    flow_only = []
    for _ in range(runs):
        started = time.perf_counter()
        solve_flow(assignment.capacities, task, agent, cost)
        flow_only.append(time.perf_counter() - started)
    return {
        "cases": index.n_cases,
        "auditors": index.n_auditors,
        "pairs": space.count,
        "stage": statistics.median(stage),
        "flow": statistics.median(flow_only),
        "baseline": baseline,
        "status": "/".join(sorted(statuses)),
        "solve_timings": result.timings,
    }


def with_exemptions(data_dir: Path, previous: Path, later: Path, exemptions: int) -> None:
    """A copy of the data where the auditors of the first ``exemptions`` audits (by id)
    of the plan in ``previous`` are exempted from them, approved as §4 requires."""
    first = pd.read_parquet(previous / "allocations.parquet")
    staff = pd.read_parquet(data_dir / "staff.parquet")
    approver = {
        "csc": staff.loc[staff["role"] == "assistant_director", "staff_id"].min(),
        "pq": staff.loc[staff["role"] == "strategic_lead_ipq", "staff_id"].min(),
    }
    group = dict(zip(staff["staff_id"], staff["staff_group"], strict=True))
    chosen = first.sort_values("audit_id").head(exemptions)
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
    shutil.copytree(data_dir, later, dirs_exist_ok=True)
    existing = pd.read_parquet(later / "exemptions.parquet")
    keys = set(zip(extra["case_id"], extra["auditor_id"], strict=True))
    kept = [
        (c, a) not in keys for c, a in zip(existing["case_id"], existing["auditor_id"], strict=True)
    ]
    write_input_tables(later, {"exemptions": pd.concat([existing[kept], extra])}, "parquet")


def reallocation_figures(
    data_dir: Path, work: Path, exemptions: int, imports: float = 0.0
) -> dict[str, object]:
    """A whole `caseaudit reallocate` process after ``exemptions`` honoured exemptions on
    the month's plan (written by the allocate runs of :func:`process_figures`): wall
    time, peak memory, the stages' timings, freed against changed audits."""
    previous = work / "out-process"
    later = work / f"later-{exemptions}"
    with_exemptions(data_dir, previous, later, exemptions)
    out, report = work / f"out-realloc-{exemptions}", work / "measure-realloc.json"
    command = [sys.executable, str(MEASURE), str(report), "reallocate", str(later)]
    command += ["--month", DEFAULT_MONTH, "--previous", str(previous), "--out", str(out)]
    wall = timed([*command, "--force"])
    measured = json.loads(report.read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    solver, counts, timings = manifest["solver"], manifest["counts"], manifest["timings_s"]
    return {
        "exemptions": exemptions,
        "process_s": wall,
        "split": stage_split(manifest, wall, imports),
        "pricing_rounds": solver["pairs"].get("pricing_rounds", 0),
        "peak_mib": measured["peak_mib"],
        "exit": measured["exit"],
        "problem_s": timings.get("problem_s", 0.0),
        "stage": timings.get("solve_s", 0.0),
        "flow": timings.get("flow_s", 0.0),
        "stages": solver["pairs"].get("stages", 1),
        "freed": counts["must_move"],
        "changed": counts["moved"],
        "unallocated": counts["unallocated"],
        "status": solver["status"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["median", "largest", "region"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    parser.add_argument(
        "--data", type=Path, default=None, help="A generated folder of the (one) preset to reuse."
    )
    args = parser.parse_args()
    figures: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.presets:
            work = Path(tmp) / preset
            data_dir = work / "data"
            if args.data is not None:
                shutil.copytree(args.data, data_dir)
            else:
                write_input_tables(data_dir, generate_tables(preset, 0), "parquet")
            runs = 1 if preset == "national" else args.runs
            # The baseline first, in the same run: reading and checking alone.
            baseline = validate_figures(data_dir)
            row: dict[str, object] = process_figures(data_dir, runs)
            row["validate"] = baseline
            row.update(solve_times(data_dir, runs))
            # A re-plan after 5 honoured exemptions, and after 500 at national (issue 23).
            imports = float(row["imports_s"])  # type: ignore[arg-type]
            row["reallocate"] = [
                reallocation_figures(data_dir, work, count, imports)
                for count in ((5, 500) if preset == "national" else (5,))
            ]
            figures[preset] = row
            print_row(preset, row, runs)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")


def print_row(preset: str, row: dict[str, object], runs: int) -> None:
    stats = row["pair_stats"]
    timings = row["solve_timings"]
    assert isinstance(stats, dict) and isinstance(timings, dict)
    stage, flow = float(row["stage"]), float(row["flow"])  # type: ignore[arg-type]
    print(
        f"{preset:9s} cases {row['cases']:>6} auditors {row['auditors']:>6} allowed pairs "
        f"{row['pairs']:>11,} (medians of {runs})\n"
        f"  allocate process  {row['process_s']:8.3f} s  peak {row['process_peak_mib']:7.0f} MiB"
        f"   (imports alone {row['imports_s']:.3f} s) {row['proof_status']}: {row['proof']};"
        f" optimum unique: {row['unique']}\n"
        f"  solve stage       {stage:8.3f} s   (min-cost flow alone on {row['baseline']} "
        f"{flow:.4f} s, ratio {stage / max(flow, 1e-9):.1f}x) {row['status']}\n"
        f"  pairs             built {stats.get('candidate_pairs')} (ties below "
        f"{stats.get('tie_floor', '-')}: {stats.get('initial_pairs', '-')}, one pass "
        f"{timings.get('small_ties_s', 0):.3f} s), priced in "
        f"{stats.get('priced_in_pairs', 0)} over {stats.get('pricing_rounds', 0)} rounds; "
        f"potentials {timings.get('potentials_s', 0):.3f} s "
        f"({stats.get('potential_rounds_max', '-')} Bellman-Ford rounds at most); "
        f"pricing {timings.get('pricing_s', 0):.3f} s; left to CP-SAT 0 (no side constraint)",
        flush=True,
    )
    replans = row.get("reallocate", [])
    assert isinstance(replans, list)
    for re in replans:
        print(
            f"  reallocate {re['exemptions']:>3} ex. process {re['process_s']:8.3f} s  peak "
            f"{re['peak_mib']:7.0f} MiB  (read+build {re['problem_s']:.3f} s, solve "
            f"{re['stage']:.3f} s in {re['stages']} stage(s), {re['pricing_rounds']} pricing "
            f"rounds, flows {re['flow']:.3f} s) freed {re['freed']}, changed {re['changed']}, "
            f"unallocated {re['unallocated']}, {re['status']} (exit {re['exit']})",
            flush=True,
        )
    baseline = row["validate"]
    assert isinstance(baseline, dict)
    print(
        f"  baseline: caseaudit validate --month, same folder, same run "
        f"{baseline['process_s']:8.3f} s  peak {baseline['peak_mib']:7.0f} MiB",
        flush=True,
    )
    runs_split = [("allocate", row["process_s"], row["split"])]
    runs_split += [
        (f"reallocate {re['exemptions']}", re["process_s"], re["split"]) for re in replans
    ]
    for name, wall, split in runs_split:
        assert isinstance(split, dict)
        ratio = float(wall) / max(float(baseline["process_s"]), 1e-9)  # type: ignore[arg-type]
        slowest = max(split, key=split.get)
        parts = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in split.items())
        print(
            f"  {name:16s} {float(wall):8.3f} s = {ratio:.1f}x validate; stages (s): {parts};"
            f" most: {slowest}",
            flush=True,
        )


if __name__ == "__main__":
    main()
