"""What-if speed (issue 12): `python benchmarks/whatif.py`.

- ``simulate_year`` on the ``median`` preset (seed 0, April 2026 to March 2027, breaks
  planned, judgements drawn, re-audits and moderations): target at most 10 s.
- ``sweep`` of 40 scenarios on ``median`` (break caps 10%..30% x 0..3 P&Q officers
  lost x two Safeguarding teams merged or not, one month each) on a process pool of
  1 and of 2 workers, pool start-up included, the best of two runs each (alternated,
  so that a burst of other work on the machine hits both): target at most 30 s with 2
  workers; the speed-up over 1 worker is printed, and the answers must be identical.

Peak memory: this process's peak resident set (the simulation runs here), and the
largest worker's (``resource.getrusage`` of the children).
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

import caseaudit
from caseaudit import LoseStaff, MergeTeams, Scenario, SetConfig

MONTH = "2026-04"
YEAR_TARGET_S = 10.0
SWEEP_TARGET_S = 30.0


def scenarios(data: caseaudit.Dataset) -> list[Scenario]:
    cases = data["cases"]
    teams = tuple(
        cases.loc[cases["service"] == "Safeguarding", "team"].value_counts().index[:2].tolist()
    )
    found = []
    for cap in ("0.10", "0.15", "0.20", "0.25", "0.30"):
        for lost in range(4):
            for merged in (False, True):
                changes: list = [SetConfig("policy", "max_break_fraction", cap)]
                if lost:
                    changes.append(LoseStaff(MONTH, role="pq_officer", count=lost))
                if merged:
                    changes.append(MergeTeams("Safeguarding", teams))
                name = f"cap {cap}, {lost} officers lost{', merged' if merged else ''}"
                found.append(Scenario(name, tuple(changes), month=MONTH))
    return found


def peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def timed_sweep(data: caseaudit.Dataset, chosen: list[Scenario], workers: int) -> tuple:
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        answer = caseaudit.sweep(data, chosen, executor=pool)
    return answer, time.perf_counter() - started


def main() -> None:
    data = caseaudit.generate("median", seed=0, month=MONTH)
    started = time.perf_counter()
    year = caseaudit.simulate_year(data, MONTH, months=12, seed=0)
    year_s = time.perf_counter() - started
    print(f"simulate_year median {MONTH} x 12: {year_s:.1f} s (target <= {YEAR_TARGET_S:.0f} s)")
    print(f"  {year.summary()}")
    print(f"  peak memory of this process: {peak_mib(resource.RUSAGE_SELF):.0f} MiB")

    chosen = scenarios(data)
    runs = [timed_sweep(data, chosen, workers) for _ in range(2) for workers in (1, 2)]
    one, two = runs[0][0], runs[1][0]
    one_s = min(runs[0][1], runs[2][1])
    two_s = min(runs[1][1], runs[3][1])
    identical = all(answer.equals(one) for answer, _ in runs)
    print(f"sweep median, {len(chosen)} scenarios of one month each:")
    print(f"  1 worker:  {one_s:.1f} s (best of 2)")
    print(f"  2 workers: {two_s:.1f} s (best of 2; target <= {SWEEP_TARGET_S:.0f} s)")
    print(f"  speed-up:  {one_s / two_s:.2f}x; identical answers: {identical}")
    print(f"  peak memory of the largest worker: {peak_mib(resource.RUSAGE_CHILDREN):.0f} MiB")
    covered = pd.Series(two["coverage"].to_numpy(), index=two["scenario"])
    print(f"  coverage from {covered.min():.1%} ({covered.idxmin()}) to {covered.max():.1%}")
    if not identical:
        raise SystemExit("the sweep's answer depends on the number of workers")


if __name__ == "__main__":
    main()
