"""Diagnosis of a month for ``caseaudit explain`` (issue 11), on the month adapter.

- :class:`Costing` prices any plan, and any (case, auditor) pair, rule by soft rule,
  with the month adapter's own terms (``fold_costs``, ``cost_parts``).
- :func:`force_pair` solves the month again with one pair forced in.
- :func:`deficient_sets` finds, from a maximum matching (a max flow) and its minimum
  cut, the sets of cases K whose allowed auditors N(K) can take fewer than |K| of them
  (Hall's condition), without ever listing the allowed pairs.
- :func:`relaxations` re-solves the month with one hard rule given up step by step
  (latest break first, and so on) and keeps the fewest steps that gain the most cases,
  each gain confirmed by a real solve. The direct conflicts are never relaxed.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caseaudit.explaining.facts import (
    RELAX_WORDS,
    RELAXABLE_RULES,
    RelaxUnit,
    describe_units,
    relax_units,
)
from caseaudit.explaining.variants import forced_remainder, relaxed, units_used
from caseaudit.model.config import Config
from caseaudit.model.errors import plural
from caseaudit.plans.month.adapter import (
    SOFT_RULES,
    TIERS,
    MonthIndex,
    MonthSolution,
    cost_parts,
    encode_month,
    fold_costs,
    solve_month,
)
from caseaudit.plans.month.problem import MonthProblem
from caseaudit.solver import CoreResult

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

    def plan(self, assignment: pd.DataFrame) -> PlanCost:
        """Price a plan (case_id, auditor_id); pairs outside the month's index (an
        auditor no longer available, in a previous plan) count as not covered."""
        task = self.index.case_index(assignment["case_id"])
        agent = self.index.auditor_index(assignment["auditor_id"])
        known = (task >= 0) & (agent >= 0)
        order = np.argsort(task[known], kind="stable")
        # cost_parts reads the pairs only; the rest of a result says how a solve went,
        # which a plan priced here never had.
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
        agent = self.index.auditor_index(auditor_ids)
        (case,) = self.index.case_index([case_id])
        if case < 0:
            raise KeyError(case_id)
        task = np.full(len(agent), case, dtype=np.int64)
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
    solved = solve_month(remainder, config, seed, time_limit_s, previous, check_unique=False)
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


class _AllowedPairs:
    """The month's allowed pairs without listing them (a region's month allows millions):
    every open case with every available auditor, less the forbidden pairs, which are a
    list. A search walks only the nodes it has not reached yet and skips the forbidden
    ones, so each search costs cases + auditors + forbidden pairs, never cases × auditors."""

    def __init__(self, index: MonthIndex) -> None:
        self.capacity = index.capacity
        self.open_cases = [int(c) for c in np.flatnonzero(~index.closed)]
        self.auditors = [int(a) for a in np.flatnonzero(index.capacity > 0)]
        forbidden_case, forbidden_auditor = index.forbidden_pairs()
        self.barred_auditors: dict[int, set[int]] = defaultdict(set)
        self.barred_cases: dict[int, set[int]] = defaultdict(set)
        for case, auditor in zip(forbidden_case.tolist(), forbidden_auditor.tolist(), strict=True):
            self.barred_auditors[case].add(auditor)
            self.barred_cases[auditor].add(case)

    @staticmethod
    def take(unreached: list[int], barred: set[int]) -> tuple[list[int], list[int]]:
        """Split the nodes not reached yet into those reached now (not barred) and the
        rest; the rest are barred, so the walk costs what it reaches plus its barred."""
        reached: list[int] = []
        kept: list[int] = []
        for node in unreached:
            (kept if node in barred else reached).append(node)
        return reached, kept


class _Matching:
    """Cases given to auditors within capacity, on the allowed pairs."""

    def __init__(self, pairs: _AllowedPairs, index: MonthIndex, plan: pd.DataFrame) -> None:
        self.pairs = pairs
        self.auditor_of: dict[int, int] = {}
        self.cases_of: dict[int, set[int]] = defaultdict(set)
        case = index.case_index(plan["case_id"])
        auditor = index.auditor_index(plan["auditor_id"])
        # Pairs a previous plan holds that the month no longer allows are left out.
        for c, a in zip(case.tolist(), auditor.tolist(), strict=True):
            allowed = c >= 0 and a >= 0 and not index.closed[c]
            if allowed and a not in pairs.barred_auditors[c] and self.has_room(a):
                self.give(c, a)

    def has_room(self, auditor: int) -> bool:
        return len(self.cases_of[auditor]) < self.pairs.capacity[auditor]

    def give(self, case: int, auditor: int) -> None:
        previous = self.auditor_of.get(case)
        if previous is not None:
            self.cases_of[previous].discard(case)
        self.auditor_of[case] = auditor
        self.cases_of[auditor].add(case)

    def search(self) -> tuple[dict[int, int], dict[int, int], int | None]:
        """Breadth-first from every uncovered case along alternating paths (an allowed
        pair to an auditor, then that auditor's own cases): the cases reached (each with
        the auditor it was reached through, -1 for an uncovered one), the auditors reached
        (each with the case it was reached from), and an auditor with room if one was
        reached (then the path to it covers one case more)."""
        via_auditor = {c: -1 for c in self.pairs.open_cases if c not in self.auditor_of}
        via_case: dict[int, int] = {}
        queue = deque(via_auditor)
        unreached = self.pairs.auditors
        while queue and unreached:
            case = queue.popleft()
            reached, unreached = self.pairs.take(unreached, self.pairs.barred_auditors[case])
            for auditor in reached:
                via_case[auditor] = case
                if self.has_room(auditor):
                    return via_auditor, via_case, auditor
                for held in sorted(self.cases_of[auditor]):
                    via_auditor[held] = auditor
                    queue.append(held)
        return via_auditor, via_case, None

    def augment(self, via_auditor: dict[int, int], via_case: dict[int, int], free: int) -> None:
        """Shift each case of the path to the auditor after it: one case more covered."""
        auditor = free
        while auditor != -1:
            case = via_case[auditor]
            next_auditor = via_auditor[case]
            self.give(case, auditor)
            auditor = next_auditor


def _pieces(pairs: _AllowedPairs, cases: list[int], auditors: list[int]) -> list[list[int]]:
    """The connected pieces of the allowed pairs among ``cases`` and ``auditors``; each
    piece lists its cases as c and its auditors as -1 - a."""
    unreached_cases, unreached_auditors = sorted(cases), sorted(auditors)
    pieces = []
    while unreached_cases:
        start, unreached_cases = unreached_cases[0], unreached_cases[1:]
        piece, queue = [start], deque([start])
        while queue:
            node = queue.popleft()
            if node >= 0:
                barred = pairs.barred_auditors[node]
                found, unreached_auditors = pairs.take(unreached_auditors, barred)
                found = [-1 - a for a in found]
            else:
                barred = pairs.barred_cases[-1 - node]
                found, unreached_cases = pairs.take(unreached_cases, barred)
            piece += found
            queue.extend(found)
        pieces.append(piece)
    return pieces


#: Auditors a greedy cover may try per open case, on average, before it gives up.
COVER_TRIES_PER_CASE = 64


def every_open_case_coverable(problem: MonthProblem) -> bool:
    """Whether one plan gives every open case (details known) an allowed auditor within
    capacity, found greedily: each case in turn takes the next auditor with room, in a
    round over the auditors, who may audit it (not a forbidden pair). True proves that
    the most cases any plan covers is every open case (Hall's condition holds, contract
    §4's coverage tier can be met in full); False proves nothing (the greedy gave up, or
    no such plan exists) and the caller solves.

    The forbidden pairs are sorted keys, so each try is a binary search; the tries are
    bounded (``COVER_TRIES_PER_CASE`` per case on average), so a month whose cases most
    auditors may not take costs no more than that bound."""
    index = encode_month(problem)
    open_cases = np.flatnonzero(~index.closed)
    room = index.capacity.copy()
    if int(room.clip(min=0).sum()) < len(open_cases):
        return False
    free = [int(a) for a in np.flatnonzero(room > 0)]
    forbidden = index.forbidden
    n_forbidden, n_auditors = len(forbidden), index.n_auditors
    tries_left = COVER_TRIES_PER_CASE * max(len(open_cases), 1)
    at = 0
    for case in open_cases.tolist():
        base = case * n_auditors
        while True:
            if not free or tries_left <= 0:
                return False
            tries_left -= 1
            at %= len(free)
            auditor = free[at]
            key = base + auditor
            found = int(forbidden.searchsorted(key))
            if found < n_forbidden and int(forbidden[found]) == key:
                at += 1
                continue
            room[auditor] -= 1
            if room[auditor] > 0:
                at += 1
            else:
                free.pop(at)
            break
    return True


def deficient_sets(problem: MonthProblem, plan: pd.DataFrame) -> HallDiagnosis:
    """Hall's condition from a maximum matching, which is a maximum flow of the month's
    network (source → case, 1; case → allowed auditor; auditor → sink, their capacity).

    ``plan`` (case_id, auditor_id) is made maximum first by augmenting paths (allocate's
    plan already is: coverage is its first tier; a previous plan may not be). The cases
    reached from an uncovered case along alternating paths, and the auditors reached,
    are the source side of the minimum cut: the largest deficient set K with N(K), every
    auditor of N(K) full (else a path would cover one case more). Split into its
    connected pieces, each is short by the uncovered cases in it. Cases with unknown
    details have no allowed auditor and are left to the caller."""
    index = encode_month(problem)
    pairs = _AllowedPairs(index)
    matching = _Matching(pairs, index, plan)
    while True:
        via_auditor, via_case, free = matching.search()
        if free is None:
            break
        matching.augment(via_auditor, via_case, free)
    sets = []
    for piece in _pieces(pairs, list(via_auditor), list(via_case)):
        cases = sorted(index.case_ids[[c for c in piece if c >= 0]])
        members = [-1 - a for a in piece if a < 0]
        capacity = int(index.capacity[members].sum())
        sets.append(DeficientSet(cases, sorted(index.auditor_ids[members]), capacity))
    sets.sort(key=lambda found: (-found.shortfall, found.cases))
    return HallDiagnosis(sets, len(matching.auditor_of))


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
    seen_subject: pd.DataFrame | None = None,
) -> list[Relaxation]:
    """For each relaxable rule, the steps that could let an auditor take one of
    ``case_ids`` (the deficient sets' cases), in the policy's order; ``covered`` is the
    most cases the month covers without them. All of them are solved first; then the
    shortest prefix that gains as many cases, found by bisection (coverage only grows
    with more steps), each set of steps solved once. Breaks go in their order (the
    latest granted first, §3); any other rule's steps are then cut to those the prefix's
    plan relies on, when that set gains as much. ``seen_subject`` prices freed auditors'
    fresh eyes (``relaxed``)."""
    steps = relax_units(problem, case_ids)
    solved_steps: dict[tuple[RelaxUnit, ...], MonthSolution] = {}

    def solved(units: list[RelaxUnit]) -> MonthSolution:
        key = tuple(units)
        if key not in solved_steps:
            variant = relaxed(problem, units, seen_subject)
            solved_steps[key] = solve_month(variant, config, seed, time_limit_s, check_unique=False)
        return solved_steps[key]

    def gain(units: list[RelaxUnit]) -> tuple[int, bool]:
        solution = solved(units)
        return len(solution.assignment) - covered, solution.status == "optimal"

    found = []
    for rule in RELAXABLE_RULES:
        units = steps[rule]
        if not units:
            found.append(Relaxation(rule, RELAX_WORDS[rule].nothing, 0, 0, False))
            continue
        best, proven = gain(units)
        if best <= 0:
            found.append(
                Relaxation(
                    rule,
                    f"{RELAX_WORDS[rule].everything} ({plural(len(units), 'step')}) gains no case",
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
        taken = units[:low]
        if rule != "on_break":
            used = units_used(problem, taken, solved(taken).assignment)
            if len(used) < len(taken) and gain(used)[0] == best:
                taken = used
        gained, proven = gain(taken)
        found.append(
            Relaxation(
                rule,
                describe_units(rule, taken),
                len(taken),
                gained,
                proven and gained == best,
                tuple(taken),
            )
        )
    order = {rule: position for position, rule in enumerate(RELAXABLE_RULES)}
    return sorted(found, key=lambda r: (-r.cases_gained, r.penalty, order[r.rule]))
