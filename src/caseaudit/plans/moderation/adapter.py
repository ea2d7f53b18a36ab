"""Moderation (§22, issue 8) as an adapter of the assignment core.

Challenged audits are the core's tasks, senior managers with room this month its agents.
The independence rules were applied once in ``caseaudit.plans.moderation.problem`` (forbidden
pairs, capacities); the objective's tiers are listed here, each one named function that
says where it comes from, and the model's costs are built from that list alone. Ids
become indices in :func:`encode` and come back in :func:`decode`, nowhere else.

The objective is lexicographic (issue 8): the most challenges moderated; then the
smallest largest load this month; then moderators with fewer moderations this audit
year; then a seeded tie-break. Each tier's weight exceeds the most that the tiers below
it can add up to over any plan, so one integer cost orders plans exactly as the tiers do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from caseaudit.model.ids import fingerprint
from caseaudit.plans.moderation.problem import ModerationProblem
from caseaudit.solver import (
    INT64_SAFE,
    AssignmentProblem,
    Capacities,
    CoreResult,
    ImplicitPairs,
    PairCost,
    SolveOptions,
    pair_keys,
    solve,
    tier_weights,
)

TIE_BREAK_RANGE = 1 << 10
#: Keep every cost, summed over a plan, inside a signed 64-bit integer with room to spare.


@dataclass(frozen=True)
class ModerationIndex:
    """The problem in indices: audits ``0..n-1`` and senior managers with room ``0..m-1``
    (both by sorted id); forbidden pairs as sorted keys ``audit × m + manager``."""

    audit_ids: np.ndarray
    moderator_ids: np.ndarray
    #: Audits nobody may take (their case's details are unknown).
    closed: np.ndarray
    forbidden: np.ndarray
    #: Moderations already assigned in the as-of month, and the new ones each may take.
    month_load: np.ndarray
    capacity: np.ndarray
    #: Moderations assigned in the as-of month's audit year.
    year_load: np.ndarray
    cap: int
    audit_fingerprint: np.ndarray
    moderator_fingerprint: np.ndarray

    @property
    def n_audits(self) -> int:
        return len(self.audit_ids)

    @property
    def n_moderators(self) -> int:
        return len(self.moderator_ids)


def encode(problem: ModerationProblem) -> ModerationIndex:
    """The id → index boundary."""
    audits = problem.audits
    moderators = problem.available
    audit_ids = audits["audit_id"].to_numpy(dtype=object)
    moderator_ids = moderators["staff_id"].to_numpy(dtype=object)
    task = pd.Index(audit_ids).get_indexer(problem.forbidden["audit_id"])
    agent = pd.Index(moderator_ids).get_indexer(problem.forbidden["moderator_id"])
    known = (task >= 0) & (agent >= 0)
    return ModerationIndex(
        audit_ids=audit_ids,
        moderator_ids=moderator_ids,
        closed=audits["details_missing"].to_numpy(dtype=bool),
        forbidden=np.unique(pair_keys(task[known], agent[known], len(moderator_ids))),
        month_load=moderators["month_load"].to_numpy(dtype=np.int64),
        capacity=moderators["capacity"].to_numpy(dtype=np.int64),
        year_load=moderators["year_load"].to_numpy(dtype=np.int64),
        cap=problem.cap,
        audit_fingerprint=fingerprint(list(audit_ids)),
        moderator_fingerprint=fingerprint(list(moderator_ids)),
    )


def decode(index: ModerationIndex, result: CoreResult) -> pd.DataFrame:
    """The index → id boundary: chosen (audit_id, moderator_id) rows by audit_id."""
    frame = pd.DataFrame(
        {
            "audit_id": index.audit_ids[result.task].astype(object),
            "moderator_id": index.moderator_ids[result.agent].astype(object),
        }
    )
    return frame.sort_values("audit_id", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- the objective's tiers


@dataclass(frozen=True)
class Term:
    """One tier's cost before its weight: per pair, per audit left unmoderated, and per
    unit of each manager's room (their 1st, 2nd, … new moderation), each ≥ 0."""

    pair: PairCost | None = None
    unmoderated: np.ndarray | None = None
    slots: tuple[np.ndarray, ...] | None = None

    def most(self, n_audits: int) -> int:
        """The most this term can add up to over any plan of ``n_audits`` audits: each
        audit is either left unmoderated or takes one pair and one unit of room."""
        per_audit = 0
        if self.unmoderated is not None and len(self.unmoderated):
            per_audit = max(per_audit, int(self.unmoderated.max()))
        assigned = self.pair.bound(np.ones(n_audits, dtype=bool)) if self.pair else 0
        assigned += max((int(s.max()) for s in self.slots or () if len(s)), default=0)
        return n_audits * max(per_audit, assigned)


def _zeros(index: ModerationIndex) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(index.n_audits, dtype=np.int64), np.zeros(index.n_moderators, dtype=np.int64)


def most_moderated(index: ModerationIndex, seed: int) -> Term:
    """§22, issue 8: every challenge without consensus is moderated; each one left
    without a moderator costs 1."""
    return Term(unmoderated=np.ones(index.n_audits, dtype=np.int64))


def smallest_largest_load(index: ModerationIndex, seed: int) -> Term:
    """Issue 8: the smallest largest load this month, by convex slot costs.

    A manager's k-th new moderation brings their load this month to ``L + k`` (``L``
    already assigned in the month), and a unit at load ``l`` costs ``g(l)``: 0 at l = 1
    and ``(n + 1) ** (l − 2)`` from l = 2, with ``n`` the number of audits. ``g`` grows,
    so each manager's units are filled cheapest first (convex), and it is steep enough to
    be lexicographic: take two plans moderating the same audits, A whose largest load is
    ``M ≥ 2`` and B whose largest is below ``M``. A pays at least ``g(M)`` for its unit at
    load ``M``; B pays at most ``n × g(M − 1)`` for all of its ``≤ n`` units, and
    ``g(M) − n·g(M − 1) = g(M − 1) ≥ 1`` for M ≥ 3 (``g(2) = 1 > 0 = n·g(1)`` for M = 2).
    Scaled by a weight above everything the lower tiers can add, B is always cheaper: the
    optimum has the smallest largest load (and, among those, the fewest managers at it —
    lexicographic minimax of the loads).
    """
    n = index.n_audits
    slots = []
    for load, room in zip(index.month_load, index.capacity, strict=True):
        level = np.arange(int(load) + 1, int(load) + int(room) + 1, dtype=np.int64)
        costs = [0 if lvl < 2 else (n + 1) ** (int(lvl) - 2) for lvl in level]
        if costs and costs[-1] >= INT64_SAFE:
            raise OverflowError(
                f"{n} challenges with [moderation] max_moderations_per_month = {index.cap} "
                "do not fit the objective in 64-bit integers; lower the monthly maximum"
            )
        slots.append(np.array(costs, dtype=np.int64))
    return Term(slots=tuple(slots))


def fewer_this_year(index: ModerationIndex, seed: int) -> Term:
    """Issue 8: prefer senior managers with fewer moderations this audit year (each one
    they already have costs 1 per new moderation)."""
    per_audit, _ = _zeros(index)
    return Term(pair=PairCost(per_audit, index.year_load.astype(np.int64)))


def tie_break(index: ModerationIndex, seed: int) -> Term:
    """Contract §1: a fixed pseudo-random number per (audit, manager) pair, from the ids
    and the seed, so that one optimum stands out among equals (the month's mechanism)."""
    return Term(
        pair=PairCost.tie_break(
            index.audit_fingerprint, index.moderator_fingerprint, seed, TIE_BREAK_RANGE
        )
    )


@dataclass(frozen=True)
class Tier:
    id: str
    label: str
    source: str
    function: Callable[[ModerationIndex, int], Term]


#: Highest tier first.
OBJECTIVE: tuple[Tier, ...] = (
    Tier("moderated", "the most challenges moderated", "§22, issue 8", most_moderated),
    Tier("largest_load", "the smallest largest load this month", "issue 8", smallest_largest_load),
    Tier("year_load", "fewer moderations this audit year", "issue 8", fewer_this_year),
    Tier("tie_break", "drawn by lot where all else is equal", "contract §1", tie_break),
)


@dataclass(frozen=True)
class FoldedCosts:
    pair: PairCost
    unmoderated: np.ndarray
    slots: tuple[np.ndarray, ...]
    weights: dict[str, int]
    terms: dict[str, Term]


def fold(index: ModerationIndex, seed: int, tiers: tuple[Tier, ...] = OBJECTIVE) -> FoldedCosts:
    """The tiers folded into one integer cost: from the lowest tier up, each weight is one
    more than the most the tiers below can add up to over any plan."""
    terms = {tier.id: tier.function(index, seed) for tier in tiers}
    weights, below = tier_weights((t.id, terms[t.id].most(index.n_audits)) for t in tiers)
    if below * 2 >= INT64_SAFE:
        raise OverflowError("the moderation objective does not fit in 64-bit integers")
    per_audit, per_moderator = _zeros(index)
    unmoderated = per_audit.copy()
    slots = [np.zeros(int(room), dtype=np.int64) for room in index.capacity]
    tie: dict[str, object] = {}
    for tier_id, term in terms.items():
        weight = weights[tier_id]
        if term.unmoderated is not None:
            unmoderated = unmoderated + weight * term.unmoderated
        for moderator, costs in enumerate(term.slots or ()):
            slots[moderator] = slots[moderator] + weight * costs
        if term.pair is not None:
            per_audit = per_audit + weight * term.pair.task
            per_moderator = per_moderator + weight * term.pair.agent
            if term.pair.tie_range:
                tie = {
                    "tie_task": term.pair.tie_task,
                    "tie_agent": term.pair.tie_agent,
                    "tie_seed": term.pair.tie_seed,
                    "tie_range": term.pair.tie_range,
                    "tie_weight": weight * term.pair.tie_weight,
                }
    return FoldedCosts(
        pair=PairCost(per_audit, per_moderator, **tie),  # type: ignore[arg-type]
        unmoderated=unmoderated,
        slots=tuple(slots),
        weights=weights,
        terms=terms,
    )


def moderation_assignment(index: ModerationIndex, costs: FoldedCosts) -> AssignmentProblem:
    """Moderation in the core's terms: one unit per audit, each manager's room as convex
    slots, every pair allowed but the forbidden ones."""
    return AssignmentProblem(
        pairs=ImplicitPairs(
            n_tasks=index.n_audits,
            n_agents=index.n_moderators,
            forbidden=index.forbidden,
            closed=index.closed,
            cost=costs.pair,
        ),
        capacities=Capacities.ungrouped(
            task_demand=np.ones(index.n_audits, dtype=np.int64),
            unassigned_cost=costs.unmoderated,
            agent_slot_costs=costs.slots,
        ),
    )


@dataclass(frozen=True)
class ModerationSolution:
    """A solved moderation plan: (audit_id, moderator_id) rows, its status and its cost."""

    assignment: pd.DataFrame
    status: str
    objective: int
    bound: int
    proof: str
    unique: bool | None
    tier_weights: dict[str, int]
    #: The plan tier by tier: audits moderated, the largest load this month among the
    #: managers given one, their moderations earlier this audit year, the tie-break sum.
    tiers: dict[str, int]
    stats: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _plan_tiers(index: ModerationIndex, costs: FoldedCosts, result: CoreResult) -> dict[str, int]:
    added = np.bincount(result.agent, minlength=index.n_moderators)
    used = added > 0
    tie = costs.terms["tie_break"].pair
    return {
        "moderated": len(result.task),
        "largest_load": int((index.month_load + added)[used].max(initial=0)),
        "year_load": int(index.year_load[result.agent].sum()),
        "tie_break": int(tie(result.task, result.agent).sum()) if tie else 0,
    }


def solve_moderation(
    problem: ModerationProblem, seed: int, time_limit_s: float | None = None
) -> ModerationSolution:
    """Encode, fold the tiers into one cost, solve with the core, decode."""
    index = encode(problem)
    costs = fold(index, seed)
    options = SolveOptions.from_config(problem.config.solver, seed, time_limit_s)
    result = solve(moderation_assignment(index, costs), options)
    return ModerationSolution(
        assignment=decode(index, result),
        status=result.status,
        objective=result.objective,
        bound=result.bound,
        proof=result.proof,
        unique=result.unique,
        tier_weights=costs.weights,
        tiers=_plan_tiers(index, costs, result),
        stats=result.stats,
        timings=result.timings,
        notes=result.notes,
    )
