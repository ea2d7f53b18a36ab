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

Those weights multiply: a national re-plan's would pass 2^62 (the change tier alone
multiplies the others by the case count). Tiers therefore share a *stage* only while its
folded cost fits (:func:`plan_stages`); ``allocate``'s month is always one stage, as
before. Stages are solved one after the other: the flow of a stage gives node potentials
(an optimal dual), and the plans optimal for it are exactly those that leave every arc
of positive reduced cost empty and every arc of negative reduced cost full
(complementary slackness). The next stage keeps those arcs so — pairs gated out or
fixed, cases that must or must not be allocated, auditors' loads bounded — and so
optimises its tiers over exactly the plans optimal for the stages before it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from caseaudit.model.config import Config, WeightsConfig
from caseaudit.model.ids import fingerprint
from caseaudit.plans.month.problem import MonthProblem
from caseaudit.solver import (
    EMPTY,
    INT64_SAFE,
    AssignmentProblem,
    Capacities,
    CoreResult,
    ExplicitPairs,
    ImplicitPairs,
    PairCost,
    SolveOptions,
    pair_keys,
    solve,
    tier_weights,
)

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

    def case_index(self, case_ids: Iterable[str]) -> np.ndarray:
        """Each case id's index, -1 for a case not in the month: the one way from ids to
        indices (``explain`` and the diagnosis ask here, never re-derive it)."""
        return np.asarray(pd.Index(self.case_ids).get_indexer(list(case_ids)), dtype=np.int64)

    def auditor_index(self, auditor_ids: Iterable[str]) -> np.ndarray:
        """Each auditor id's index, -1 for someone who is not an available auditor."""
        return np.asarray(pd.Index(self.auditor_ids).get_indexer(list(auditor_ids)), dtype=np.int64)

    def forbidden_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The forbidden pairs as (case index, auditor index), case-major."""
        case, auditor = np.divmod(self.forbidden, max(self.n_auditors, 1))
        return case, auditor

    def keys(self, case_ids: pd.Series, auditor_ids: pd.Series) -> np.ndarray:
        """Sorted keys of the given (case_id, auditor_id) pairs that are in the index."""
        c = self.case_index(case_ids)
        a = self.auditor_index(auditor_ids)
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
    """Contract §4 objective (1): leaving a case without an auditor costs its
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
    """Contract §4 objective (2): a re-audit goes preferably to the auditor of the
    inadequate audit (the re-audit itself is §25)."""
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
        slots=_ramps(index.capacity, weights.fair_spread),
    )


def _ramps(capacity: np.ndarray, step: int) -> tuple[np.ndarray, ...]:
    """Per auditor, ``step × (1, 2, …, capacity − 1)``: one array per distinct capacity,
    shared by the auditors who have it (read only), not one per auditor."""
    ramp = {
        int(cap): np.arange(1, max(int(cap), 1), dtype=np.int64) * step
        for cap in np.unique(capacity)
    }
    return tuple(ramp[cap] for cap in capacity.tolist())


def fresh_eyes(index: MonthIndex, weights: WeightsConfig, seed: int) -> CostTerm:
    """Contract §4 objective (2): avoid an auditor who audited the same subject in
    the last 12 months (except the original auditor of a re-audit)."""
    per_case, per_auditor = _zeros(index)
    surcharge = np.full(len(index.seen), weights.fresh_eyes, dtype=np.int64)
    return CostTerm(pair=PairCost(per_case, per_auditor, index.seen, surcharge))


def tie_break(index: MonthIndex, weights: WeightsConfig, seed: int) -> CostTerm:
    """Contract §4 objective (3): a fixed pseudo-random number per (case, auditor) pair,
    from the ids and the seed, so that one optimum stands out among equals."""
    return CostTerm(
        pair=PairCost.tie_break(
            index.case_fingerprint, index.auditor_fingerprint, seed, TIE_BREAK_RANGE
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
        "original_auditor",
        "the original auditor for a re-audit",
        "§25",
        "preference",
        original_auditor,
    ),
    SoftRule("fair_spread", "fair share of the year's audits", "§2", "preference", fair_spread),
    SoftRule(
        "fresh_eyes",
        "a fresh pair of eyes",
        "contract §4 objective (2)",
        "preference",
        fresh_eyes,
    ),
    SoftRule(
        "tie_break", "drawn by lot where all else is equal", "contract §4", "tie_break", tie_break
    ),
)


# ---------------------------------------------------------------- folding and solving

#: The flow scales unit costs by its node count internally: stay well inside int64.


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
class FoldedStage:
    """The tiers of one stage folded into one integer cost; the tiers of other stages
    weigh 0 here (the tie-break's numbers stay, at weight 0, so that pricing starts from
    the same pairs)."""

    pair: PairCost
    uncovered: np.ndarray
    slots: tuple[np.ndarray, ...]
    tier_weights: dict[str, int]


@dataclass(frozen=True)
class FoldedCosts:
    """The month's objective: one stage when the folded tiers fit in 64-bit integers
    (every month of ``allocate``), else several, solved one after the other."""

    stages: tuple[FoldedStage, ...]
    terms: dict[str, CostTerm]

    @property
    def pair(self) -> PairCost:
        """The first stage's pair cost: the whole objective's when there is one stage
        (``explain`` weighs pairs by it; with stages, the tiers that decide most)."""
        return self.stages[0].pair

    @property
    def uncovered(self) -> np.ndarray:
        return self.stages[0].uncovered

    @property
    def slots(self) -> tuple[np.ndarray, ...]:
        return self.stages[0].slots

    @property
    def tier_weights(self) -> dict[str, int]:
        """Each tier's weight within its own stage."""
        return {t: w for stage in self.stages for t, w in stage.tier_weights.items()}


@dataclass(frozen=True)
class _TierReach:
    #: The most the tier can add up to over a plan (its costs are never negative).
    total: int
    #: The largest cost of one unit (a pair, a case left out, a slot).
    unit: int


def _stage_weights(tiers: list[str], reach: dict[str, _TierReach]) -> dict[str, int]:
    """Each tier's weight exceeds the most the tiers below it in the stage add up to."""
    return tier_weights((tier, reach[tier].total) for tier in tiers)[0]


def _fits(tiers: list[str], reach: dict[str, _TierReach], nodes: int) -> bool:
    """Whether the stage's folded cost fits: its total over a plan, and one unit's cost
    times the flow's node count (OR-Tools scales unit costs by it)."""
    weights = _stage_weights(tiers, reach)
    top = weights[tiers[0]]
    below = top - 1
    return (
        top * reach[tiers[0]].total < INT64_SAFE
        and (top * reach[tiers[0]].unit + below) * (nodes + 1) < INT64_SAFE
    )


def plan_stages(reach: dict[str, _TierReach], nodes: int) -> list[list[str]]:
    """Consecutive tiers folded together while they fit (contract §4's order kept):
    ``allocate``'s month is one stage; a national re-plan, whose minimal-change tier
    multiplies the others by its case count, is two."""
    stages: list[list[str]] = []
    for tier in TIERS:
        if stages and _fits([*stages[-1], tier], reach, nodes):
            stages[-1].append(tier)
        elif _fits([tier], reach, nodes):
            stages.append([tier])
        else:
            raise OverflowError(
                f"the {tier} tier alone is too large for 64-bit integers; lower the weights"
            )
    return stages


def fold_costs(
    index: MonthIndex,
    weights: WeightsConfig,
    seed: int,
    rules: tuple[SoftRule, ...] = SOFT_RULES,
) -> FoldedCosts:
    """The soft rules' terms folded, tier by tier, into one integer cost per stage.

    A tier's reach is bounded by what a plan can add up to: each open case adds one pair
    cost or its unallocated cost, never both; slots add at most their sum. Tiers share a
    stage while the folded cost fits (:func:`plan_stages`)."""
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

    def tier_slots(tier: str) -> tuple[np.ndarray, ...] | None:
        """The tier's slot costs per auditor; None when it has none (no slot arc to
        add: every auditor's list would be empty)."""
        own = [t.slots for r, t in terms.items() if tier_of[r] == tier and t.slots is not None]
        if not any(len(s) for slots in own for s in slots):
            return None
        if len(own) == 1:
            return own[0]
        return tuple(np.sum([s[a] for s in own], axis=0) for a in range(index.n_auditors))

    slots = {tier: tier_slots(tier) for tier in TIERS}
    reach = {}
    for tier in TIERS:
        per_case = max(tier_pair(tier).bound(open_cases), int(tier_uncovered(tier).max(initial=0)))
        tier_slot = slots[tier] or ()
        slot_total = int(sum(int(s.sum()) for s in tier_slot))
        slot_top = max((int(s.max(initial=0)) for s in tier_slot), default=0)
        reach[tier] = _TierReach(n * per_case + slot_total, max(per_case, slot_top))
    nodes = index.n_cases + index.n_auditors + 2
    stages = []
    for tiers in plan_stages(reach, nodes):
        tier_weights = _stage_weights(tiers, reach)
        weight = {tier: tier_weights.get(tier, 0) for tier in TIERS}
        pair = _sum_costs([(weight[tier_of[r]], t.pair) for r, t in terms.items() if t.pair], index)
        uncovered = sum(
            (weight[tier] * tier_uncovered(tier) for tier in TIERS),
            np.zeros(index.n_cases, dtype=np.int64),
        )
        with_slots = [(weight[tier], own) for tier in TIERS if (own := slots[tier]) is not None]
        stage_slots = (
            tuple(
                _weighted_sum([(w, own[a]) for w, own in with_slots])
                for a in range(index.n_auditors)
            )
            if with_slots
            else (np.zeros(0, dtype=np.int64),) * index.n_auditors
        )
        stages.append(FoldedStage(pair, uncovered, stage_slots, tier_weights))
    return FoldedCosts(stages=tuple(stages), terms=terms)


def _weighted_sum(parts: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """One auditor's slot costs over the tiers that have slots (all of one length)."""
    present = [weight * slots for weight, slots in parts if len(slots)]
    return np.sum(present, axis=0) if present else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class _Fixed:
    """What the stages solved so far decided, for the next stage: cases taken out (their
    pair or their leaving out fixed), the pairs fixed, the gates on the others, and each
    auditor's load bounds (total audits, the fixed pairs included)."""

    closed: np.ndarray
    demand: np.ndarray
    may_leave: np.ndarray
    fixed_task: np.ndarray
    fixed_agent: np.ndarray
    gates: tuple[PairCost, ...]
    seeds: np.ndarray
    min_load: np.ndarray
    max_load: np.ndarray

    @classmethod
    def nothing(cls, index: MonthIndex) -> _Fixed:
        return cls(
            closed=index.closed,
            demand=np.ones(index.n_cases, dtype=np.int64),
            may_leave=np.ones(index.n_cases, dtype=bool),
            fixed_task=EMPTY,
            fixed_agent=EMPTY,
            gates=(),
            seeds=EMPTY,
            min_load=np.zeros(index.n_auditors, dtype=np.int64),
            max_load=index.capacity.copy(),
        )

    def fixed_load(self, n_auditors: int) -> np.ndarray:
        return np.bincount(self.fixed_agent, minlength=n_auditors).astype(np.int64)


def _slot_list(costs: FoldedStage | FoldedCosts, a: int, cap: int) -> np.ndarray:
    """Agent ``a``'s unit costs, slot by slot: the first audit free, then its slots."""
    slots = costs.slots[a]
    if not len(slots):
        # One audit at most (the month's usual case): no list to join.
        return np.zeros(min(max(cap, 0), 1), dtype=np.int64)
    return np.concatenate([np.zeros(1, dtype=np.int64), slots])[:cap]


def month_assignment(
    index: MonthIndex,
    costs: FoldedStage | FoldedCosts,
    fixed: _Fixed | None = None,
    build_up_to: int = 0,
) -> AssignmentProblem:
    """The month in the core's terms: one unit per case, auditors' convex slots; in a
    later stage, without what the stages before it fixed."""
    if fixed is None:
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
                    _slot_list(costs, a, int(cap)) for a, cap in enumerate(index.capacity)
                ),
            ),
        )
    # Units already fixed take an auditor's first slots (costs rise slot by slot, so the
    # cheapest are filled first whichever cases fill them).
    load = fixed.fixed_load(index.n_auditors)
    slot_lists = tuple(
        _slot_list(costs, a, int(cap))[int(load[a]) : int(fixed.max_load[a])]
        for a, cap in enumerate(index.capacity)
    )
    space = ImplicitPairs(
        n_tasks=index.n_cases,
        n_agents=index.n_auditors,
        forbidden=index.forbidden,
        closed=fixed.closed,
        cost=costs.pair,
        gates=fixed.gates,
        seeds=fixed.seeds,
    )
    pairs: ImplicitPairs | ExplicitPairs = space
    # The pairs an earlier stage leaves open are usually few (its plan and the ties of
    # its duals): built, they need no pricing.
    keys = space.gated_keys(build_up_to)
    if keys is not None:
        task, agent = np.divmod(keys, max(index.n_auditors, 1))
        pairs = ExplicitPairs(task, agent, costs.pair(task, agent), index.n_cases, index.n_auditors)
    return AssignmentProblem(
        pairs=pairs,
        capacities=dataclasses.replace(
            Capacities.ungrouped(
                task_demand=fixed.demand,
                unassigned_cost=costs.uncovered,
                agent_slot_costs=slot_lists,
            ),
            may_leave=fixed.may_leave,
            agent_min_load=np.maximum(fixed.min_load - load, 0),
        ),
    )


def _fix_stage(index: MonthIndex, costs: FoldedStage, fixed: _Fixed, result: CoreResult) -> _Fixed:
    """Keep, for the stages after it, exactly the plans optimal for this stage.

    With the flow's potentials π (an optimal dual), a plan is optimal for the stage if
    and only if every arc of reduced cost ``c + π(tail) − π(head)`` > 0 is unused and
    every arc of reduced cost < 0 is full (complementary slackness; any optimal dual
    will do). So: a pair of reduced cost > 0 is gated out, one < 0 is fixed; a case whose
    leaving-out arc is > 0 must be allocated, < 0 must be left out; an auditor's slots
    of reduced cost < 0 must be filled, > 0 must stay empty. Pricing left no unbuilt pair
    below 0, so every pair to fix is in the stage's plan.
    """
    n_auditors = max(index.n_auditors, 1)
    task_pi, agent_pi = result.task_potential, result.agent_potential
    sink_pi = result.sink_potential
    reduced = costs.pair(result.task, result.agent) + task_pi[result.task] - agent_pi[result.agent]
    forced = reduced < 0
    leave = costs.uncovered + task_pi - sink_pi
    live = fixed.demand > 0
    left_out = live & (leave < 0)
    fixed_task = np.concatenate([fixed.fixed_task, result.task[forced]])
    fixed_agent = np.concatenate([fixed.fixed_agent, result.agent[forced]])
    closed = fixed.closed.copy()
    closed[result.task[forced]] = True
    closed[left_out] = True
    demand = fixed.demand.copy()
    demand[closed] = 0
    may_leave = fixed.may_leave & ~(leave > 0)
    # Slots: the stage's network held an auditor's slots from the fixed units up to the
    # load bound, the first ``min_load`` of them as demand; their reduced costs rise
    # slot by slot, so the < 0 ones are a prefix and the > 0 ones a suffix.
    load = fixed.fixed_load(index.n_auditors)
    min_load, max_load = fixed.min_load.copy(), fixed.max_load.copy()
    for a, cap in enumerate(index.capacity):
        # The slots that were arcs: those past the ones already demanded.
        first = int(load[a]) + max(int(min_load[a] - load[a]), 0)
        arcs = _slot_list(costs, a, int(cap))[first : int(max_load[a])]
        slot_reduced = arcs + agent_pi[a] - sink_pi
        min_load[a] = first + int((slot_reduced < 0).sum())
        max_load[a] = first + int((slot_reduced <= 0).sum())
    pair = costs.pair
    gate = dataclasses.replace(
        pair,
        task=pair.task + task_pi,
        agent=pair.agent - agent_pi,
        # A tie at weight 0 adds nothing: no need to hash it again.
        tie_range=pair.tie_range if pair.tie_weight else 0,
    )
    kept = ~forced & ~closed[result.task]
    seeds = np.unique(pair_keys(result.task[kept], result.agent[kept], n_auditors))
    return _Fixed(
        closed=closed,
        demand=demand,
        may_leave=may_leave,
        fixed_task=fixed_task,
        fixed_agent=fixed_agent,
        gates=(*fixed.gates, gate),
        seeds=seeds,
        min_load=min_load,
        max_load=max_load,
    )


def _plan_value(index: MonthIndex, costs: FoldedStage, task: np.ndarray, agent: np.ndarray) -> int:
    """A plan's folded cost in one stage: its pairs, the cases it leaves out, its slots."""
    covered = np.zeros(index.n_cases, dtype=bool)
    covered[task] = True
    load = np.bincount(agent, minlength=index.n_auditors)
    value = int(costs.pair(task, agent).sum()) + int(costs.uncovered[~covered].sum())
    for a in np.flatnonzero(load > 1):
        value += int(costs.slots[a][: int(load[a]) - 1].sum())
    return value


def _solve_staged(
    index: MonthIndex, costs: FoldedCosts, options: SolveOptions
) -> tuple[CoreResult, list[str]]:
    """The stages one after the other, each with the ones before it fixed by their
    potentials (:func:`_fix_stage`); the plan is the lexicographic optimum."""
    fixed = _Fixed.nothing(index)
    stats: dict[str, int] = {}
    timings: dict[str, float] = {}
    statuses: list[str] = []
    notes: list[str] = []
    names: list[str] = []
    proofs: list[str] = []
    result: CoreResult | None = None
    for number, stage in enumerate(costs.stages):
        last = number == len(costs.stages) - 1
        stage_options = dataclasses.replace(options, check_unique=options.check_unique and last)
        problem = month_assignment(index, stage, fixed, options.price_above_pairs)
        result = solve(problem, stage_options)
        proofs.append(result.proof)
        statuses.append(result.status)
        names.append("+".join(stage.tier_weights))
        for key, value in result.stats.items():
            # The first stage's pair space is the month's; the later ones are within it.
            first = key == "allowed_pairs" and key in stats
            stats[key] = stats[key] if first else stats.get(key, 0) + value
        for key, seconds in result.timings.items():
            timings[key] = timings.get(key, 0.0) + seconds
        notes.extend(n for n in result.notes if n not in notes)
        if not last:
            fixed = _fix_stage(index, stage, fixed, result)
    assert result is not None
    task = np.concatenate([fixed.fixed_task, result.task])
    agent = np.concatenate([fixed.fixed_agent, result.agent])
    order = np.lexsort((agent, task))
    task, agent = task[order], agent[order]
    value = _plan_value(index, costs.stages[-1], task, agent)
    stats["stages"] = len(costs.stages)
    status = "optimal" if all(s == "optimal" for s in statuses) else statuses[-1]
    if "infeasible" in statuses or "unknown" in statuses:
        status = next(s for s in statuses if s in ("infeasible", "unknown"))
    notes.append(
        f"solved lexicographically in {len(costs.stages)} stages ({', then '.join(names)}): "
        "the tiers do not fit one 64-bit cost together; each stage keeps every plan "
        "optimal for the stages before it, and the objective is the last stage's cost"
    )
    proof = result.proof
    if status == "optimal":
        proof = f"{len(costs.stages)} lexicographic stages: " + "; then ".join(
            f"{name} by {how}" for name, how in zip(names, proofs, strict=True)
        )
    staged = dataclasses.replace(
        result,
        task=task,
        agent=agent,
        status=status,
        objective=value,
        bound=value if status == "optimal" else result.bound,
        flow_objective=value if status == "optimal" else result.flow_objective,
        proof=proof,
        stats=stats,
        timings=timings,
        notes=(),
    )
    return staged, notes


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
            # Only auditors with a second audit reach a slot.
            total += sum(int(term.slots[a][: load[a] - 1].sum()) for a in np.flatnonzero(load > 1))
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
    notes: tuple[str, ...]
    if len(costs.stages) == 1:
        result = solve(month_assignment(index, costs), options)
        notes = result.notes
    else:
        result, staged_notes = _solve_staged(index, costs, options)
        notes = tuple(staged_notes)
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
        notes=notes,
    )
