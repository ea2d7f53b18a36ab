"""Many what-ifs at once: ``sweep(dataset, scenarios, executor=None)`` (issue 12).

A scenario is a picklable description: a name, the changes to make to the dataset
(caseaudit's own changes below, or any function ``Dataset -> Dataset`` defined at the
top level of an importable module), the month, and how many months to run (one month
is ``allocate``; more is ``simulate_year``). Each scenario runs on the executor given:
a local process pool by default, or a ``dask.distributed`` client's executor
(``client.get_executor()``, the ``caseaudit[cluster]`` extra) to use a cluster.

The answer does not depend on the executor nor on the number of workers: every
scenario's run is deterministic (its seed is part of it), results are collected by
scenario rather than by completion, rows are sorted by scenario name, and every
fraction is rounded to six decimals.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caseaudit.api import AllocationResult, allocate
from caseaudit.model.calendar import add_months, last_day
from caseaudit.model.dataset import LINE, Dataset
from caseaudit.plans.month.rules import CONFLICT_RULES
from caseaudit.whatif.simulate import YearSimulation, simulate_year

#: Decimals every fraction of the results is rounded to.
DECIMALS = 6

#: A change: a function from a dataset to the changed dataset (picklable).
Change = Callable[[Dataset], Dataset]


@dataclass(frozen=True)
class SetConfig:
    """Set one config key: ``SetConfig("policy", "max_break_fraction", "0.25")``."""

    section: str
    key: str
    value: object

    def __call__(self, data: Dataset) -> Dataset:
        return data.replace(config={self.section: {self.key: self.value}})


@dataclass(frozen=True)
class LoseStaff:
    """Staff leave before ``month``: those named, else the first ``count`` of ``role``
    by staff_id (all of them when ``count`` is None). Their ``active_to`` becomes the
    last day of the month before, so they are not eligible from ``month`` on (§2)."""

    month: str
    role: str | None = None
    count: int | None = None
    staff_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.staff_ids and self.role is None:
            raise ValueError("LoseStaff needs a role or staff_ids: who leaves?")

    def __call__(self, data: Dataset) -> Dataset:
        staff = data["staff"].drop(columns=[LINE])
        if self.staff_ids:
            leaving = staff["staff_id"].isin(self.staff_ids)
        else:
            chosen = staff.loc[staff["role"] == self.role, "staff_id"].sort_values()
            leaving = staff["staff_id"].isin(chosen.iloc[: self.count])
        left_on = last_day(add_months(self.month, -1))
        staff.loc[leaving, "active_to"] = left_on
        # Someone who was to start later never starts.
        starts_later = leaving & staff["active_from"].map(lambda d: d is not None and d > left_on)
        staff.loc[starts_later, "active_from"] = left_on
        return data.replace(staff=staff)


@dataclass(frozen=True)
class MergeTeams:
    """Two or more teams of one service become one, named ``into`` (default the first):
    staff, cases and the caseload alike, so the same-team conflict (§4) covers the merged
    team and every case still names a team of its service (contract §1)."""

    service: str
    teams: tuple[str, ...]
    into: str | None = None

    def __call__(self, data: Dataset) -> Dataset:
        name = self.into or self.teams[0]
        changed = {}
        for table in ("staff", "cases", "caseload"):
            frame = data[table].drop(columns=[LINE])
            merged = (frame["service"] == self.service) & frame["team"].isin(self.teams)
            frame.loc[merged, "team"] = name
            changed[table] = frame
        return data.replace(**changed)


@dataclass(frozen=True)
class WantMonthOff:
    """A share of the auditors eligible in ``month`` ask for it off, on time (the 1st of
    the month before), drawn with ``seed``; their earlier requests for it stay."""

    month: str
    share: float
    seed: int = 0

    def __call__(self, data: Dataset) -> Dataset:
        staff = data["staff"]
        first, last = dt.date.fromisoformat(f"{self.month}-01"), last_day(self.month)
        eligible = staff[
            (staff["is_auditor"] == True)  # noqa: E712
            & staff["active_from"].map(lambda d: d is None or d <= first)
            & staff["active_to"].map(lambda d: d is None or d >= last)
        ]["staff_id"].sort_values()
        breaks = data["breaks"].drop(columns=[LINE])
        asked = set(breaks.loc[breaks["month"] == self.month, "auditor_id"])
        wanting = round(self.share * len(eligible))
        rng = np.random.default_rng(self.seed)
        picked = eligible.iloc[np.sort(rng.choice(len(eligible), wanting, replace=False))]
        new = [a for a in picked if a not in asked]
        requested_on = dt.date.fromisoformat(f"{add_months(self.month, -1)}-01")
        rows = pd.DataFrame({"auditor_id": new, "month": self.month, "requested_on": requested_on})
        return data.replace(breaks=pd.concat([breaks, rows], ignore_index=True))


@dataclass(frozen=True)
class Scenario:
    """One what-if: ``changes`` applied in order to the dataset, then ``months`` months
    from ``month`` (default: the latest month of the dataset's cases) run with ``seed``.

    With ``months=1`` the month is allocated as the dataset says; with more, the year
    is simulated (``simulate_year``, breaks planned, ``judgements`` and
    ``challenge_rate`` as given there)."""

    name: str
    changes: tuple[Change, ...] = ()
    month: str | None = None
    months: int = 1
    seed: int = 0
    judgements: tuple[tuple[str, float], ...] | None = None
    challenge_rate: float = 0.05


#: The columns of ``sweep``'s answer, in order.
FIGURES = (
    "scenario",
    "month",
    "months",
    "cases",
    "allocated",
    "unallocated",
    "coverage",
    "reaudits_allocated",
    "eligible_auditors_min",
    "breaks_requested",
    "breaks_granted",
    "breaks_refused",
    "break_cap_min",
    "conflict_pairs_max",
    "max_audits_this_year",
    "audits_this_year_spread",
    "solve_status",
)


def sweep(
    dataset: Dataset, scenarios: Iterable[Scenario], executor: Executor | None = None
) -> pd.DataFrame:
    """Run every scenario and return one row of key figures each, sorted by name.

    The figures, over the months run: cases needing an auditor, allocated, unallocated,
    coverage (allocated share), re-audits allocated, the fewest eligible auditors in a
    month, break requests, granted and refused at the cap, the lowest monthly cap, the
    most (case, auditor) pairs a conflict of interest forbade in a month, and at the
    end the most audits of one auditor this audit year and the standard deviation of
    the eligible auditors' audits this year (fairness: lower is fairer); the solve
    status is ``optimal`` when every month's solve was proven optimal.

    ``executor`` is any ``concurrent.futures.Executor``; by default a process pool
    (fresh processes: the changes must be importable) with one worker per scenario up
    to the number of CPUs. The rows do not depend on the executor or its workers.
    """
    chosen = list(scenarios)
    names = [scenario.name for scenario in chosen]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"scenario names must be unique: {', '.join(repeated)}")
    if not chosen:
        return pd.DataFrame(columns=list(FIGURES))
    if executor is None:
        workers = min(len(chosen), os.cpu_count() or 1)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            rows = _run_all(pool, dataset, chosen)
    else:
        rows = _run_all(executor, dataset, chosen)
    frame = pd.DataFrame(rows, columns=list(FIGURES))
    return frame.sort_values("scenario", ignore_index=True)


def _run_all(executor: Executor, dataset: Dataset, scenarios: Sequence[Scenario]) -> list[dict]:
    futures = [executor.submit(run_scenario, dataset, scenario) for scenario in scenarios]
    return [future.result() for future in futures]


def run_scenario(dataset: Dataset, scenario: Scenario) -> dict[str, object]:
    """One scenario's key figures (what a worker runs)."""
    data = dataset
    for change in scenario.changes:
        data = change(data)
    month = scenario.month or str(data["cases"]["month"].max())
    if scenario.months == 1:
        return _month_figures(scenario, allocate(data, month, seed=scenario.seed))
    judgements = dict(scenario.judgements) if scenario.judgements is not None else None
    year = simulate_year(
        data,
        month,
        months=scenario.months,
        judgements=judgements,
        seed=scenario.seed,
        challenge_rate=scenario.challenge_rate,
    )
    return _year_figures(scenario, year)


def _month_figures(scenario: Scenario, result: AllocationResult) -> dict[str, object]:
    problem = result.problem
    decisions = result.break_decisions["decision"].value_counts()
    auditors = problem.auditors[problem.auditors["eligible"]]
    allocated_now = result.allocations["auditor_id"].value_counts()
    this_year = auditors["year_count"] + auditors["staff_id"].map(allocated_now).fillna(0)
    conflicts = problem.conflicts[problem.conflicts["kind"].isin(CONFLICT_RULES)]
    cases = len(problem.cases)
    return _rounded(
        {
            "scenario": scenario.name,
            "month": problem.month,
            "months": 1,
            "cases": cases,
            "allocated": len(result.allocations),
            "unallocated": len(result.unallocated),
            "coverage": len(result.allocations) / cases if cases else 1.0,
            "reaudits_allocated": int(result.allocations["is_reaudit"].sum()),
            "eligible_auditors_min": problem.eligible_count,
            "breaks_requested": len(result.break_decisions),
            "breaks_granted": int(decisions.get("granted", 0)),
            "breaks_refused": int(decisions.get("refused_cap", 0)),
            "break_cap_min": problem.break_cap,
            "conflict_pairs_max": len(conflicts[["case_id", "auditor_id"]].drop_duplicates()),
            "max_audits_this_year": int(this_year.max()) if len(this_year) else 0,
            "audits_this_year_spread": float(this_year.std(ddof=0)) if len(this_year) else 0.0,
            "solve_status": result.solve.status,
        }
    )


def _year_figures(scenario: Scenario, year: YearSimulation) -> dict[str, object]:
    coverage, breaks = year.coverage, year.breaks
    last = year.audits_per_auditor[year.audits_per_auditor["month"] == year.months[-1]]
    cases = int(coverage["cases"].sum())
    allocated = int(coverage["allocated"].sum())
    statuses = set(coverage["solve_status"])
    return _rounded(
        {
            "scenario": scenario.name,
            "month": year.start_month,
            "months": len(year.months),
            "cases": cases,
            "allocated": allocated,
            "unallocated": int(coverage["unallocated"].sum()),
            "coverage": allocated / cases if cases else 1.0,
            "reaudits_allocated": int(coverage["reaudits_allocated"].sum()),
            "eligible_auditors_min": int(coverage["eligible_auditors"].min()),
            "breaks_requested": int(breaks["requests"].sum()),
            "breaks_granted": int(breaks["granted"].sum()),
            "breaks_refused": int(breaks["refused_cap"].sum()),
            "break_cap_min": int(breaks["cap"].min()),
            "conflict_pairs_max": int(coverage["conflict_pairs"].max()),
            "max_audits_this_year": int(last["audits_this_year"].max()) if len(last) else 0,
            "audits_this_year_spread": (
                float(last["audits_this_year"].std(ddof=0)) if len(last) else 0.0
            ),
            "solve_status": "optimal" if statuses == {"optimal"} else "feasible",
        }
    )


def _rounded(figures: dict[str, object]) -> dict[str, object]:
    """Fractions rounded, so that a last-bit difference never shows (or compares)."""
    return {k: round(v, DECIMALS) if isinstance(v, float) else v for k, v in figures.items()}
