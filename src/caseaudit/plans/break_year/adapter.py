"""The annual break plan as an adapter of the assignment core (issue 9).

Auditors who still need breaks are the core's tasks (demand: the breaks they need);
(service, month) cells of the planned months are its agents, with the service cap as
capacity, each inside its month's group with the monthly cap. An allowed pair is an
auditor and a month in which they are eligible, mapped to the cell of their service;
a pair carries one unit, so an auditor takes at most one break a month. Ids become
indices in :func:`encode_year` and come back in :func:`decode` — nowhere else.

The soft rules are listed once in ``SOFT_RULES``, each one named function citing its
paragraph; the objective is built from that list alone. Their order is lexicographic:
every needed break placed, then the requests already made (most, then first come first
served), then the most wishes and better ranks, then fairness in popular months, then
an even spread of the unwished breaks, then a seeded tie-break.

One integer cannot hold all of these at national scale (the min-cost flow refuses a
unit cost above about 2^63 / its node count), so the plan is solved in ``STAGES``: each
stage folds its tiers into one integer cost, the way ``solver.month`` folds the month's,
and fixes what it decides for the stages after it — the kept requests, then the granted
wishes; the last stage places the unwished breaks. Every stage keeps the number of
placed breaks at its maximum, so the plan is the lexicographic optimum stage by stage.

Tier weights only need to exceed what the tiers below can change along one simple
cycle of the residual network (the difference of two plans is a sum of such cycles):
a cycle uses at most one pair arc into and one out of each cell, and passes the sink
once, so a tier of pair costs within ±c changes by at most 2 × cells × c there, a tier
of non-negative month slots by at most its largest slot cost. The weights stay small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from caseaudit.model.ids import fingerprint
from caseaudit.plans.break_year.problem import BreakYear
from caseaudit.solver import (
    EMPTY,
    INT64_SAFE,
    NOT_UNIQUE_NOTE,
    AssignmentProblem,
    Capacities,
    CoreResult,
    ExplicitPairs,
    SolveOptions,
    mix,
    solve,
    tier_weights,
)

TIE_BREAK_RANGE = 1 << 8
#: The flow scales unit costs by its node count internally: stay well inside int64.


@dataclass(frozen=True)
class YearIndex:
    """The year in indices: tasks are auditors who still need breaks (sorted ids), groups
    the months, agents the (month, service) cells with a pair; pairs are task-major."""

    auditor_ids: np.ndarray
    demand: np.ndarray
    months: np.ndarray
    month_cap: np.ndarray
    agent_month: np.ndarray
    agent_service: np.ndarray
    agent_cap: np.ndarray
    pair_task: np.ndarray
    pair_agent: np.ndarray
    #: The wish's rank, -1 where the pair was not wished (or the wish cannot be met).
    pair_rank: np.ndarray
    #: A wished pair whose auditor had a break in the same month of the previous year.
    pair_had_break: np.ndarray
    #: The request's first-come position, -1 where no open request names the pair.
    pair_request: np.ndarray
    auditor_fingerprint: np.ndarray
    month_fingerprint: np.ndarray

    @property
    def n_tasks(self) -> int:
        return len(self.auditor_ids)

    @property
    def n_agents(self) -> int:
        return len(self.agent_cap)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_task)

    @property
    def pair_month(self) -> np.ndarray:
        return self.agent_month[self.pair_agent]


def _pair_lookup(frame: pd.DataFrame, keys: pd.MultiIndex, column: str, default: int) -> np.ndarray:
    """``frame[column]`` at each (auditor_id, month) of ``keys``, ``default`` elsewhere."""
    values = np.full(len(keys), default, dtype=np.int64)
    if len(frame):
        position = keys.get_indexer(pd.MultiIndex.from_frame(frame[["auditor_id", "month"]]))
        found = position >= 0
        values[position[found]] = frame[column].to_numpy(dtype=np.int64)[found]
    return values


def encode_year(problem: BreakYear) -> YearIndex:
    """The id → index boundary."""
    demand = problem.demand[problem.demand > 0].sort_index()
    auditor_ids = demand.index.to_numpy(dtype=object)
    # Every month of the year is a group; past ones have no pair (their rule forbids them).
    months = np.array(problem.facts.months, dtype=object)
    month_caps = problem.months.set_index("month")["cap"]
    pairs = problem.pairs
    cells = (
        pairs[["month", "service"]].drop_duplicates().sort_values(["month", "service"])
    ).reset_index(drop=True)
    service_caps = problem.services.set_index(["month", "service"])["cap"]
    cell_index = pd.MultiIndex.from_frame(cells)
    keys = pd.MultiIndex.from_frame(pairs[["auditor_id", "month"]])
    open_wishes = problem.wishes[problem.wishes["status"] == "open"]
    open_requests = problem.requests[problem.requests["status"] == "open"]
    return YearIndex(
        auditor_ids=auditor_ids,
        demand=demand.to_numpy(dtype=np.int64),
        months=months,
        month_cap=month_caps.reindex(months).to_numpy(dtype=np.int64),
        agent_month=pd.Index(months).get_indexer(cells["month"]).astype(np.int64),
        agent_service=cells["service"].to_numpy(dtype=object),
        agent_cap=service_caps.reindex(cell_index).to_numpy(dtype=np.int64),
        pair_task=pd.Index(auditor_ids).get_indexer(pairs["auditor_id"]).astype(np.int64),
        pair_agent=cell_index.get_indexer(
            pd.MultiIndex.from_frame(pairs[["month", "service"]])
        ).astype(np.int64),
        pair_rank=_pair_lookup(open_wishes, keys, "rank", -1),
        pair_had_break=_pair_lookup(
            open_wishes.assign(flag=open_wishes["had_break_last_year"].astype("int64")),
            keys,
            "flag",
            0,
        ).astype(bool),
        pair_request=_pair_lookup(open_requests, keys, "position", -1),
        auditor_fingerprint=fingerprint(list(auditor_ids)),
        month_fingerprint=fingerprint(list(months)),
    )


def decode(index: YearIndex, chosen: np.ndarray) -> pd.DataFrame:
    """The index → id boundary: the planned breaks as (auditor_id, month) rows."""
    frame = pd.DataFrame(
        {
            "auditor_id": index.auditor_ids[index.pair_task[chosen]].astype(object),
            "month": index.months[index.pair_month[chosen]].astype(object),
        }
    )
    return frame.sort_values(["auditor_id", "month"]).reset_index(drop=True)


# ---------------------------------------------------------------- soft rules (costs)


@dataclass(frozen=True)
class YearTerm:
    """One rule's cost: per pair, per needed break left unplaced, per month slot (the
    cost of the month's j-th break, j = 1 … cap: convex)."""

    pair: np.ndarray | None = None
    uncovered: np.ndarray | None = None
    month_slots: tuple[np.ndarray, ...] | None = None


def coverage(index: YearIndex, seed: int) -> YearTerm:
    """§2: every auditor gets the breaks they need; a needed break left without a month
    costs 1 (only a year the caps cannot hold leaves one: exit 3)."""
    return YearTerm(uncovered=np.ones(index.n_tasks, dtype=np.int64))


def request_count(index: YearIndex, seed: int) -> YearTerm:
    """§2, issue 9 §1: keep the break requests already made, as many as the hard rules
    allow."""
    return YearTerm(pair=-(index.pair_request >= 0).astype(np.int64))


def request_order(index: YearIndex, seed: int) -> YearTerm:
    """Contract §4 rule 3: among as many, the earlier requests (on time first, then by
    requested_on, then auditor_id)."""
    return YearTerm(pair=np.maximum(index.pair_request, 0))


def wish_count(index: YearIndex, seed: int) -> YearTerm:
    """Issue 9 §3: satisfy the most wishes of ``break_preferences``."""
    return YearTerm(pair=-(index.pair_rank >= 0).astype(np.int64))


def wish_rank(index: YearIndex, seed: int) -> YearTerm:
    """Issue 9 §3: among as many wishes, better ranks first (rank 1 = most wanted)."""
    wished = index.pair_rank >= 0
    best = int(index.pair_rank[wished].min()) if wished.any() else 0
    return YearTerm(pair=np.where(wished, index.pair_rank - best, 0))


def popular_month_fairness(index: YearIndex, seed: int) -> YearTerm:
    """Issue 9 §3: among those who wished for the same month, prefer those who had no
    break in that month of the previous audit year (from history)."""
    return YearTerm(pair=((index.pair_rank >= 0) & index.pair_had_break).astype(np.int64))


def even_spread(index: YearIndex, seed: int) -> YearTerm:
    """§3 (a valid monthly sample): the j-th break of a month costs j, so the unwished
    breaks fill the months with the fewest breaks first."""
    return YearTerm(
        month_slots=tuple(np.arange(1, cap + 1, dtype=np.int64) for cap in index.month_cap)
    )


def tie_break(index: YearIndex, seed: int) -> YearTerm:
    """Contract §1: a fixed pseudo-random number per (auditor, month), from the ids and
    the seed, so that reruns choose the same plan among equals."""
    mixed = mix(
        index.auditor_fingerprint[index.pair_task], index.month_fingerprint[index.pair_month], seed
    )
    return YearTerm(pair=(mixed % np.uint64(TIE_BREAK_RANGE)).astype(np.int64))


@dataclass(frozen=True)
class SoftRule:
    id: str
    label: str
    paragraph: str
    function: Callable[[YearIndex, int], YearTerm]


SOFT_RULES: tuple[SoftRule, ...] = (
    SoftRule("coverage", "every needed break placed", "§2", coverage),
    SoftRule("request_count", "keep the requests already made", "§2, issue 9 §1", request_count),
    SoftRule("request_order", "first come, first served", "contract §4 rule 3", request_order),
    SoftRule("wish_count", "the most wishes", "issue 9 §3", wish_count),
    SoftRule("wish_rank", "better-ranked wishes first", "issue 9 §3", wish_rank),
    SoftRule(
        "popular_month_fairness",
        "no break in the same month last year first",
        "issue 9 §3",
        popular_month_fairness,
    ),
    SoftRule("even_spread", "unwished breaks spread evenly", "§3, issue 9 §3", even_spread),
    SoftRule("tie_break", "drawn by lot where all else is equal", "contract §1", tie_break),
)


@dataclass(frozen=True)
class Stage:
    """One solve: its tiers (rule ids, most important first) and which pairs it fixes
    for the stages after it."""

    name: str
    tiers: tuple[str, ...]
    #: "requests": the kept requests; "wishes": the granted wishes; "all": the rest.
    fixes: str


STAGES: tuple[Stage, ...] = (
    Stage("requests", ("coverage", "request_count", "request_order"), "requests"),
    Stage(
        "wishes",
        ("coverage", "wish_count", "wish_rank", "popular_month_fairness", "tie_break"),
        "wishes",
    ),
    Stage("spread", ("coverage", "even_spread", "tie_break"), "all"),
)


# ---------------------------------------------------------------- stages and folding


@dataclass(frozen=True)
class StageResult:
    name: str
    status: str
    objective: int
    bound: int
    proof: str
    unique: bool | None
    tier_weights: dict[str, int]
    pairs: int
    fixed: int
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class YearSolution:
    """A solved year: the planned breaks as ids, what is left unplaced, how sure we are."""

    plan: pd.DataFrame
    #: Needed breaks left without a month, per auditor_id (only in a year the caps
    #: cannot hold).
    unplaced: pd.Series
    status: str
    stages: tuple[StageResult, ...]
    #: Each soft rule's total over the plan, before any weight.
    cost_parts: dict[str, int]
    index: YearIndex
    chosen: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def unique(self) -> bool:
        return all(stage.unique is not False for stage in self.stages)


def _tier_span(term: YearTerm, pairs: np.ndarray, n_agents: int, slot_start: np.ndarray) -> int:
    """The most a tier's total can change along one simple cycle of the residual network."""
    span = 0
    if term.pair is not None and pairs.any():
        span += 2 * n_agents * int(np.abs(term.pair[pairs]).max())
    if term.uncovered is not None and len(term.uncovered):
        span += 2 * int(np.abs(term.uncovered).max())
    if term.month_slots is not None:
        left = [s[start:] for s, start in zip(term.month_slots, slot_start, strict=True)]
        values = np.concatenate(left) if left else EMPTY
        # A cycle passes the sink once: at most one month slot in and one out.
        span += int(np.abs(values).max()) if len(values) else 0
    return span


def _stage_weights(
    tiers: tuple[str, ...],
    terms: dict[str, YearTerm],
    pairs: np.ndarray,
    n_agents: int,
    slot_start: np.ndarray,
) -> dict[str, int]:
    """Each tier's weight exceeds everything the tiers below it can change on a cycle."""
    spans = ((tier, _tier_span(terms[tier], pairs, n_agents, slot_start)) for tier in tiers)
    return tier_weights(spans)[0]


def _solve_stage(
    index: YearIndex,
    stage: Stage,
    terms: dict[str, YearTerm],
    fixed: np.ndarray,
    allowed: np.ndarray,
    options: SolveOptions,
) -> tuple[np.ndarray, StageResult]:
    """One stage over the allowed pairs not yet fixed; returns the chosen pairs (a mask
    over the index's pairs)."""
    pairs = allowed & ~fixed
    demand = index.demand - np.bincount(index.pair_task[fixed], minlength=index.n_tasks)
    agent_load = np.bincount(index.pair_agent[fixed], minlength=index.n_agents)
    month_load = np.bincount(index.pair_month[fixed], minlength=len(index.months))
    weights = _stage_weights(stage.tiers, terms, pairs, index.n_agents, month_load)
    cost = np.zeros(int(pairs.sum()), dtype=np.int64)
    uncovered = np.zeros(index.n_tasks, dtype=np.int64)
    slots = [np.zeros(max(int(c - f), 0), dtype=np.int64) for c, f in
             zip(index.month_cap, month_load, strict=True)]  # fmt: skip
    for tier in stage.tiers:
        term, weight = terms[tier], weights[tier]
        if term.pair is not None:
            cost += weight * term.pair[pairs]
        if term.uncovered is not None:
            uncovered += weight * term.uncovered
        if term.month_slots is not None:
            for g, start in enumerate(month_load):
                slots[g] = slots[g] + weight * term.month_slots[g][start:]
    largest = max(
        int(np.abs(cost).max(initial=0)),
        int(uncovered.max(initial=0)),
        max((int(s.max(initial=0)) for s in slots), default=0),
    )
    nodes = index.n_tasks + index.n_agents + len(index.months) + 2
    if largest * (nodes + 1) >= INT64_SAFE:
        raise OverflowError(f"the {stage.name} stage's costs are too large for 64-bit integers")
    task, agent = index.pair_task[pairs], index.pair_agent[pairs]
    per_agent = np.bincount(agent, minlength=index.n_agents)
    capacities = Capacities(
        task_demand=demand,
        unassigned_cost=uncovered,
        agent_slot_costs=tuple(
            np.zeros(int(min(cap - load, count)), dtype=np.int64)
            for cap, load, count in zip(index.agent_cap, agent_load, per_agent, strict=True)
        ),
        agent_group=index.agent_month,
        group_parent=np.full(len(index.months), -1, dtype=np.int64),
        group_slot_costs=tuple(slots),
    )
    problem = AssignmentProblem(
        pairs=ExplicitPairs(task, agent, cost, index.n_tasks, index.n_agents),
        capacities=capacities,
    )
    result: CoreResult = solve(problem, options)
    stage_keys = task * max(index.n_agents, 1) + agent  # task-major, so ascending
    position = np.searchsorted(stage_keys, result.task * max(index.n_agents, 1) + result.agent)
    chosen = np.zeros(index.n_pairs, dtype=bool)
    chosen[np.flatnonzero(pairs)[position]] = True
    return chosen, StageResult(
        name=stage.name,
        status=result.status,
        objective=result.objective,
        bound=result.bound,
        proof=result.proof,
        unique=result.unique,
        tier_weights=weights,
        pairs=int(pairs.sum()),
        fixed=int(fixed.sum()),
        timings=result.timings,
    )


def cost_parts(index: YearIndex, terms: dict[str, YearTerm], chosen: np.ndarray) -> dict[str, int]:
    """Each soft rule's total over the plan, before any weight."""
    placed = np.bincount(index.pair_task[chosen], minlength=index.n_tasks)
    load = np.bincount(index.pair_month[chosen], minlength=len(index.months))
    parts = {}
    for rule_id, term in terms.items():
        total = 0
        if term.pair is not None:
            total += int(term.pair[chosen].sum())
        if term.uncovered is not None:
            total += int((term.uncovered * (index.demand - placed)).sum())
        if term.month_slots is not None:
            total += sum(int(s[:n].sum()) for s, n in zip(term.month_slots, load, strict=True))
        parts[rule_id] = total
    return parts


def solve_year(
    problem: BreakYear,
    seed: int,
    options: SolveOptions | None = None,
    rules: tuple[SoftRule, ...] = SOFT_RULES,
) -> YearSolution:
    """Encode the year, solve it stage by stage from the soft rules, decode."""
    options = options or SolveOptions(seed=seed)
    index = encode_year(problem)
    terms = {rule.id: rule.function(index, seed) for rule in rules}
    fixed = np.zeros(index.n_pairs, dtype=bool)
    allowed = np.ones(index.n_pairs, dtype=bool)
    results: list[StageResult] = []
    notes: list[str] = []
    chosen = fixed
    for stage in STAGES:
        tiers = tuple(t for t in stage.tiers if t in terms)
        wanted = {
            "requests": index.pair_request >= 0,
            "wishes": index.pair_rank >= 0,
            "all": np.ones(index.n_pairs, dtype=bool),
        }[stage.fixes]
        if not (wanted & allowed & ~fixed).any() or index.demand.sum() == fixed.sum():
            continue
        picked, result = _solve_stage(
            index, Stage(stage.name, tiers, stage.fixes), terms, fixed, allowed, options
        )
        results.append(result)
        if stage.fixes == "wishes":
            # A wish this stage did not grant can never be granted later without fewer
            # wishes: the last stage places only unwished breaks.
            allowed &= ~(wanted & ~picked)
        fixed = fixed | (picked & wanted)
        chosen = fixed
    placed = np.bincount(index.pair_task[chosen], minlength=index.n_tasks)
    unplaced = pd.Series(index.demand - placed, index=index.auditor_ids, dtype="int64")
    unplaced = unplaced[unplaced > 0]
    if not all(r.unique is not False for r in results):
        notes.append(NOT_UNIQUE_NOTE)
    status = "optimal" if all(r.status == "optimal" for r in results) else "feasible"
    return YearSolution(
        plan=decode(index, chosen),
        unplaced=unplaced,
        status=status,
        stages=tuple(results),
        cost_parts=cost_parts(index, terms, chosen),
        index=index,
        chosen=chosen,
        timings={f"{r.name}_solve_s": r.timings.get("solve_s", 0.0) for r in results},
        notes=tuple(notes),
    )
