"""The Python API used by the command line and by analysts' notebooks.

>>> from caseaudit import load, allocate
>>> data = load("data/")                      # read + validate, InputError if bad
>>> result = allocate(data, "2026-03")         # solve the month
>>> result.allocations.head()                  # pandas DataFrames
>>> result.write("out/", force=True)           # the hand-off files
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from caseaudit.io.previous import PreviousPlan, read_previous_plan
from caseaudit.io.reader import load_dataset
from caseaudit.model.calendar import WorkingCalendar, last_day
from caseaudit.model.config import OutputConfig
from caseaudit.model.dataset import LINE, Dataset, dataset_from_tables
from caseaudit.model.errors import InputError, InputIssue, IssueCollector, plural
from caseaudit.model.exemptions import exemption_decisions
from caseaudit.model.record import recorded_history
from caseaudit.model.validate import validate_dataset
from caseaudit.plans.break_year.adapter import YearSolution, solve_year
from caseaudit.plans.break_year.problem import BreakYear, build_break_year
from caseaudit.plans.break_year.tables import (
    SOURCES,
    merged_breaks,
    plan_tables,
    service_columns,
)
from caseaudit.plans.moderation.adapter import ModerationSolution, solve_moderation
from caseaudit.plans.moderation.problem import (
    ModerationProblem,
    build_moderation_problem,
    moderation_notifications,
    moderation_table,
    unmoderated_table,
)
from caseaudit.plans.month.adapter import MonthSolution, solve_month
from caseaudit.plans.month.problem import MonthProblem, build_problem
from caseaudit.plans.month.reallocation import changes_table, why_previous_pair_failed
from caseaudit.plans.month.tables import (
    allocations_table,
    exemption_decisions_table,
    unallocated_table,
)
from caseaudit.provenance import input_hashes
from caseaudit.results import Result, manifest_header
from caseaudit.solver import SolveOptions

#: Told the name of each stage as it starts (``caseaudit.cli.progress`` shows them).
Stage = Callable[[str], None]


def _silent(_stage: str) -> None:
    """No progress: the default of every ``progress`` parameter."""


class _StageClock:
    """Passes each stage on to ``tell`` and times it until the next one starts: the
    manifest's ``<stage>_s`` timings (issue 23: which stage took the time)."""

    def __init__(self, tell: Stage) -> None:
        self.tell = tell
        self.marks: list[tuple[str, float]] = []

    def __call__(self, stage: str) -> None:
        self.marks.append((stage, time.perf_counter()))
        self.tell(stage)

    def seconds(self) -> dict[str, float]:
        ends = [at for _, at in self.marks[1:]] + [time.perf_counter()]
        spent: dict[str, float] = {}
        for (stage, at), end in zip(self.marks, ends, strict=True):
            spent[f"{stage}_s"] = spent.get(f"{stage}_s", 0.0) + end - at
        return spent


if TYPE_CHECKING:
    from caseaudit.explaining.explainer import (
        Explanation as Explanation,  # caseaudit explain, issue 11
    )
    from caseaudit.explaining.explainer import explain as explain
    from caseaudit.plans.notices import NoticesResult as NoticesResult  # issue 22
    from caseaudit.plans.sample import SampleResult  # draw-sample, issue 21
    from caseaudit.reporting.command import (
        ReportResult as ReportResult,  # the report, issue 10
    )
    from caseaudit.reporting.command import report as report

#: Re-exported on first use, so that a command imports only what it runs (allocate
#: needs no explain, explain no report); names that are also a submodule's stay eager.
LAZY_EXPORTS = {
    "Explanation": "caseaudit.explaining.explainer",
    "explain": "caseaudit.explaining.explainer",
    "ReportResult": "caseaudit.reporting.command",
    "report": "caseaudit.reporting.command",
    "NoticesResult": "caseaudit.plans.notices",
}


def __getattr__(name: str) -> object:
    if name in LAZY_EXPORTS:
        return getattr(import_module(LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(data_dir: Path | str, month: str | None = None, progress: Stage | None = None) -> Dataset:
    """Read every table and check every rule; raises ``InputError`` with all problems,
    cell errors and cross-table errors of every file together. ``progress`` is told
    each stage as it starts (issue 24: the command line shows them on a terminal)."""
    return load_dataset(data_dir, month, stacklevel=3, progress=progress)


def generate(preset: str = "median", seed: int = 0, month: str | None = None) -> Dataset:
    """A synthetic authority built in memory, validated like a data directory: the same
    tables ``caseaudit generate --preset PRESET --seed SEED --month MONTH`` writes
    (presets small, median, largest, region, national; month default 2026-03)."""
    from caseaudit.synth import generate_tables

    return dataset_from_tables(generate_tables(preset, seed, month), label=f"{{name}} ({preset})")


@dataclass(frozen=True)
class AllocationResult(Result):
    """A solved month: the problem, the solve and the output tables."""

    problem: MonthProblem
    solve: MonthSolution
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, object] = field(default_factory=dict)

    @property
    def allocations(self) -> pd.DataFrame:
        return self.tables["allocations"]

    @property
    def unallocated(self) -> pd.DataFrame:
        return self.tables["unallocated"]

    @property
    def break_decisions(self) -> pd.DataFrame:
        return self.tables["break_decisions"]

    @property
    def notifications(self) -> pd.DataFrame:
        return self.tables["notifications"]

    @property
    def reaudit_schedule(self) -> pd.DataFrame:
        return self.tables["reaudit_schedule"]

    @property
    def changes(self) -> pd.DataFrame:
        """Reallocation only: what moved, was added or dropped, and why."""
        return self.tables["changes"]

    @property
    def exemption_decisions(self) -> pd.DataFrame:
        """Every exemption of the month, honoured or not, and what it means for this plan."""
        return self.tables["exemption_decisions"]

    @property
    def complete(self) -> bool:
        """Every case has an auditor."""
        return self.unallocated.empty

    @property
    def fully_allocated(self) -> bool:
        """``complete``, by its older name."""
        return self.complete

    @property
    def incomplete_notice(self) -> str:
        return f"{plural(len(self.unallocated), 'case')} unallocated: see unallocated.csv"

    @property
    def output_config(self) -> OutputConfig:
        return self.problem.config.output

    def summary(self) -> str:
        decisions = self.break_decisions["decision"].value_counts()
        reaudits = int(self.allocations["is_reaudit"].sum()) if len(self.allocations) else 0
        counts = self.manifest.get("counts", {})
        assert isinstance(counts, dict)
        sample = ""
        if counts.get("sample_cases") == 0:
            added = plural(int(counts.get("reaudits_added", 0)), "due re-audit")
            sample = f"the month's sample is empty, {added} added; "
        return (
            f"{self.problem.month}: {sample}{len(self.allocations)} allocated, "
            f"{len(self.unallocated)} unallocated; breaks {int(decisions.get('granted', 0))} "
            f"granted, {int(decisions.get('refused_cap', 0))} refused (cap "
            f"{self.problem.break_cap}), {int(decisions.get('not_required', 0))} not required; "
            f"{plural(reaudits, 're-audit')} allocated; solve {self.solve.status}"
        )


def allocate(
    data: Dataset | Path | str,
    month: str,
    seed: int | None = None,
    time_limit_s: float | None = None,
    command: str | None = None,
    progress: Stage | None = None,
) -> AllocationResult:
    """Allocate the month's cases (contract §4–5). ``data`` may be a directory path;
    ``progress`` is told each stage as it starts (issue 24)."""
    tell = _StageClock(progress or _silent)
    started = time.perf_counter()
    dataset = data if isinstance(data, Dataset) else load(data, month, tell)
    # A dataset loaded here was checked with the month's rules already; one given by the
    # caller is checked again, as it may have been loaded for another month.
    tell("building")
    problem = build_problem(dataset, month, validate=isinstance(data, Dataset))
    timings = {"problem_s": time.perf_counter() - started}
    tell("solving")
    solved, assignment, run_seed = _solve_month(dataset, problem, None, seed, time_limit_s)
    tell("reasons")
    tables = _month_tables(problem, assignment)
    tables["allocations"] = with_sample_columns(dataset, month, tables["allocations"])
    timings.update(solved.timings, **tell.seconds(), total_s=time.perf_counter() - started)
    manifest = build_manifest(dataset, problem, solved, tables, run_seed, command, timings)
    return AllocationResult(problem, solved, tables, manifest)


#: The sample's columns that ``cases`` may carry and ``allocations`` passes on (issue 21).
SAMPLE_COLUMNS = ("stratum", "inclusion_probability")


def with_sample_columns(data: Dataset, month: str, allocations: pd.DataFrame) -> pd.DataFrame:
    """Contract §6: when the month's ``cases`` carry the drawn sample's ``stratum`` and
    ``inclusion_probability``, ``allocations`` gets them as extra columns (empty for a
    due re-audit added by ``allocate``); without them, ``allocations`` is unchanged."""
    cases = data["cases"]
    this_month = cases[cases["month"] == month]
    present = [c for c in SAMPLE_COLUMNS if c in this_month and this_month[c].notna().any()]
    if not present:
        return allocations
    by_case = this_month.drop_duplicates("case_id").set_index("case_id")
    extra = allocations.copy()
    for column in SAMPLE_COLUMNS:
        values = extra["case_id"].map(by_case[column]) if column in present else None
        extra[column] = (
            pd.Series([None] * len(extra), dtype=object)
            if values is None
            else values.astype(object).where(values.notna(), None)
        )
    extra["inclusion_probability"] = [
        None if v is None else float(v) for v in extra["inclusion_probability"]
    ]
    return extra


def draw_sample(
    data: Dataset | Path | str,
    month: str,
    seed: int | None = None,
    size: int | None = None,
    command: str | None = None,
    progress: Stage | None = None,
) -> SampleResult:
    """Draw the month's stratified sample from ``caseload`` (issue 21, contract §6):
    ``result.sample`` is ready to append to cases.csv. ``data`` may be a directory;
    ``progress`` is told each stage as it starts (issue 24)."""
    from caseaudit.plans.sample import draw_sample as draw

    tell = progress or _silent
    dataset = data if isinstance(data, Dataset) else load(data, progress=tell)
    tell("drawing")
    return draw(dataset, month, seed, size, command, validate=isinstance(data, Dataset))


def _solve_month(
    dataset: Dataset,
    problem: MonthProblem,
    previous_plan: pd.DataFrame | None,
    seed: int | None,
    time_limit_s: float | None,
) -> tuple[MonthSolution, pd.DataFrame, int]:
    """Solve the month: the chosen (case_id, auditor_id) rows and the seed used."""
    settings = dataset.config.solver
    run_seed = settings.seed if seed is None else seed
    solved = solve_month(problem, dataset.config, run_seed, time_limit_s, previous_plan)
    return solved, solved.assignment, run_seed


def _month_tables(
    problem: MonthProblem,
    assignment: pd.DataFrame,
    unallocated: pd.DataFrame | None = None,
    audit_ids: dict[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The output tables every run writes (contract §5), plus exemption decisions, each
    built after the solve so that its reasons describe this plan."""
    return {
        "allocations": allocations_table(problem, assignment, audit_ids),
        "unallocated": (
            unallocated if unallocated is not None else unallocated_table(problem, assignment)
        ),
        "break_decisions": problem.break_decisions,
        "notifications": problem.notifications,
        "reaudit_schedule": problem.reaudit_schedule,
        "exemption_decisions": exemption_decisions_table(problem, assignment),
    }


def dataset_candidate_limit(data: Dataset) -> int:
    """The explicit ``[solver] max_candidates_per_case`` (0: none, every pair proven)."""
    return data.config.solver.max_candidates_per_case


def build_manifest(
    data: Dataset,
    problem: MonthProblem,
    solved: MonthSolution,
    tables: dict[str, pd.DataFrame],
    seed: int,
    command: str | None,
    timings: dict[str, float],
) -> dict[str, object]:
    """What was run on what, and how sure the result is (contract §5)."""
    # The month's sample as P&Q sent it; the other cases are due re-audits added (§25).
    sample_cases = int((data["cases"]["month"] == problem.month).sum())
    return {
        **manifest_header(command, "allocate"),
        "month": problem.month,
        "seed": seed,
        "inputs_sha256": input_hashes(data),
        "config": data.config.as_dict(),
        "solver": {
            "status": solved.status,
            "proof": solved.proof,
            "optimum_unique": solved.unique,
            "objective": solved.objective,
            "bound": solved.bound,
            "flow_objective": solved.flow_objective,
            "tier_weights": solved.tier_weights,
            "cost_parts": solved.cost_parts,
            "search_cut_short": solved.status != "optimal",
            "pairs": solved.stats,
            "notes": list(solved.notes),
        },
        "counts": {
            "cases": len(problem.cases),
            "sample_cases": sample_cases,
            "reaudits_added": len(problem.cases) - sample_cases,
            "eligible_auditors": problem.eligible_count,
            "eligible_pairs": solved.stats.get("allowed_pairs", 0),
            "candidate_limit": dataset_candidate_limit(data),
            "break_cap": problem.break_cap,
            **{name: len(frame) for name, frame in tables.items()},
        },
        "timings_s": {k: round(v, 4) for k, v in sorted(timings.items())},
    }


def without_recorded_plan(data: Dataset, previous: PreviousPlan) -> Dataset:
    """The ledger without the month's rows that ``record`` wrote from the previous plan
    (issue 20, contract §6): a re-plan of m reads a history that holds the earlier plan's
    own rows of m (its allocations, and rows an earlier re-plan marked reallocated).
    Any other row of m or later is left for the month's rules to refuse."""
    history = data["history"]
    plan = previous.allocations
    month = str(plan["month"].iloc[0]) if len(plan) else None
    if month is None or history.empty:
        return data
    own_ids = set(plan["audit_id"])
    cases = set(plan["case_id"])
    own = history["audit_id"].isin(own_ids) | (
        (history["month"] == month)
        & (history["status"] == "reallocated")
        & history["case_id"].isin(cases)
    )
    if not own.any():
        return data
    return data.replace(history=history[~own].drop(columns=LINE))


def _handed_out_when_decided(
    data: Dataset,
    problem: MonthProblem,
    allocations: pd.DataFrame,
    changes: pd.DataFrame,
    newly_granted: set[str],
) -> pd.DataFrame:
    """Every audit the re-plan moves or adds is handed out on one day: the first working
    day on or after the latest decision it acts on (an honoured exemption's
    ``decided_on``, a leaver's ``active_to`` + 1, a late break's ``requested_on``), never
    before the month's first working day (§1, issue 20, contract §6)."""
    month = problem.month
    decisions: list[dt.date] = []
    # Every honoured exemption of the month bars its auditor; a refused or pending one
    # frees nothing, so the re-plan does not act on it.
    verdicts = exemption_decisions(data, month)
    honoured = verdicts[verdicts["honoured"].astype(bool)]
    acted_on = set(zip(honoured["case_id"], honoured["auditor_id"], strict=True))
    exemptions = data["exemptions"]
    of_month = exemptions[exemptions["month"] == month]
    decisions += [
        decided
        for case_id, auditor_id, decided in zip(
            of_month["case_id"], of_month["auditor_id"], of_month["decided_on"], strict=True
        )
        if (case_id, auditor_id) in acted_on and decided is not None
    ]
    staff = data["staff"].set_index("staff_id")
    for auditor in set(changes["previous_auditor_id"].dropna()):
        left = staff.at[auditor, "active_to"] if auditor in staff.index else None
        if left is not None and left < last_day(month):
            decisions.append(left + dt.timedelta(days=1))
    breaks = data["breaks"]
    late = breaks[(breaks["month"] == month) & breaks["auditor_id"].isin(newly_granted)]
    decisions += [d for d in late["requested_on"] if d is not None]
    calendar = WorkingCalendar(data.config.calendar.country, data.config.calendar.subdivision)
    first = calendar.first_working_day(month)
    day = max([first, *(calendar.on_or_next_working_day(d) for d in decisions)])
    new_ids = set(changes["audit_id"].dropna())
    handed = allocations.copy()
    handed.loc[handed["audit_id"].isin(new_ids), "distributed_on"] = day
    return handed


def reallocate(
    data: Dataset | Path | str,
    month: str,
    previous_dir: Path | str,
    seed: int | None = None,
    time_limit_s: float | None = None,
    command: str | None = None,
    progress: Stage | None = None,
) -> AllocationResult:
    """Re-plan a month after exemptions, leavers, late breaks or new conflicts (§4–5).

    Every allocation the rules still allow stays put unless moving it lets more cases be
    covered; the order is most cases, most due re-audits, fewest changes, preferences.
    ``progress`` is told each stage as it starts (issue 24).
    """
    tell = _StageClock(progress or _silent)
    started = time.perf_counter()
    tell("reading")
    previous = read_previous_plan(previous_dir, month)
    loaded = data if isinstance(data, Dataset) else load(data, progress=tell)
    dataset = without_recorded_plan(loaded, previous)
    tell("building")
    problem = build_problem(
        dataset,
        month,
        validate=True,
        previous_breaks=previous.break_decisions,
    )
    exempted = set(problem.auditors.loc[problem.auditors["exempted"], "staff_id"])
    granted_before = set(
        previous.break_decisions.loc[
            previous.break_decisions["decision"] == "granted", "auditor_id"
        ]
    )
    granted_now = set(
        problem.break_decisions.loc[problem.break_decisions["decision"] == "granted", "auditor_id"]
    )
    must_move: dict[str, str] = {}
    for case_id, auditor_id in zip(
        previous.allocations["case_id"], previous.allocations["auditor_id"], strict=True
    ):
        cause = why_previous_pair_failed(
            problem, case_id, auditor_id, granted_now - granted_before, exempted
        )
        if cause is not None:
            must_move[case_id] = cause
    timings = {"problem_s": time.perf_counter() - started}
    tell("solving")
    solved, assignment, run_seed = _solve_month(
        dataset, problem, previous.allocations[["case_id", "auditor_id"]], seed, time_limit_s
    )
    tell("reasons")
    unallocated = unallocated_table(problem, assignment)
    changes, audit_ids = changes_table(
        problem,
        previous.allocations,
        assignment,
        must_move,
        dict(zip(unallocated["case_id"], unallocated["reason"], strict=True)),
    )
    tables = {**_month_tables(problem, assignment, unallocated, audit_ids), "changes": changes}
    tables["allocations"] = _handed_out_when_decided(
        dataset, problem, tables["allocations"], changes, granted_now - granted_before
    )
    timings.update(solved.timings, **tell.seconds(), total_s=time.perf_counter() - started)
    manifest = build_manifest(dataset, problem, solved, tables, run_seed, command, timings)
    manifest["previous_plan"] = {
        "directory": previous.directory,
        "files_sha256": previous.files_sha256,
    }
    counts = manifest["counts"]
    assert isinstance(counts, dict)
    counts["moved"] = int(
        (changes["previous_audit_id"].notna() & changes["audit_id"].notna()).sum()
    )
    counts["must_move"] = len(must_move)
    return AllocationResult(problem, solved, tables, manifest)


def record(plan_dir: Path | str, data_dir: Path | str) -> Dataset:
    """Append a written plan's allocations to the data directory's ``history`` (issue 20,
    contract §6), atomically; a re-plan (a folder with ``changes``) marks the moved rows
    ``reallocated``. Raises ``InputError`` (nothing written) for a row already there."""
    import json

    from caseaudit.io.tables import write_history

    root, data_root = Path(plan_dir), Path(data_dir)
    manifest = root / "manifest.json"
    if not manifest.is_file():
        raise InputError([InputIssue(str(manifest), 1, "-", "not a plan folder: no manifest")])
    month = json.loads(manifest.read_text(encoding="utf-8")).get("month")
    plan = read_previous_plan(root, str(month))
    changes_file = root / "changes.parquet"
    changes = None
    if changes_file.exists():
        raw = pd.read_parquet(changes_file).astype(object)
        changes = raw.where(raw.notna(), None)
    dataset = load(data_root)
    history = recorded_history(
        dataset["history"], plan.allocations, changes, f"{root.name}/allocations"
    )
    write_history(data_root, history)
    return load(data_root)


@dataclass(frozen=True)
class ModerationResult(Result):
    """A solved moderation plan (§22, issue 8): the problem, the solve and the tables."""

    problem: ModerationProblem
    solve: ModerationSolution
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, object] = field(default_factory=dict)

    @property
    def moderation(self) -> pd.DataFrame:
        return self.tables["moderation"]

    @property
    def unmoderated(self) -> pd.DataFrame:
        return self.tables["unmoderated"]

    @property
    def notifications(self) -> pd.DataFrame:
        return self.tables["notifications"]

    @property
    def complete(self) -> bool:
        """Every challenged audit has a moderator."""
        return self.unmoderated.empty

    @property
    def fully_moderated(self) -> bool:
        """``complete``, by its older name."""
        return self.complete

    @property
    def incomplete_notice(self) -> str:
        left = plural(len(self.unmoderated), "challenged audit")
        return f"{left} without a moderator: see unmoderated.csv"

    @property
    def output_config(self) -> OutputConfig:
        return self.problem.config.output

    def summary(self) -> str:
        needing = len(self.problem.audits)
        if not needing:
            return f"as of {self.problem.as_of}: no challenged audit needs a moderator"
        tiers = self.solve.tiers
        return (
            f"as of {self.problem.as_of}: {plural(needing, 'challenged audit')} needing a "
            f"moderator, {len(self.moderation)} moderated, {len(self.unmoderated)} left "
            f"without one; largest load in {self.problem.month} {tiers['largest_load']} of "
            f"{self.problem.cap}; solve {self.solve.status}"
        )


def moderate(
    data: Dataset | Path | str,
    as_of: dt.date | str,
    seed: int | None = None,
    time_limit_s: float | None = None,
    command: str | None = None,
    progress: Stage | None = None,
) -> ModerationResult:
    """Find an independent senior manager for every challenged audit without consensus
    (§21–22, issue 8). ``data`` may be a directory path; ``as_of`` a date or ISO text;
    ``progress`` is told each stage as it starts (issue 24)."""
    tell = progress or _silent
    started = time.perf_counter()
    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of).strip())
    dataset = data if isinstance(data, Dataset) else load(data, progress=tell)
    loaded = time.perf_counter()
    tell("building")
    problem = build_moderation_problem(dataset, day, validate=isinstance(data, Dataset))
    timings = {"load_s": loaded - started, "problem_s": time.perf_counter() - loaded}
    run_seed = dataset.config.solver.seed if seed is None else seed
    tell("solving")
    solved = solve_moderation(problem, run_seed, time_limit_s)
    tell("reasons")
    moderation = moderation_table(problem, solved.assignment)
    unmoderated = unmoderated_table(problem, solved.assignment)
    tables = {
        "moderation": moderation,
        "unmoderated": unmoderated,
        "notifications": moderation_notifications(problem, moderation, unmoderated),
    }
    timings.update(solved.timings, total_s=time.perf_counter() - started)
    manifest: dict[str, object] = {
        **manifest_header(command, "moderate"),
        "as_of": day.isoformat(),
        "month": problem.month,
        "seed": run_seed,
        "inputs_sha256": input_hashes(dataset),
        "config": dataset.config.as_dict(),
        "solver": {
            "status": solved.status,
            "proof": solved.proof,
            "optimum_unique": solved.unique,
            "objective": solved.objective,
            "bound": solved.bound,
            "tier_weights": solved.tier_weights,
            "tiers": solved.tiers,
            "search_cut_short": solved.status != "optimal",
            "pairs": solved.stats,
            "notes": list(solved.notes),
        },
        "counts": {
            "audits_needing_moderator": len(problem.audits),
            "senior_managers": len(problem.moderators),
            "with_room": len(problem.available),
            **{name: len(frame) for name, frame in tables.items()},
        },
        "timings_s": {k: round(v, 4) for k, v in sorted(timings.items())},
    }
    return ModerationResult(problem, solved, tables, manifest)


@dataclass(frozen=True)
class BreakPlanResult(Result):
    """A planned audit year of breaks (§2–3, issue 9): the problem, the solve, the tables.

    >>> plan = plan_breaks(load("data/"), 2026)       # the year 2026-04 .. 2027-03
    >>> plan.break_plan.head(); plan.months; plan.unmet_preferences
    >>> print(plan.summary()); plan.write("out/", emit_requests=True)
    """

    problem: BreakYear
    solve: YearSolution
    tables: dict[str, pd.DataFrame]
    #: The ``breaks`` table ``--emit-requests`` writes: one on-time request per planned
    #: break, which ``allocate`` grants in every month.
    requests_for_allocate: pd.DataFrame
    manifest: dict[str, object] = field(default_factory=dict)
    #: Why some needed breaks have no month (exit 3), or None when the year is planned.
    shortfall: str | None = None
    #: ``breaks_merged``, which ``--emit-requests`` also writes: the data's ``breaks``
    #: with the planned months' requests replaced by the plan's, to replace
    #: ``breaks.csv`` by hand (issue 24).
    merged_requests: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def break_plan(self) -> pd.DataFrame:
        return self.tables["break_plan"]

    @property
    def months(self) -> pd.DataFrame:
        return self.tables["break_plan_months"]

    @property
    def unmet_preferences(self) -> pd.DataFrame:
        return self.tables["unmet_preferences"]

    @property
    def request_decisions(self) -> pd.DataFrame:
        return self.tables["request_decisions"]

    @property
    def complete(self) -> bool:
        """Every auditor has the breaks they need."""
        return self.shortfall is None

    @property
    def incomplete_notice(self) -> str:
        return self.shortfall or ""

    @property
    def output_config(self) -> OutputConfig:
        return self.problem.config.output

    def summary(self) -> str:
        months = self.problem.facts.months
        sources = self.break_plan["source"].value_counts()
        wishes = self.problem.wishes
        decisions = self.request_decisions["decision"].value_counts()
        fullest = self.months.loc[~self.months["past"]]
        fullest_text = ""
        if len(fullest):
            share = fullest["breaks"] / fullest["cap"].where(fullest["cap"] > 0, 1)
            row = fullest.loc[share.idxmax()]
            fullest_text = f"; fullest month {row['month']} {row['breaks']} of {row['cap']}"
        unplaced = int(self.solve.unplaced.sum())
        return (
            f"audit year {months[0]}..{months[-1]}: {plural(len(self.break_plan), 'break')} "
            f"({int(sources.get('taken', 0))} taken, {int(sources.get('requested', 0))} "
            f"requested, {int(sources.get('wished', 0))} wished, "
            f"{int(sources.get('assigned', 0))} assigned)"
            + (f", {plural(unplaced, 'needed break')} without a month" if unplaced else "")
            + f"; wishes {len(wishes) - len(self.unmet_preferences)} of {len(wishes)} met; "
            f"requests {int(decisions.get('kept', 0))} kept, "
            f"{int(decisions.get('not_kept', 0))} not kept{fullest_text}; "
            f"solve {self.solve.status}"
        )

    @cached_property
    def figure(self) -> bytes:
        """``break_plan.png``: breaks by month and service, the monthly cap drawn (drawn
        once, on first use)."""
        from caseaudit.plans.break_year.figure import break_plan_png

        return break_plan_png(self.months, list(service_columns(self.problem).values()))

    def files(self) -> dict[str, bytes]:
        return {"break_plan.png": self.figure}

    def written_tables(self, **options: bool) -> dict[str, pd.DataFrame]:
        """The tables; with ``emit_requests`` also ``breaks`` for ``allocate``."""
        tables = dict(self.tables)
        if options.get("emit_requests"):
            tables["breaks"] = self.requests_for_allocate
            tables["breaks_merged"] = self.merged_requests
        return tables


def plan_breaks(
    data: Dataset | Path | str,
    year: int,
    seed: int | None = None,
    time_limit_s: float | None = None,
    command: str | None = None,
    progress: Stage | None = None,
) -> BreakPlanResult:
    """Plan the audit year that starts in ``year`` (§2–3, issue 9): each auditor's
    needed breaks, within the monthly and the service caps, past months as history
    shows them, kept requests and wishes first. ``data`` may be a directory path;
    ``progress`` is told each stage as it starts (issue 24)."""
    tell = progress or _silent
    started = time.perf_counter()
    dataset = data if isinstance(data, Dataset) else load(data, progress=tell)
    if isinstance(data, Dataset):
        validate_dataset(dataset).raise_if_any()
    tell("building")
    problem = build_break_year(dataset, year)
    timings = {"problem_s": time.perf_counter() - started}
    settings = dataset.config.solver
    run_seed = settings.seed if seed is None else seed
    options = SolveOptions(
        seed=run_seed,
        time_limit_s=time_limit_s if time_limit_s is not None else settings.time_limit_s,
        workers=settings.workers,
    )
    tell("solving")
    solved = solve_year(problem, run_seed, options)
    tell("reasons")
    at = time.perf_counter()
    written = plan_tables(problem, solved.plan, solved.unplaced)
    timings.update(solved.timings, tables_s=time.perf_counter() - at)
    timings["total_s"] = time.perf_counter() - started
    manifest = _break_plan_manifest(
        dataset, problem, solved, written.tables, run_seed, command, timings, written.shortfall
    )
    return BreakPlanResult(
        problem,
        solved,
        written.tables,
        written.emitted,
        manifest,
        written.shortfall,
        merged_requests=merged_breaks(problem, dataset["breaks"], written.emitted),
    )


def _break_plan_manifest(
    data: Dataset,
    problem: BreakYear,
    solved: YearSolution,
    tables: dict[str, pd.DataFrame],
    seed: int,
    command: str | None,
    timings: dict[str, float],
    shortfall: str | None,
) -> dict[str, object]:
    """What was planned from what, and how sure the plan is."""
    facts = problem.facts
    sources = tables["break_plan"]["source"].value_counts()
    decisions = tables["request_decisions"]["decision"].value_counts()
    return {
        **manifest_header(command, "plan_breaks"),
        "year": facts.year,
        "months": [facts.months[0], facts.months[-1]],
        "past_months": list(facts.past),
        "seed": seed,
        "inputs_sha256": input_hashes(data),
        "config": data.config.as_dict(),
        "solver": {
            "status": solved.status,
            "proof": "min-cost flow per stage over every allowed (auditor, month) pair; "
            "each stage fixes what it decided for the next",
            "optimum_unique": solved.unique,
            "search_cut_short": solved.status != "optimal",
            "stages": [
                {
                    "stage": s.name,
                    "status": s.status,
                    "proof": s.proof,
                    "optimum_unique": s.unique,
                    "objective": s.objective,
                    "bound": s.bound,
                    "tier_weights": s.tier_weights,
                    "pairs": s.pairs,
                    "fixed_before": s.fixed,
                }
                for s in solved.stages
            ],
            "cost_parts": solved.cost_parts,
            "notes": list(solved.notes),
        },
        "shortfall": shortfall,
        "counts": {
            "auditors": len(facts.auditors),
            "auditors_needing_breaks": int((problem.demand > 0).sum()),
            "needed_breaks_left": int(problem.demand.sum()),
            "unplaced_breaks": int(solved.unplaced.sum()),
            "allowed_pairs": len(problem.pairs),
            **{f"breaks_{k}": int(sources.get(k, 0)) for k in SOURCES},
            "wishes": len(problem.wishes),
            "wishes_unmet": len(tables["unmet_preferences"]),
            "requests": len(problem.requests),
            "requests_kept": int(decisions.get("kept", 0)),
            "requests_not_kept": int(decisions.get("not_kept", 0)),
            "outside_year": problem.outside_year,
            **{name: len(frame) for name, frame in tables.items()},
        },
        "timings_s": {k: round(v, 4) for k, v in sorted(timings.items())},
    }


def notify(
    data: Dataset | Path | str,
    as_of: dt.date | str,
    plan: Path | str | pd.DataFrame | AllocationResult | None = None,
    command: str | None = None,
    progress: Stage | None = None,
) -> NoticesResult:
    """Every notice due on ``as_of`` (issue 22): the day's and those of the
    ``[notices] catch_up_working_days`` before it, less those in ``notices_sent``.

    ``plan`` gives the month's allocations: a plan folder (``allocate``'s or
    ``reallocate``'s output), its allocations table, or an ``AllocationResult``. Without
    it, the ledger's rows of the as-of month stand for the plan when ``history`` holds
    them (the plan was recorded); else, when ``cases`` holds the month, the plan is
    computed as ``allocate`` computes it (same inputs and seed, same plan).
    ``progress`` is told each stage as it starts (issue 24).
    """
    from caseaudit.model.calendar import month_of
    from caseaudit.plans.notices import build_notices
    from caseaudit.plans.notices.render import Templates

    tell = progress or _silent
    started = time.perf_counter()
    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of).strip())
    if isinstance(data, Dataset):
        dataset = data
        validate_dataset(dataset).raise_if_any()
    else:
        dataset = load(data, progress=tell)
    loaded = time.perf_counter()
    month = month_of(day)
    if isinstance(plan, AllocationResult):
        allocations, source = plan.allocations, "the AllocationResult given"
    elif isinstance(plan, pd.DataFrame):
        allocations, source = plan, "the allocations given"
    elif plan is not None:
        from caseaudit.io.previous import read_plan

        allocations, source = read_plan(plan).allocations, f"plan folder {plan}"
        _check_plan_columns(allocations, Path(plan))
    elif (dataset["history"]["month"] == month).any():
        allocations, source = None, f"the ledger's rows of {month} (history)"
    elif (dataset["cases"]["month"] == month).any():
        computed = allocate(dataset, month, progress=tell)
        allocations = computed.allocations
        source = f"{month} computed as allocate computes it (seed {computed.manifest['seed']})"
    else:
        allocations, source = None, f"none: neither history nor cases holds {month}"
    templates = Templates(_templates_folder(dataset))
    issues = IssueCollector()
    from caseaudit.plans.notices.rules import KINDS

    templates.check(list(KINDS), issues)
    issues.raise_if_any()
    tell("notices")
    result = build_notices(
        dataset, day, allocations, templates, plan_source=source, command=command
    )
    timings = result.manifest["timings_s"]
    assert isinstance(timings, dict)
    timings.update(
        load_s=round(loaded - started, 4), total_s=round(time.perf_counter() - started, 4)
    )
    return result


def _check_plan_columns(allocations: pd.DataFrame, folder: Path) -> None:
    """The columns of ``allocations`` a notice needs (contract §5)."""
    from caseaudit.plans.notices.rules import AUDIT_COLUMNS

    needed = [
        c for c in AUDIT_COLUMNS if c not in ("status", "completed_on") and c not in allocations
    ]
    issues = IssueCollector()
    for column in needed:
        issues.add(f"{folder.name}/allocations.parquet", 1, column, "required column missing")
    issues.raise_if_any()


def _templates_folder(dataset: Dataset) -> Path | None:
    """``[notices] templates``, relative to the data directory; an input error at the
    key's line when it is not a folder."""
    named = dataset.config.notices.templates
    if named is None:
        return None
    base = Path(dataset.config_source.path).parent if dataset.config_source else Path()
    folder = base / named
    if not folder.is_dir():
        issues = IssueCollector()
        line = dataset.config_lines.get("notices.templates", 1)
        issues.add("config.toml", line, "notices.templates", f"no such folder: {folder}")
        issues.raise_if_any()
    return folder
