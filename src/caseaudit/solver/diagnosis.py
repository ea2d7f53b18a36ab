"""Diagnosis of a month for ``caseaudit explain`` (issue 11), on the month adapter.

- :class:`Costing` prices any plan, and any (case, auditor) pair, rule by soft rule,
  with the month adapter's own terms (``fold_costs``, ``cost_parts``).
- :func:`force_pair` solves the month again with one pair forced in.
- :func:`deficient_sets` finds, from a max-flow min-cut, the sets of cases K whose
  allowed auditors N(K) can take fewer than |K| of them (Hall's condition).
- :func:`relaxations` re-solves the month with one hard rule given up step by step
  (latest break first, and so on) and keeps the fewest steps that gain the most cases,
  each gain confirmed by a real solve. The direct conflicts are never relaxed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from caseaudit.model.config import Config
from caseaudit.model.errors import plural
from caseaudit.model.problem import MonthProblem
from caseaudit.model.variants import forced_remainder, relaxed
from caseaudit.model.why import RELAXABLE_RULES, RelaxUnit, describe_units, relax_units
from caseaudit.solver.core import CoreResult
from caseaudit.solver.month import (
    SOFT_RULES,
    TIERS,
    MonthSolution,
    cost_parts,
    encode_month,
    fold_costs,
    solve_month,
)

TIER_OF = {rule.id: rule.tier for rule in SOFT_RULES}
#: The soft rules priced per pair (coverage is priced per case left without an auditor).
PAIR_RULES: tuple[str, ...] = tuple(rule.id for rule in SOFT_RULES if rule.tier != "coverage")


@dataclass(frozen=True)
class PlanCost:
    """A plan's cost, each soft rule's part before its tier weight, and per tier."""

    parts: dict[str, int]
    tiers: dict[str, int]
    covered: frozenset[str]


class Costing:
    """The month's soft-rule costs on one index, so that two plans (the plan and one
    with a pair forced) are priced by exactly the same terms."""

    def __init__(
        self,
        problem: MonthProblem,
        config: Config,
        seed: int,
        previous_plan: pd.DataFrame | None = None,
    ) -> None:
        self.index = encode_month(problem, previous_plan)
        self.costs = fold_costs(self.index, config.weights, seed)
        self._case = pd.Index(self.index.case_ids)
        self._auditor = pd.Index(self.index.auditor_ids)

    def plan(self, assignment: pd.DataFrame) -> PlanCost:
        """Price a plan (case_id, auditor_id); pairs outside the month's index (an
        auditor no longer available, in a previous plan) count as not covered."""
        task = self._case.get_indexer(assignment["case_id"])
        agent = self._auditor.get_indexer(assignment["auditor_id"])
        known = (task >= 0) & (agent >= 0)
        order = np.argsort(task[known], kind="stable")
        result = CoreResult(
            task=task[known][order].astype(np.int64),
            agent=agent[known][order].astype(np.int64),
            status="evaluated",
            objective=0,
            bound=0,
            flow_objective=0,
            proof="",
            unique=None,
        )
        parts = cost_parts(self.index, self.costs, result)
        tiers = {tier: 0 for tier in TIERS}
        for rule_id, value in parts.items():
            tiers[TIER_OF[rule_id]] += value
        covered = frozenset(assignment.loc[known, "case_id"])
        return PlanCost(parts, tiers, covered)

    def pairs(self, case_id: str, auditor_ids: list[str]) -> pd.DataFrame:
        """Each soft rule's cost of giving ``case_id`` to each of ``auditor_ids`` (all
        available auditors), and ``total``: the folded cost that the solver weighs."""
        agent = self._auditor.get_indexer(auditor_ids)
        task = np.full(len(agent), self._case.get_loc(case_id), dtype=np.int64)
        frame = pd.DataFrame({"auditor_id": auditor_ids})
        for rule_id in PAIR_RULES:
            term = self.costs.terms[rule_id].pair
            frame[rule_id] = term(task, agent) if term is not None else 0
        frame["total"] = self.costs.pair(task, agent)
        return frame


def force_pair(
    problem: MonthProblem,
    config: Config,
    seed: int,
    case_id: str,
    auditor_id: str,
    previous_plan: pd.DataFrame | None = None,
    time_limit_s: float | None = None,
) -> tuple[pd.DataFrame, MonthSolution]:
    """The best plan that gives ``case_id`` to ``auditor_id``: that pair, plus the rest
    of the month solved for real without the case and with one audit less of room for
    the auditor. The pair must be allowed (see ``blocking_rules``)."""
    remainder = forced_remainder(problem, case_id, auditor_id)
    previous = None
    if previous_plan is not None:
        previous = previous_plan[previous_plan["case_id"] != case_id]
    solved = solve_month(remainder, config, seed, time_limit_s, previous)
    forced = pd.DataFrame({"case_id": [case_id], "auditor_id": [auditor_id]})
    assignment = pd.concat([solved.assignment, forced], ignore_index=True)
    return assignment.sort_values("case_id").reset_index(drop=True), solved


@dataclass(frozen=True)
class DeficientSet:
    """Cases K whose allowed auditors N(K) can take fewer than |K| of them."""

    cases: list[str]
    auditors: list[str]
    #: How many of the cases N(K) can take at most (their capacities).
    capacity: int

    @property
    def shortfall(self) -> int:
        return len(self.cases) - self.capacity


@dataclass(frozen=True)
class HallDiagnosis:
    """The month's deficient sets and the most cases any plan can cover."""

    sets: list[DeficientSet]
    most_covered: int


def deficient_sets(problem: MonthProblem) -> HallDiagnosis:
    """Hall's condition from the max-flow min-cut of the month's graph (source → case,
    1; case → allowed auditor; auditor → sink, their capacity): the cases and auditors on
    the source side of the minimum cut form the largest deficient set, every one of its
    auditors saturated. Split into its connected pieces, each is deficient by the cases
    the maximum flow leaves uncovered in it. Cases with unknown details have no edge and
    are left to the caller."""
    # Imported here: only the month diagnosis needs them (every command's start-up).
    from ortools.graph.python.max_flow import SimpleMaxFlow
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    index = encode_month(problem)
    n_cases, n_auditors = index.n_cases, index.n_auditors
    allowed = np.ones((n_cases, n_auditors), dtype=bool)
    if len(index.forbidden):
        forbidden_case, forbidden_auditor = np.divmod(index.forbidden, max(n_auditors, 1))
        allowed[forbidden_case, forbidden_auditor] = False
    allowed[index.closed] = False
    allowed[:, index.capacity <= 0] = False
    edge_case, edge_auditor = np.nonzero(allowed)
    source, sink = 0, n_cases + n_auditors + 1
    open_cases = np.flatnonzero(~index.closed)
    flow = SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.zeros(len(open_cases), dtype=np.int32),
        (open_cases + 1).astype(np.int32),
        np.ones(len(open_cases), dtype=np.int64),
    )
    flow.add_arcs_with_capacity(
        (edge_case + 1).astype(np.int32),
        (edge_auditor + 1 + n_cases).astype(np.int32),
        np.ones(len(edge_case), dtype=np.int64),
    )
    flow.add_arcs_with_capacity(
        np.arange(n_auditors, dtype=np.int32) + 1 + n_cases,
        np.full(n_auditors, sink, dtype=np.int32),
        index.capacity.astype(np.int64),
    )
    if flow.solve(source, sink) != flow.OPTIMAL:
        raise RuntimeError("the month's max flow did not solve")
    source_side = np.asarray(flow.get_source_side_min_cut(), dtype=np.int64)
    cut_cases = source_side[(source_side >= 1) & (source_side <= n_cases)] - 1
    cut_cases = cut_cases[~index.closed[cut_cases]]
    most_covered = int(flow.optimal_flow())
    if not len(cut_cases):
        return HallDiagnosis([], most_covered)
    cut_auditors = source_side[(source_side > n_cases) & (source_side < sink)] - 1 - n_cases
    # Connected pieces of the cut's graph: cases 0..n-1, auditors n..n+m-1.
    in_cut = np.isin(edge_case, cut_cases) & np.isin(edge_auditor, cut_auditors)
    size = n_cases + n_auditors
    graph = coo_matrix(
        (np.ones(int(in_cut.sum())), (edge_case[in_cut], edge_auditor[in_cut] + n_cases)),
        shape=(size, size),
    )
    _, label = connected_components(graph, directed=False)
    sets = []
    for piece in np.unique(label[cut_cases]):
        cases = sorted(index.case_ids[cut_cases[label[cut_cases] == piece]])
        members = cut_auditors[label[cut_auditors + n_cases] == piece]
        capacity = int(index.capacity[members].sum())
        if len(cases) > capacity:
            sets.append(DeficientSet(cases, sorted(index.auditor_ids[members]), capacity))
    return HallDiagnosis(sorted(sets, key=lambda s: (-s.shortfall, s.cases)), most_covered)


@dataclass(frozen=True)
class Relaxation:
    """One hard rule given up step by step; the fewest steps that gain the most cases."""

    rule: str
    change: str
    #: Steps taken (breaks revoked, auditors raised, teams allowed, conflicts allowed).
    penalty: int
    cases_gained: int
    #: The gain comes from a real solve of the relaxed month, proven optimal.
    confirmed: bool
    units: tuple[RelaxUnit, ...] = ()


def relaxations(
    problem: MonthProblem,
    config: Config,
    seed: int,
    covered: int,
    case_ids: list[str],
    time_limit_s: float | None = None,
) -> list[Relaxation]:
    """For each relaxable rule, the steps that could let an auditor take one of
    ``case_ids`` (the deficient sets' cases), in the policy's order; ``covered`` is the
    most cases the month covers without them. All of them are
    solved first; then the shortest prefix that gains as many cases, found by bisection
    (coverage only grows with more steps), is solved again and reported."""
    steps = relax_units(problem, case_ids)

    def gain(units: list[RelaxUnit]) -> tuple[int, bool]:
        solved = solve_month(relaxed(problem, units), config, seed, time_limit_s)
        return len(solved.assignment) - covered, solved.status == "optimal"

    found = []
    for rule in RELAXABLE_RULES:
        units = steps[rule]
        if not units:
            found.append(Relaxation(rule, _NOTHING[rule], 0, 0, False))
            continue
        best, proven = gain(units)
        if best <= 0:
            found.append(
                Relaxation(
                    rule,
                    f"{_ALL[rule]} ({plural(len(units), 'step')}) gains no case",
                    len(units),
                    0,
                    proven,
                )
            )
            continue
        low, high = 1, len(units)
        while low < high:
            middle = (low + high) // 2
            if gain(units[:middle])[0] >= best:
                high = middle
            else:
                low = middle + 1
        gained, proven = gain(units[:low]) if low < len(units) else (best, proven)
        found.append(
            Relaxation(
                rule,
                describe_units(rule, units[:low]),
                low,
                gained,
                proven and gained == best,
                tuple(units[:low]),
            )
        )
    order = {rule: position for position, rule in enumerate(RELAXABLE_RULES)}
    return sorted(found, key=lambda r: (-r.cases_gained, r.penalty, order[r.rule]))


_NOTHING = {
    "on_break": "no auditor is kept from these cases by an audit break alone",
    "same_team": "no auditor is kept from these cases by being in their team alone",
    "yearly_max": "no auditor is kept from these cases by the yearly maximum alone",
    "declared": "no auditor is kept from these cases by a declared conflict alone",
}
_ALL = {
    "on_break": "revoking every break that keeps an auditor from these cases",
    "same_team": "allowing every team concerned to audit its own cases",
    "yearly_max": "raising the yearly maximum of every auditor concerned",
    "declared": "allowing every declared conflict concerned",
}
