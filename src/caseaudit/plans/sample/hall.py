"""Always allocatable (issue 21): before the sample is written, the month's own rules
must let every drawn case and every due re-audit have an auditor at once — Hall's
condition, decided by the assignment core's flow.

The month's problem is the one ``plans.month.problem.build_problem`` built before the
draw, with the drawn cases added by ``with_month_cases`` (the same problem as building
it again with them in ``cases``, without building the month twice), so the check applies
exactly ``allocate``'s hard rules (eligibility, breaks, the yearly and monthly maxima,
exemptions and every conflict). Its flow covers, in order:
the due re-audits (``allocate`` covers them first), then as many drawn cases as
possible, then the earliest drawn; ``[sample] spare_auditors`` of the available
auditors are kept free by a group capacity over them all. A plan that covers every case
on a few candidates per case is its own proof; otherwise the core proves the maximum
over every allowed pair and the cases it leaves are those no plan can add.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from caseaudit.model.dataset import Dataset
from caseaudit.plans.month.adapter import encode_month
from caseaudit.plans.month.problem import MonthProblem, with_month_cases
from caseaudit.solver import (
    EMPTY,
    AssignmentProblem,
    Capacities,
    ImplicitPairs,
    PairCost,
    SolveOptions,
    max_cover,
    solve,
)

TIE_RANGE = 1 << 10
#: Candidates per case of the first, cheap check.
CANDIDATES_PER_CASE = 16


@dataclass(frozen=True)
class HallCheck:
    #: Drawn cases that no plan of the month can cover together with the others.
    uncovered: frozenset[str]
    #: Candidate replacements covered by the same plan as every covered drawn case.
    candidates_covered: frozenset[str]
    #: Due re-audits left uncovered (``allocate`` would leave them unallocated too).
    reaudits_uncovered: frozenset[str]
    #: Every unit of the available auditors' capacity (less the spare) is used.
    auditors_full: bool
    problem: MonthProblem
    proof: dict[str, object]


def check_hall(
    data: Dataset,
    before: MonthProblem,
    drawn: pd.DataFrame,
    spare: int,
    seed: int,
    candidates: pd.DataFrame | None = None,
) -> HallCheck:
    """Which drawn cases the month cannot cover, and, with ``candidates`` (possible
    replacements), which of those one plan covers beside every covered drawn case.
    ``before`` is the month's problem before the draw.

    The flow's costs are tiered so that one integer orders plans lexicographically:
    due re-audits covered first, then drawn cases, then candidates, then a seeded
    tie-break (each tier's unit exceeds everything the tiers below can add up to).
    """
    extra = candidates if candidates is not None else drawn.iloc[:0]
    problem = with_month_cases(data, before, pd.concat([drawn, extra]))
    index = encode_month(problem)
    n, m = index.n_cases, index.n_auditors
    # pandas' hashed ``isin``: numpy's sorts object arrays (seconds at national scale).
    case_ids = pd.Index(index.case_ids)
    is_drawn = np.asarray(case_ids.isin(drawn["case_id"]), dtype=bool)
    is_candidate = np.asarray(case_ids.isin(extra["case_id"]), dtype=bool)
    due = problem.cases["reaudit_due"].to_numpy(dtype=bool)
    ties = n * TIE_RANGE
    candidate_unit = ties + 1
    drawn_unit = int(is_candidate.sum()) * candidate_unit + ties + 1
    due_unit = (
        int(is_drawn.sum()) * drawn_unit + int(is_candidate.sum()) * candidate_unit + ties + 1
    )
    uncovered_cost = np.where(
        due,
        due_unit,
        np.where(is_drawn, drawn_unit, np.where(is_candidate, candidate_unit, due_unit)),
    ).astype(np.int64)
    capacity = index.capacity
    agent_slots = tuple(np.zeros(int(c), dtype=np.int64) for c in capacity)
    usable = max(int(capacity.sum()) - spare, 0)
    if spare:
        capacities = Capacities(
            task_demand=np.ones(n, dtype=np.int64),
            unassigned_cost=uncovered_cost,
            agent_slot_costs=agent_slots,
            agent_group=np.zeros(m, dtype=np.int64),
            group_parent=np.array([-1], dtype=np.int64),
            group_slot_costs=(np.zeros(usable, dtype=np.int64),),
        )
    else:
        capacities = Capacities.ungrouped(np.ones(n, dtype=np.int64), uncovered_cost, agent_slots)
    pairs = ImplicitPairs(
        n_tasks=n,
        n_agents=m,
        forbidden=index.forbidden,
        closed=index.closed,
        cost=PairCost(
            np.zeros(n, dtype=np.int64),
            np.zeros(m, dtype=np.int64),
            EMPTY,
            EMPTY,
            index.case_fingerprint,
            index.auditor_fingerprint,
            seed,
            TIE_RANGE,
        ),
    )
    assignment = AssignmentProblem(pairs, capacities)
    # First a maximum flow over a few candidates per case, costs aside: when it covers
    # every case, which plan covers them does not matter. Otherwise the tiered flow
    # over every allowed pair says, proven, which cases no plan can add.
    quick, candidate_pairs = max_cover(assignment, CANDIDATES_PER_CASE)
    covered = np.zeros(n, dtype=bool)
    if int(quick.sum()) == n:
        covered[:], status = True, "covered"
        proof = (
            f"a plan covering all {n} cases on {candidate_pairs} "
            "candidate pairs: Hall's condition holds (the plan is its own proof)"
        )
    else:
        result = solve(assignment, SolveOptions(seed=seed, check_unique=False))
        status = result.status
        proof = f"the most cases coverable, {result.proof}"
        covered[result.task] = True
    return HallCheck(
        uncovered=frozenset(index.case_ids[is_drawn & ~covered].tolist()),
        candidates_covered=frozenset(index.case_ids[is_candidate & covered].tolist()),
        reaudits_uncovered=frozenset(index.case_ids[due & ~covered].tolist()),
        auditors_full=int(covered.sum()) >= usable,
        problem=problem,
        proof={
            "cases": int((~is_candidate).sum()),
            "candidate_replacements": int(is_candidate.sum()),
            "auditors_available": m,
            "spare_auditors": spare,
            "covered": int((covered & ~is_candidate).sum()),
            "status": status,
            "proof": proof,
        },
    )
