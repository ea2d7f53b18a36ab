"""Every command at national scale, issue 23's table: `python benchmarks/national.py`.

One national preset (seed 0, month 2026-03, Parquet), then each command as P&Q run it,
a whole process each (interpreter start and imports included; `benchmarks/measure.py`),
printed beside the baseline of the same run: `caseaudit validate` of the same folder
(reading and checking the same inputs, issue 23), with the peak resident memory of each
process and the seconds of each stage (start, reading, checking, building, solving,
reasons, writing: the stages the progress lines name, issue 24). A figure over its
target is marked, with the stage that took the most time.

    python benchmarks/national.py                 # every command once
    python benchmarks/national.py --runs 3        # medians of 3
    python benchmarks/national.py --data DIR      # a national folder generated earlier
    python benchmarks/national.py --only validate allocate report

The load average is printed at the start and the end: these machines are shared, read
the ratios to the baseline as well as the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from caseaudit.io.tables import write_input_tables
from caseaudit.synth import DEFAULT_MONTH
from caseaudit.synth.undrawn import without_month

# benchmarks/ is the script's folder, first on the path: its siblings import as modules.
from moderation import top_up_challenges
from run import with_exemptions

MEASURE = Path(__file__).with_name("measure.py")
AS_OF = "2026-02-28"
YEAR = "2026"
GIB = 1024


@dataclass
class Command:
    """One row of the table: a command line (built once its inputs exist) and its targets."""

    name: str
    target_s: float
    arguments: Callable[[Path], list[str]]
    target_mib: float = 1.5 * GIB
    prepare: Callable[[Path], None] | None = None
    note: Callable[[Path], str] | None = None
    figures: list[dict[str, object]] = field(default_factory=list)


def measured(work: Path, arguments: list[str]) -> dict[str, object]:
    """One whole process: wall seconds, exit, peak MiB, stage seconds."""
    report = work / "measure.json"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(MEASURE), str(report), *arguments],
        cwd=work,
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "1"},
    )
    wall = time.perf_counter() - started
    figures = json.loads(report.read_text())
    figures["wall_s"] = wall
    if figures["exit"] not in (0, 3):
        raise SystemExit(
            f"caseaudit {' '.join(arguments)} exited {figures['exit']}:\n{done.stderr}"
        )
    return figures


#: A pair's and a case's question asked of the month's plan, as P&Q ask it once allocate has
#: run (`--previous`); the month's question is asked without a plan.
EXPLAIN_PLAN = ["explain", "data", "--month", DEFAULT_MONTH, "--json", "--previous", "allocate"]


def plan_rows(work: Path) -> pd.DataFrame:
    return pd.read_parquet(work / "allocate" / "allocations.parquet")


def explain_pair(work: Path) -> list[str]:
    plan = plan_rows(work)
    pair = ["--case", str(plan["case_id"].iloc[1]), "--auditor", str(plan["auditor_id"].iloc[0])]
    return [*EXPLAIN_PLAN, *pair]


def explain_case(work: Path) -> list[str]:
    case = str(plan_rows(work)["case_id"].iloc[0])
    return [*EXPLAIN_PLAN, "--case", case]


def exempted(count: int) -> Callable[[Path], None]:
    def prepare(work: Path) -> None:
        target = work / f"data-exempted-{count}"
        if not target.exists():
            with_exemptions(work / "data", work / "allocate", target, count)

    return prepare


def reallocate(count: int) -> Callable[[Path], list[str]]:
    def arguments(work: Path) -> list[str]:
        data = f"data-exempted-{count}"
        out = f"reallocate-{count}"
        return [
            "reallocate",
            data,
            "--month",
            DEFAULT_MONTH,
            "--previous",
            "allocate",
            "--out",
            out,
        ]

    return arguments


def replan_note(count: int) -> Callable[[Path], str]:
    def note(work: Path) -> str:
        manifest = json.loads((work / f"reallocate-{count}" / "manifest.json").read_text())
        counts, solver = manifest["counts"], manifest["solver"]
        return (
            f"{solver['status']}, freed {counts['must_move']}, changed {counts['moved']}, "
            f"unallocated {counts['unallocated']}"
        )

    return note


def challenged(work: Path) -> None:
    """A copy of the data with 2,000 challenged audits waiting for a moderator."""
    target = work / "data-challenged"
    if target.exists():
        return
    shutil.copytree(work / "data", target)
    tables = {"history": pd.read_parquet(target / "history.parquet")}
    for name in ("cases", "challenges", "moderations"):
        tables[name] = pd.read_parquet(target / f"{name}.parquet")
    # The ledger's dates as the reader gives them (date objects), for the top-up's sums.
    for name, column in (("challenges", "raised_on"),):
        tables[name][column] = pd.to_datetime(tables[name][column]).dt.date
    top_up_challenges(tables, 2000, AS_OF)
    write_input_tables(target, {"challenges": tables["challenges"]}, "parquet")


def undrawn(work: Path) -> None:
    """A copy of the data before the month's sample is drawn (as benchmarks/sample.py)."""
    target = work / "data-undrawn"
    if target.exists():
        return
    shutil.copytree(work / "data", target)
    names = ("cases", "exemptions", "conflicts", "history", "caseload")
    tables = {name: pd.read_parquet(target / f"{name}.parquet") for name in names}
    changed = without_month(tables, DEFAULT_MONTH)
    write_input_tables(
        target, {n: changed[n] for n in ("cases", "exemptions", "conflicts")}, "parquet"
    )


def notify_arguments(work: Path) -> list[str]:
    """The distribution day of the month's plan: every allocation's notices are due."""
    as_of = str(plan_rows(work)["distributed_on"].iloc[0])
    return ["notify", "data", "--as-of", as_of, "--plan", "allocate", "--out", "notify"]


def notify_note(work: Path) -> str:
    counts = json.loads((work / "notify" / "manifest.json").read_text())["counts"]
    return f"{counts['notices']} notices"


def solver_note(folder: str) -> Callable[[Path], str]:
    def note(work: Path) -> str:
        manifest = json.loads((work / folder / "manifest.json").read_text())
        solver = manifest.get("solver", {})
        return str(solver.get("status", "")) if isinstance(solver, dict) else ""

    return note


def report_note(work: Path) -> str:
    size = (work / "report" / "report.html").stat().st_size
    return f"report.html {size / 1e6:.1f} MB (target ≤ 5 MB)"


def commands() -> list[Command]:
    month = ["--month", DEFAULT_MONTH]
    return [
        Command("validate", 3, lambda w: ["validate", "data"]),
        Command(
            "allocate",
            6,
            lambda w: ["allocate", "data", *month, "--out", "allocate"],
            note=solver_note("allocate"),
        ),
        Command(
            "reallocate, 5 exemptions", 6, reallocate(5), prepare=exempted(5), note=replan_note(5)
        ),
        Command(
            "reallocate, 500 exemptions",
            6,
            reallocate(500),
            prepare=exempted(500),
            note=replan_note(500),
        ),
        Command(
            "moderate, 2,000 challenges",
            5,
            lambda w: ["moderate", "data-challenged", "--as-of", AS_OF, "--out", "moderate"],
            prepare=challenged,
        ),
        Command(
            "plan-breaks",
            5,
            lambda w: ["plan-breaks", "data", "--year", YEAR, "--out", "plan-breaks"],
            note=solver_note("plan-breaks"),
        ),
        Command(
            "report",
            6,
            lambda w: ["report", "data", "--as-of", AS_OF, "--out", "report"],
            note=report_note,
        ),
        Command("explain a pair", 4, explain_pair),
        Command("explain a case", 4, explain_case),
        Command("explain the month", 8, lambda w: ["explain", "data", *month, "--json"]),
        Command(
            "draw-sample (issue 21)",
            10,
            lambda w: ["draw-sample", "data-undrawn", *month, "--out", "sample"],
            target_mib=2 * GIB,
            prepare=undrawn,
        ),
        Command("notify (issue 22)", 10, notify_arguments, note=notify_note),
    ]


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--data", type=Path, help="a national folder generated earlier")
    parser.add_argument("--only", nargs="+", help="these commands only (by first word)")
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    rows: list[tuple[str, float, float, float, float, dict[str, object], str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generate = ["generate", "--preset", "national", "--seed", "0", "--format", "parquet"]
        walls, peaks = [], []
        for run in range(args.runs if args.data is None else 0):
            figures = measured(work, [*generate, "--out", "data", *(["--force"] if run else [])])
            walls.append(float(figures["wall_s"]))  # type: ignore[arg-type]
            peaks.append(float(figures["peak_mib"]))  # type: ignore[arg-type]
        if args.data is not None:
            shutil.copytree(args.data, work / "data")
        baseline_walls = []
        for _ in range(args.runs):
            baseline_walls.append(float(measured(work, ["validate", "data"])["wall_s"]))  # type: ignore[arg-type]
        baseline = statistics.median(baseline_walls)
        if walls:
            rows.append(("generate", 10, statistics.median(walls), max(peaks), 1.5 * GIB, {}, ""))
        for command in commands():
            if (
                args.only
                and command.name.split()[0] not in args.only
                and command.name != "allocate"
            ):
                continue
            if command.prepare is not None:
                command.prepare(work)
            runs = [measured(work, command.arguments(work)) for _ in range(args.runs)]
            wall = statistics.median(float(r["wall_s"]) for r in runs)  # type: ignore[arg-type]
            peak = max(float(r["peak_mib"]) for r in runs)  # type: ignore[arg-type]
            stages = runs[len(runs) // 2]["stages_s"]
            assert isinstance(stages, dict)
            note = command.note(work) if command.note is not None else ""
            rows.append(
                (command.name, command.target_s, wall, peak, command.target_mib, stages, note)
            )
    print(f"load average at end: {load_average()}")
    print(
        f"\nnational (seed 0, {DEFAULT_MONTH}, Parquet), whole process, median of {args.runs}; "
        f"baseline `caseaudit validate` of the same folder: {baseline:.2f} s\n"
    )
    print("| command | target | whole process | × validate | peak memory | met | stages (s) | |")
    print("|---|---|---|---|---|---|---|---|")
    for name, target, wall, peak, target_mib, stages, note in rows:
        met = wall <= target and peak <= target_mib
        split = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in stages.items())
        slowest = max(stages, key=lambda s: stages[s]) if stages else ""
        verdict = "yes" if met else f"**no** ({slowest} took the most)" if slowest else "**no**"
        print(
            f"| {name} | ≤ {target:g} s, ≤ {target_mib / GIB:.1f} GiB | {wall:.2f} s | "
            f"{wall / baseline:.2f} | {peak:,.0f} MiB | {verdict} | {split} | {note} |"
        )


if __name__ == "__main__":
    main()
