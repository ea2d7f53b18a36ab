"""The month (and its re-plan) as an adapter of the assignment core.

Cases are the core's tasks, auditors with capacity its agents. The hard rules were
applied once in ``caseaudit.plans.month.rules`` (capacities and forbidden pairs); the soft
rules are listed here, each one named function that cites its paragraph, and the
objective is built from that list alone. Ids become indices in :func:`encode_month`
and come back in :func:`decode` — nowhere else.

The objective is lexicographic (contract §4): coverage (due re-audits first), then the
fewest changes to a previous plan, then the weighted preferences, then a seeded
tie-break. Each tier's weight exceeds the most the tiers below can add up to, so one
integer cost orders plans exactly as the tiers do; each rule's part stays readable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from caseaudit.model.config import Config, WeightsConfig
from caseaudit.model.ids import fingerprint
from caseaudit.plans.month.problem import MonthProblem
from caseaudit.solver.core import AssignmentProblem, CoreResult, SolveOptions, solve
from caseaudit.solver.network import Capacities
from caseaudit.solver.pairs import EMPTY, ImplicitPairs, PairCost, pair_keys

TIE_BREAK_RANGE = 1 << 10
TIERS = ("coverage", "change", "preference", "tie_break")


@dataclass(frozen=True)
class MonthIndex:
    """The month in indices: cases ``0..n-1`` and available auditors ``0..m-1`` (sorted
    ids), pair facts as sorted pair keys (``case × m + auditor``)."""

    case_ids: np.ndarray
    auditor_ids: np.ndarray
    #: 2 for a due or overdue re-audit (covered first), 1 for any other case.
    priority: np.ndarray
    #: Cases no one may take (a due re-audit whose details are unknown).
    closed: np.ndarray
    is_reaudit: np.ndarray
    capacity: np.ndarray
    year_count: np.ndarray
    forbidden: np.ndarray
    original: np.ndarray
    seen: np.ndarray
    #: Pairs of the previous plan that are still allowed (minimal change), and the cases
    #: they belong to.
    previous: np.ndarray
    had_previous: np.ndarray
    case_fingerprint: np.ndarray
    auditor_fingerprint: np.ndarray

    @property
    def n_cases(self) -> int:
        return len(self.case_ids)

    @property
    def n_auditors(self) -> int:
        return len(self.auditor_ids)

    def keys(self, case_ids: pd.Series, auditor_ids: pd.Series) -> np.ndarray:
        """Sorted keys of the given (case_id, auditor_id) pairs that are in the index."""
        c = pd.Index(self.case_ids).get_indexer(case_ids)
        a = pd.Index(self.auditor_ids).get_indexer(auditor_ids)
        ok = (c >= 0) & (a >= 0)
        return np.unique(pair_keys(c[ok], a[ok], self.n_auditors))


def encode_month(problem: MonthProblem, previous_plan: pd.DataFrame | None = None) -> MonthIndex:
    """The id → index boundary. ``previous_plan`` (case_id, auditor_id) marks the pairs
    of an earlier plan, for the minimal-change tier of a reallocation."""
    cases = problem.cases
    auditors = problem.available_auditors
    case_ids = cases["case_id"].to_numpy(dtype=object)
    auditor_ids = auditors["staff_id"].to_numpy(dtype=object)
    n_auditors = len(auditor_ids)
    partial = MonthIndex(
        case_ids=case_ids,
        auditor_ids=auditor_ids,
        priority=np.where(cases["reaudit_due"].to_numpy(dtype=bool), 2, 1).astype(np.int64),
        closed=cases["details_missing"].to_numpy(dtype=bool),
        is_reaudit=cases["is_reaudit"].to_numpy(dtype=bool),
        capacity=auditors["capacity"].to_numpy(dtype=np.int64),
        year_count=auditors["year_count"].to_numpy(dtype=np.int64),
        forbidden=EMPTY,
        original=EMPTY,
        seen=EMPTY,
        previous=EMPTY,
        had_previous=np.zeros(len(case_ids), dtype=bool),
        case_fingerprint=fingerprint(list(case_ids)),
        auditor_fingerprint=fingerprint(list(auditor_ids)),
    )
    conflicts = problem.conflicts
    forbidden = partial.keys(conflicts["case_id"], conflicts["auditor_id"])
    with_original = cases[cases["original_auditor_id"].notna()]
    previous = EMPTY
    if previous_plan is not None and len(previous_plan):
        previous = partial.keys(previous_plan["case_id"], previous_plan["auditor_id"])
        open_case = ~partial.closed[previous // max(n_auditors, 1)]
        previous = previous[open_case & ~np.isin(previous, forbidden)]
    had_previous = np.zeros(len(case_ids), dtype=bool)
    had_previous[previous // max(n_auditors, 1)] = True
    return dataclasses.replace(
        partial,
        forbidden=forbidden,
        original=partial.keys(with_original["case_id"], with_original["original_auditor_id"]),
        seen=partial.keys(problem.seen_subject["case_id"], problem.seen_subject["auditor_id"]),
        previous=previous,
        had_previous=had_previous,
    )


def decode(index: MonthIndex, result: CoreResult) -> pd.DataFrame:
    """The index → id boundary: chosen pairs as (case_id, auditor_id) rows by case_id."""
    frame = pd.DataFrame(
        {
            "case_id": index.case_ids[result.task].astype(object),
            "auditor_id": index.auditor_ids[result.agent].astype(object),
        }
    )
    return frame.sort_values("case_id", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- soft rules (costs)


@dataclass(frozen=True)
class CostTerm:
    """One rule's cost: per pair, per case left unallocated, per extra audit slot."""

    pair: PairCost | None = None
    uncovered: np.ndarray | None = None
    #: Per auditor, the cost of their 2nd, 3rd, … audit this month.
    slots: tuple[np.ndarray, ...] | None = None


def _zeros(index: MonthIndex) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(index.n_cases, dtype=np.int64), np.zeros(index.n_auditors, dtype=np.int64)


def coverage_priority(index: MonthIndex, weights: WeightsConfig, seed: int) -> CostTerm:
    """Contract §4 objective (1), §1, §25: leaving a case without an auditor costs its
    priority — 2 for a due or overdue re-audit, 1 otherwise."""
    return CostTerm(uncovered=index.priority)


def minimal_change(index: MonthIndex, weights: WeightsConfig, seed: int) -> CostTerm:
    """§5: when re-planning, a case whose previous auditor is still allowed costs 1 if it
    goes to anyone else or to no one."""
    per_case, per_auditor = _zeros(index)
    per_case[index.had_previous] = 1
    return CostTerm(
        pair=PairCost(
            per_case,
            per_auditor,
            index.previous,
            np.full(len(index.previous), -1, dtype=np.int64),
        ),
        uncovered=index.had_previous.astype(np.int64),
    )


def original_auditor(index: MonthIndex, weights: WeightsConfig, seed: int) -> CostTerm:
    """§25: a re-audit goes preferably to the auditor of the inadequate audit."""
    per_case, per_auditor = _zeros(index)
    per_case[index.is_reaudit] = weights.original_auditor
    bonus = np.full(len(index.original), -weights.original_auditor, dtype=np.int64)
    return CostTerm(pair=PairCost(per_case, per_auditor, index.original, bonus))


def fair_spread(index: MonthIndex, weights: WeightsConfig, seed: int) -> CostTerm:
    """§2: prefer auditors with fewer audits so far this audit year; with a monthly
    maximum above one, the k-th extra audit in the month costs k more (convex)."""
    per_case, _ = _zeros(index)
    return CostTerm(
        pair=PairCost(per_case, index.year_count * weights.fair_spread),
        slots=tuple(
            np.arange(1, max(int(cap), 1), dtype=np.int64) * weights.fair_spread
            for cap in index.capacity
        ),
    )


def fresh_eyes(index: MonthIndex, weights: WeightsConfig, seed: int) -> CostTerm:
    """Contract §4 objective (2), §7: avoid an auditor who audited the same subject in
    the last 12 months (except the original auditor of a re-audit)."""
    per_case, per_auditor = _zeros(index)
    surcharge = np.full(len(index.seen), weights.fresh_eyes, dtype=np.int64)
    return CostTerm(pair=PairCost(per_case, per_auditor, index.seen, surcharge))


def tie_break(index: MonthIndex, weights: WeightsConfig, seed: int) -> CostTerm:
    """Contract §4 objective (3): a fixed pseudo-random number per (case, auditor) pair,
    from the ids and the seed, so that one optimum stands out among equals."""
    per_case, per_auditor = _zeros(index)
    return CostTerm(
        pair=PairCost(
            per_case,
            per_auditor,
            tie_task=index.case_fingerprint,
            tie_agent=index.auditor_fingerprint,
            tie_seed=seed,
            tie_range=TIE_BREAK_RANGE,
        )
    )


@dataclass(frozen=True)
class SoftRule:
    id: str
    label: str
    paragraph: str
    tier: str
    function: Callable[[MonthIndex, WeightsConfig, int], CostTerm]


SOFT_RULES: tuple[SoftRule, ...] = (
    SoftRule(
        "coverage",
        "cover every case, due re-audits first",
        "§1, §25",
        "coverage",
        coverage_priority,
    ),
    SoftRule(
        "minimal_change", "fewest changes to the previous plan", "§5", "change", minimal_change
    ),
    SoftRule(
        "original_auditor", "original auditor for a re-audit", "§25", "preference", original_auditor
    ),
    SoftRule("fair_spread", "fair spread of the audit year", "§2", "preference", fair_spread),
    SoftRule("fresh_eyes", "fresh eyes on the subject", "§7", "preference", fresh_eyes),
    SoftRule("tie_break", "deterministic tie-break", "contract §4", "tie_break", tie_break),
)


# ---------------------------------------------------------------- folding and solving

INT64_SAFE = 1 << 62


def _sum_costs(parts: list[tuple[int, PairCost]], index: MonthIndex) -> PairCost:
    per_case, per_auditor = _zeros(index)
    keys, values = [EMPTY], [EMPTY]
    tie: dict[str, object] = {}
    for weight, cost in parts:
        per_case = per_case + weight * cost.task
        per_auditor = per_auditor + weight * cost.agent
        keys.append(cost.sparse_keys)
        values.append(weight * cost.sparse_values)
        if cost.tie_range:
            tie = {
                "tie_task": cost.tie_task,
                "tie_agent": cost.tie_agent,
                "tie_seed": cost.tie_seed,
                "tie_range": cost.tie_range,
                "tie_weight": weight * cost.tie_weight,
            }
    all_keys, all_values = np.concatenate(keys), np.concatenate(values)
    unique, position = np.unique(all_keys, return_inverse=True)
    summed = np.zeros(len(unique), dtype=np.int64)
    np.add.at(summed, position, all_values)
    return PairCost(per_case, per_auditor, unique, summed, **tie)  # type: ignore[arg-type]


@dataclass(frozen=True)
class FoldedCosts:
    pair: PairCost
    uncovered: np.ndarray
    slots: tuple[np.ndarray, ...]
    tier_weights: dict[str, int]
    terms: dict[str, CostTerm]


def fold_costs(
    index: MonthIndex,
    weights: WeightsConfig,
    seed: int,
    rules: tuple[SoftRule, ...] = SOFT_RULES,
) -> FoldedCosts:
    """The soft rules' terms folded, tier by tier, into one integer cost."""
    terms = {rule.id: rule.function(index, weights, seed) for rule in rules}
    tier_of = {rule.id: rule.tier for rule in rules}
    open_cases = ~index.closed
    n = max(index.n_cases, 1)

    def tier_pair(tier: str) -> PairCost:
        return _sum_costs(
            [(1, t.pair) for r, t in terms.items() if tier_of[r] == tier and t.pair], index
        )

    def tier_uncovered(tier: str) -> np.ndarray:
        total = np.zeros(index.n_cases, dtype=np.int64)
        for rule_id, term in terms.items():
            if tier_of[rule_id] == tier and term.uncovered is not None:
                total = total + term.uncovered
        return total

    slot_terms = [t.slots for t in terms.values() if t.slots is not None]
    slots = tuple(
        np.sum([s[a] for s in slot_terms], axis=0) if slot_terms else np.zeros(0, dtype=np.int64)
        for a in range(index.n_auditors)
    )
    slot_total = int(sum(int(s.sum()) for s in slots))
    tie_weight = 1
    preference_weight = n * tier_pair("tie_break").bound(open_cases) + 1
    preference_total = n * tier_pair("preference").bound(open_cases) + slot_total
    change_weight = preference_weight * (preference_total + 1)
    change_bound = max(
        tier_pair("change").bound(open_cases), int(tier_uncovered("change").max(initial=0))
    )
    coverage_weight = change_weight * (n * change_bound + 1)
    if coverage_weight * 2 * n >= INT64_SAFE:
        raise OverflowError("objective too large for 64-bit integers; lower the weights")
    tier_weights = {
        "coverage": coverage_weight,
        "change": change_weight,
        "preference": preference_weight,
        "tie_break": tie_weight,
    }
    pair = _sum_costs(
        [(tier_weights[tier_of[r]], t.pair) for r, t in terms.items() if t.pair], index
    )
    uncovered = sum(
        (tier_weights[tier] * tier_uncovered(tier) for tier in TIERS),
        np.zeros(index.n_cases, dtype=np.int64),
    )
    return FoldedCosts(
        pair=pair,
        uncovered=uncovered,
        slots=tuple(s * preference_weight for s in slots),
        tier_weights=tier_weights,
        terms=terms,
    )


def month_assignment(index: MonthIndex, costs: FoldedCosts) -> AssignmentProblem:
    """The month in the core's terms: one unit per case, auditors' convex slots."""
    return AssignmentProblem(
        pairs=ImplicitPairs(
            n_tasks=index.n_cases,
            n_agents=index.n_auditors,
            forbidden=index.forbidden,
            closed=index.closed,
            cost=costs.pair,
        ),
        capacities=Capacities.ungrouped(
            task_demand=np.ones(index.n_cases, dtype=np.int64),
            unassigned_cost=costs.uncovered,
            agent_slot_costs=tuple(
                np.concatenate([np.zeros(1, dtype=np.int64), costs.slots[a]])[:cap]
                for a, cap in enumerate(index.capacity)
            ),
        ),
    )


@dataclass(frozen=True)
class MonthSolution:
    """A solved month: the plan as ids, its status and its cost, rule by rule."""

    assignment: pd.DataFrame
    status: str
    objective: int
    bound: int
    flow_objective: int
    proof: str
    unique: bool | None
    tier_weights: dict[str, int]
    #: Each soft rule's unweighted total over the plan (its tier weight applies).
    cost_parts: dict[str, int]
    stats: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"{self.status}: {len(self.assignment)} cases allocated, objective "
            f"{self.objective} (bound {self.bound}), solve {self.timings.get('solve_s', 0):.3f}s"
        )


def cost_parts(index: MonthIndex, costs: FoldedCosts, result: CoreResult) -> dict[str, int]:
    """Each soft rule's total over the plan, before its tier weight."""
    covered = np.zeros(index.n_cases, dtype=bool)
    covered[result.task] = True
    load = np.bincount(result.agent, minlength=index.n_auditors)
    parts = {}
    for rule_id, term in costs.terms.items():
        total = 0
        if term.pair is not None:
            total += int(term.pair(result.task, result.agent).sum())
        if term.uncovered is not None:
            total += int(term.uncovered[~covered].sum())
        if term.slots is not None:
            total += sum(int(term.slots[a][: max(load[a] - 1, 0)].sum()) for a in range(len(load)))
        parts[rule_id] = total
    return parts


def solve_month(
    problem: MonthProblem,
    config: Config,
    seed: int,
    time_limit_s: float | None = None,
    previous_plan: pd.DataFrame | None = None,
    check_unique: bool = True,
) -> MonthSolution:
    """Encode the month, build the core's problem from the soft rules, solve, decode.
    ``check_unique=False`` skips the uniqueness verdict (the plan is the same)."""
    index = encode_month(problem, previous_plan)
    costs = fold_costs(index, config.weights, seed)
    settings = config.solver
    options = dataclasses.replace(
        SolveOptions.from_config(
            settings, seed, time_limit_s, candidate_limit=settings.max_candidates_per_case
        ),
        check_unique=check_unique,
    )
    result = solve(month_assignment(index, costs), options)
    return MonthSolution(
        assignment=decode(index, result),
        status=result.status,
        objective=result.objective,
        bound=result.bound,
        flow_objective=result.flow_objective,
        proof=result.proof,
        unique=result.unique,
        tier_weights=costs.tier_weights,
        cost_parts=cost_parts(index, costs, result),
        stats=result.stats,
        timings=result.timings,
        notes=result.notes,
    )
