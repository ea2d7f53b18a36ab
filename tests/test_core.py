"""The assignment core, one tiny hand-built problem per feature, the optimum argued in a
comment; then the month built from the rule lists: every hard rule, dropped from the
list, lets its forbidden pair through; the cost splits rule by rule; solves repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
import pytest

import checker
from builders import MONTH, YEAR_2025, Authority, allocated, solve
from caseaudit import build_problem, load
from caseaudit.io.tables import write_input_tables
from caseaudit.plans.month.adapter import SOFT_RULES, solve_month
from caseaudit.plans.month.rules import HARD_RULES, blocking_rules
from caseaudit.solver import cpsat
from caseaudit.solver.core import AssignmentProblem, CoreResult, SolveOptions
from caseaudit.solver.core import solve as solve_core
from caseaudit.solver.cpsat import SideConstraint, solve_with_side_constraints
from caseaudit.solver.network import Capacities
from caseaudit.solver.pairs import EMPTY, ExplicitPairs, ImplicitPairs, PairCost, price
from caseaudit.synth import generate_tables

#: Pricing from the pairs of small tie-break (about one per task; none where the cost has
#: no tie-break), one more per task per round.
PRICED = SolveOptions(price_above_pairs=0, small_ties_per_task=1, added_per_task=1)


def ints(values: Sequence[int] | np.ndarray) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def capacities(
    slots: Sequence[Sequence[int]],
    unassigned: Sequence[int],
    demand: Sequence[int] | None = None,
    agent_group: Sequence[int] | None = None,
    group_parent: Sequence[int] = (),
    group_slots: Sequence[Sequence[int]] = (),
) -> Capacities:
    """One task per ``unassigned`` cost; ``slots[a]`` is agent a's cost per unit."""
    return Capacities(
        task_demand=ints(demand if demand is not None else [1] * len(unassigned)),
        unassigned_cost=ints(unassigned),
        agent_slot_costs=tuple(ints(s) for s in slots),
        agent_group=ints(agent_group if agent_group is not None else [-1] * len(slots)),
        group_parent=ints(group_parent),
        group_slot_costs=tuple(ints(s) for s in group_slots),
    )


def table(cost: Sequence[Sequence[int | None]]) -> ExplicitPairs:
    """``cost[t][a]``, None where the pair is not allowed."""
    rows = [(t, a, c) for t, row in enumerate(cost) for a, c in enumerate(row) if c is not None]
    task, agent, value = (ints([r[i] for r in rows]) for i in range(3))
    return ExplicitPairs(task, agent, value, len(cost), len(cost[0]) if cost else 0)


def plan(result: CoreResult) -> list[tuple[int, int]]:
    return list(zip(result.task.tolist(), result.agent.tolist(), strict=True))


def separable(
    task: Sequence[int] | np.ndarray, agent: Sequence[int] | np.ndarray, **more: object
) -> PairCost:
    return PairCost(ints(task), ints(agent), **more)


# ------------------------------------------------------------------ the core's features


def test_capacity():
    # A0 is the cheapest for all three tasks but takes one; A1 takes two at 5 each. A0
    # saves 4 on T0, 3 on T1, 2 on T2: so T0 → A0 and the rest → A1, cost 1 + 5 + 5.
    problem = AssignmentProblem(
        table([[1, 5], [2, 5], [3, 5]]), capacities([[0], [0, 0]], [100, 100, 100])
    )
    result = solve_core(problem)
    assert plan(result) == [(0, 0), (1, 1), (2, 1)]
    assert (result.status, result.objective, result.bound) == ("optimal", 11, 11)
    assert result.unique is True
    assert result.proof == "min-cost flow over every allowed pair"


def test_convex_slot_costs():
    # A0 costs 1 for either task but its 2nd unit costs 10 more; A1 costs 4 for T0 and 5
    # for T1 and has one unit. Both on A0: 1 + 1 + 10 = 12; T0 → A1, T1 → A0: 4 + 1 = 5;
    # T1 → A1, T0 → A0: 5 + 1 = 6. So 5, and A0 takes one task although it is cheapest.
    problem = AssignmentProblem(table([[1, 4], [1, 5]]), capacities([[0, 10], [0]], [100, 100]))
    result = solve_core(problem)
    assert plan(result) == [(0, 1), (1, 0)]
    assert result.objective == 5
    # Without the surcharge A0 takes both (1 + 1 = 2): the slot cost decided.
    flat = AssignmentProblem(problem.pairs, capacities([[0, 0], [0]], [100, 100]))
    assert plan(solve_core(flat)) == [(0, 0), (1, 0)]


#: Two months, M1 (group 0, 2 units) and M2 (group 1, 1 unit); M1 holds the services
#: S1 (group 2, 1 unit: agents A0 at 10 and A1 at 20) and S2 (group 3, 2 units: A2 at
#: 30, A3 at 25); M2 holds S1 (group 4, 1 unit: A4 at 40). Each agent takes one unit.
NESTED = AssignmentProblem(
    table([[10, 20, 30, 25, 40]] * 3),
    capacities(
        [[0]] * 5,
        [100, 100, 100],
        agent_group=[2, 2, 3, 3, 4],
        group_parent=[-1, -1, 0, 0, 1],
        group_slots=[[0, 0], [0], [0], [0, 0], [0]],
    ),
)


def test_nested_group_capacities():
    # Three identical tasks. Agents alone: A0, A1, A3 = 10 + 20 + 25 = 55. (M1, S1) has
    # one unit, so A0 and not A1: A0, A3, A2 = 65. M1 has two units, so only A0 and A3
    # there and the third task goes to M2's A4: 10 + 25 + 40 = 75.
    result = solve_core(NESTED)
    assert sorted(result.agent.tolist()) == [0, 3, 4]
    assert result.objective == 75
    # The tasks are interchangeable, so the optimum is not unique.
    assert result.unique is False


def test_nested_group_capacities_in_cpsat():
    # The same problem with a side constraint that bars A4, M2's only agent: CP-SAT has
    # to keep the group capacities itself. M1 still takes two units, A0 and A3, and the
    # third task stays unassigned: 10 + 25 + 100 = 135. (Without the groups CP-SAT would
    # find A1 + A2 + A3 = 75, the flow's bound.)
    no_a4 = SideConstraint(ints([0, 1, 2]), ints([4, 4, 4]), ints([1, 1, 1]), 0, 0, "not A4")
    result = solve_core(AssignmentProblem(NESTED.pairs, NESTED.capacities, (no_a4,)))
    assert sorted(result.agent.tolist()) == [0, 3]
    assert (result.status, result.objective, result.flow_objective) == ("optimal", 135, 75)


def test_convex_group_capacity():
    # A0 (cost 1) and A1 (cost 2) share group 0, whose 2nd unit costs 6; A2 costs 6 and
    # is in no group. Two tasks: A0 + A1 = 1 + 2 + 6 = 9, A0 + A2 = 1 + 6 = 7. So 7.
    problem = AssignmentProblem(
        table([[1, 2, 6], [1, 2, 6]]),
        capacities(
            [[0], [0], [0]],
            [100, 100],
            agent_group=[0, 0, -1],
            group_parent=[-1],
            group_slots=[[0, 6]],
        ),
    )
    result = solve_core(problem)
    assert sorted(result.agent.tolist()) == [0, 2]
    assert result.objective == 7


class _RecordingSolver(cpsat.cp_model.CpSolver):
    """A CP-SAT solver that records the parameters of every solve."""

    parameters_seen: ClassVar[list[object]] = []

    def solve(self, *args: object, **kwargs: object) -> object:
        type(self).parameters_seen.append(self.parameters)
        return super().solve(*args, **kwargs)


def test_side_constraint_the_flow_plan_breaks(monkeypatch):
    # T0 costs 1 on A0, T1 costs 1 on A1: the flow's plan, cost 2. The side constraint
    # allows at most one of A0, A1 to be used. Then T0 → A0 and T1 → A2 costs 1 + 8 = 9,
    # T1 → A1 and T0 → A2 costs 1 + 9 = 10: the optimum is 9. Swapping in the flow's
    # plan (cheaper, 2) would break the constraint.
    _RecordingSolver.parameters_seen = []
    monkeypatch.setattr(cpsat.cp_model, "CpSolver", _RecordingSolver)
    pairs = table([[1, 5, 9], [5, 1, 8]])
    caps = capacities([[0], [0], [0]], [100, 100])
    one_of = SideConstraint(ints([0, 1, 0, 1]), ints([0, 0, 1, 1]), ints([1, 1, 1, 1]), 0, 1)
    unconstrained = solve_core(AssignmentProblem(pairs, caps))
    assert plan(unconstrained) == [(0, 0), (1, 1)]
    result = solve_core(AssignmentProblem(pairs, caps, (one_of,)), SolveOptions(workers=2))
    assert plan(result) == [(0, 0), (1, 2)]
    assert (result.status, result.objective, result.bound) == ("optimal", 9, 9)
    assert result.flow_objective == 2
    assert "CP-SAT" in result.proof
    # Two workers: the max_lp subsolver was added by name to every CP-SAT solve.
    assert _RecordingSolver.parameters_seen
    for parameters in _RecordingSolver.parameters_seen:
        assert parameters.num_workers == 2  # type: ignore[attr-defined]
        assert "max_lp" in parameters.extra_subsolvers  # type: ignore[attr-defined]


def test_side_constraint_over_a_pair_fixed_out_counts_it_as_zero():
    # Reduced-cost fixing can drop a pair named by a side constraint from CP-SAT's model
    # (it cannot be in a better plan): the constraint then reads it as 0. "Pair (0, 2)
    # at least once" cannot hold without that pair; "(0, 2) + (1, 1) ≤ 1" holds with
    # T1 → A1, so T0 → A0, T1 → A1 at 3 + 4.
    caps = capacities([[0], [0], [0]], [50, 50])
    args = {
        "capacities": caps,
        "pair_task": ints([0, 1]),
        "pair_agent": ints([0, 1]),
        "pair_cost": ints([3, 4]),
        "lower_bound": 0,
        "hint": np.zeros(2, dtype=bool),
        "seed": 0,
        "workers": 2,
        "time_limit_s": 10.0,
    }
    at_most = SideConstraint(ints([0, 1]), ints([2, 1]), ints([1, 1]), 0, 1)
    result = solve_with_side_constraints(side_constraints=(at_most,), **args)
    assert (result.status, result.objective) == ("OPTIMAL", 7)
    at_least = SideConstraint(ints([0]), ints([2]), ints([1]), 1, 1)
    result = solve_with_side_constraints(side_constraints=(at_least,), **args)
    assert result.status == "INFEASIBLE"


#: Two tasks, forty agents costing 0, 1, …, 39 to anyone; at most one of A0, A1 used.
#: The optimum is one task on A0 and the other on A2: 0 + 2 = 2.
FORTY = AssignmentProblem(
    ImplicitPairs(2, 40, EMPTY, np.zeros(2, dtype=bool), separable([0, 0], list(range(40)))),
    capacities([[0]] * 40, [100, 100]),
    (SideConstraint(ints([0, 0, 1, 1]), ints([0, 1, 0, 1]), ints([1, 1, 1, 1]), 0, 1),),
)


def test_side_constraint_over_every_pair():
    result = solve_core(FORTY)
    assert sorted(result.agent.tolist()) == [0, 2]
    assert (result.status, result.objective) == ("optimal", 2)


def test_side_constraint_over_a_priced_pair_space():
    # The same problem, priced (no tie-break, so from no candidate, one more per task a
    # round): A2 is not a candidate (the flow needs only A0, A1) but the side constraint
    # needs it. CP-SAT's first plan over
    # the candidates (T1 → A20, cost 20) is optimal there, but the pairs within the gap
    # 20 − 1 are priced in, A2 among them, and the re-solve finds cost 2.
    result = solve_core(FORTY, PRICED)
    assert sorted(result.agent.tolist()) == [0, 2]
    assert (result.status, result.objective) == ("optimal", 2)


def test_price_adds_at_most_per_task_pairs_a_task():
    # Every pair costs 0. Potentials: T2 at −1, A1 at 6, so T2's reduced costs are −7 on
    # A1 and −1 on the four others. Asked for two per task, looking first at one agent,
    # T2 finds A1 there; whatever it adds from the rest, it may not exceed two.
    space = ImplicitPairs(4, 5, EMPTY, np.zeros(4, dtype=bool), separable([0] * 4, [0] * 5))
    found = price(space, ints([0, 0, -1, 0]), ints([0, 6, 0, 0, 0]), EMPTY, 0, 2, 1)
    per_task = np.bincount(found // 5, minlength=4)
    assert set(per_task.tolist()) <= {1, 2}


def test_task_nobody_may_take():
    # T1 has no allowed pair: it stays unassigned at its cost 7, whatever is free; T0
    # goes to its cheaper agent. 2 + 7 = 9.
    problem = AssignmentProblem(table([[2, 3], [None, None]]), capacities([[0], [0]], [100, 7]))
    result = solve_core(problem)
    assert plan(result) == [(0, 0)]
    assert (result.status, result.objective) == ("optimal", 9)


def test_closed_task_and_forbidden_pair_in_an_implicit_space():
    # Agents cost 0, 5, 9 to anyone. T0 may not take A0; T2 is closed (unassigned, 7).
    # T1 → A0 and T0 → A1: 0 + 5; T0 → A2 instead would cost 9. So 5 + 7 = 12.
    space = ImplicitPairs(
        3,
        3,
        forbidden=ints([0]),
        closed=np.array([False, False, True]),
        cost=separable([0, 0, 0], [0, 5, 9]),
    )
    problem = AssignmentProblem(space, capacities([[0]] * 3, [100, 100, 7]))
    for options in (SolveOptions(), PRICED):
        result = solve_core(problem, options)
        assert plan(result) == [(0, 1), (1, 0)]
        assert (result.status, result.objective) == ("optimal", 12)
    assert space.count == 5


def test_task_demand_above_one():
    # T0 needs two agents, T1 one; each agent takes one unit and a pair carries at most
    # one. All three agents are used: T1 → A0 leaves T0 {A1, A2} = 1 + 2 + 4 = 7;
    # T1 → A1: 3 + 1 + 4 = 8; T1 → A2: 5 + 1 + 2 = 8. Leaving a unit costs 10. So 7.
    problem = AssignmentProblem(
        table([[1, 2, 4], [1, 3, 5]]), capacities([[0]] * 3, [10, 10], demand=[2, 1])
    )
    result = solve_core(problem)
    assert plan(result) == [(0, 1), (0, 2), (1, 0)]
    assert result.objective == 7


def test_candidate_limit_is_feasible_not_proven():
    # One task, five agents; limited to one candidate the core solves over that one and
    # says so: feasible, with no proof for the other pairs.
    problem = AssignmentProblem(
        ImplicitPairs(1, 5, EMPTY, np.zeros(1, dtype=bool), separable([0], [4, 3, 2, 1, 0])),
        capacities([[0]] * 5, [100]),
    )
    result = solve_core(problem, SolveOptions(candidate_limit=1))
    assert result.status == "feasible"
    assert result.proof == "none: candidates limited to 1 per task"
    assert (result.stats["candidate_pairs"], result.stats["allowed_pairs"]) == (1, 5)
    assert result.unique is None
    assert any("candidates limited to 1" in note for note in result.notes)


def test_unique_flags_equal_optima():
    # Tie range 0 and two identical agents: either takes the task at 3, two optima.
    # With A1 at 4 instead, A0 is the only optimum.
    tied = AssignmentProblem(table([[3, 3]]), capacities([[0], [0]], [100]))
    assert solve_core(tied).unique is False
    single = AssignmentProblem(table([[3, 4]]), capacities([[0], [0]], [100]))
    assert solve_core(single).unique is True
    # Unassigned at the same cost as the one agent is a second optimum too.
    even = AssignmentProblem(table([[3]]), capacities([[0]], [3]))
    assert solve_core(even).unique is False


def test_unique_flag_sees_unbuilt_pairs_of_zero_reduced_cost():
    # Priced (no tie-break, so from no candidate, one more per task a round): T0's equal
    # second agent is never built, yet the optimum is not unique. Ten agents, A3 and A7 both at 0.
    agent_cost = [5, 5, 5, 0, 5, 5, 5, 0, 5, 5]
    space = ImplicitPairs(1, 10, EMPTY, np.zeros(1, dtype=bool), separable([0], agent_cost))
    result = solve_core(AssignmentProblem(space, capacities([[0]] * 10, [100])), PRICED)
    assert result.objective == 0
    assert result.unique is False
    assert result.stats["candidate_pairs"] < result.stats["allowed_pairs"]


def test_priced_solves_repeat_exactly():
    # A region-like month in miniature: 300 tasks, 400 agents of capacity 1 or 2,
    # forbidden pairs, costs 0–7 plus a tie-break of 0–3, so equal optima abound; priced
    # from nothing, two pairs per task a round, so over several rounds. Two solves give
    # the same plan, and the full-pair solve the same objective.
    rng = np.random.default_rng(7)
    n, m = 300, 400
    forbidden = np.unique(rng.integers(0, n * m, 3000)).astype(np.int64)
    space = ImplicitPairs(
        n,
        m,
        forbidden,
        rng.random(n) < 0.02,
        separable(
            rng.integers(0, 3, n),
            rng.integers(0, 6, m),
            tie_task=rng.integers(0, 2**63, n, dtype=np.uint64),
            tie_agent=rng.integers(0, 2**63, m, dtype=np.uint64),
            tie_seed=3,
            tie_range=4,
        ),
    )
    slots = [[0] if c == 1 else [0, 2] for c in rng.integers(1, 3, m)]
    problem = AssignmentProblem(space, capacities(slots, [50] * n))
    options = SolveOptions(price_above_pairs=0, small_ties_per_task=0, added_per_task=2)
    first, second = solve_core(problem, options), solve_core(problem, options)
    assert first.stats["pricing_rounds"] > 1
    assert np.array_equal(first.task, second.task)
    assert np.array_equal(first.agent, second.agent)
    assert (first.objective, first.unique) == (second.objective, second.unique)
    assert first.unique is False
    assert solve_core(problem).objective == first.objective


# ------------------------------------------------------------------ rules drive the model


def _fair_spread_history(authority: Authority, auditor: str, count: int) -> None:
    for number, month in enumerate(YEAR_2025[:count]):
        authority.history(month, f"H-{auditor}{number}", auditor)


def _base(forbidden: Callable[[Authority], dict[str, str]], fallbacks: int = 1) -> Authority:
    """P1, whom ``forbidden`` bars from C1 by one rule (and returns C1's details), and
    P2… with three audits this year each: fair spread prefers P1 (none) to them by 6,
    so C1 → P1 unless a rule forbids it."""
    authority = Authority()
    case_details = forbidden(authority)
    for number in range(2, 2 + fallbacks):
        authority.auditors(f"P{number}")
        _fair_spread_history(authority, f"P{number}", 3)
    return authority.case("C1", **case_details)


def _direct(authority: Authority) -> dict[str, str]:
    # P1 is C1's IRO.
    authority.staff("P1", role="iro", service="Safeguarding")
    return {"iro": "P1"}


def _management_chain(authority: Authority) -> dict[str, str]:
    # P1 (no team) manages TM2, C1's team manager, and so W2, its worker.
    authority.staff("P1", role="group_manager", service="Safeguarding", manager="HS1")
    authority.staff("TM2", role="team_manager", team="Team 2", manager="P1", auditor=False)
    authority.staff("W2", role="social_worker", team="Team 2", manager="TM2", auditor=False)
    return {"team": "Team 2", "worker": "W2", "manager": "TM2"}


def _same_team(authority: Authority) -> dict[str, str]:
    # P1 is in Team 1 of Safeguarding, C1's team, outside the chain above SW1.
    authority.staff("P1", role="team_manager", team="Team 1", manager="GM1")
    return {}


def _declared(authority: Authority) -> dict[str, str]:
    authority.auditors("P1")
    authority.add("conflicts", auditor_id="P1", subject_id="S-C1", reason="relative")
    return {}


def _eligible(authority: Authority) -> dict[str, str]:
    # P1 starts on 2 March: not active for the whole month.
    authority.staff("P1", active_from="2026-03-02")
    return {}


def _on_break(authority: Authority) -> dict[str, str]:
    # P1's on-time request: with five eligible auditors the cap is 1, so it is granted.
    authority.auditors("P1")
    authority.add("breaks", auditor_id="P1", month=MONTH, requested_on="2026-02-01")
    return {}


def _exempted(authority: Authority) -> dict[str, str]:
    # P1 (P&Q) is exempted from C1 by SL1, the Strategic Lead: honoured.
    authority.auditors("P1")
    authority.add(
        "exemptions",
        case_id="C1",
        month=MONTH,
        auditor_id="P1",
        requested_on="2026-03-02",
        decision="approved",
        decided_by="SL1",
        decided_on="2026-03-03",
    )
    return {}


def _yearly_max(authority: Authority) -> dict[str, str]:
    # P1 has ten audits this year (fair spread 20). P2 gets six more here, nine with
    # the base's three, one of them of C1's subject: 18 + 10 for fresh eyes = 28.
    authority.auditors("P1")
    _fair_spread_history(authority, "P1", 10)
    for number, month in enumerate(YEAR_2025[3:8]):
        authority.history(month, f"H-P2x{number}", "P2")
    authority.history("2026-01", "OLD", "P2", subject="S-C1")
    return {}


RULE_CASES: dict[str, tuple[Callable[[Authority], dict[str, str]], int]] = {
    "eligible": (_eligible, 1),
    "direct": (_direct, 1),
    "management_chain": (_management_chain, 1),
    "same_team": (_same_team, 1),
    "declared": (_declared, 1),
    "exempted": (_exempted, 1),
    "on_break": (_on_break, 4),
    "yearly_max": (_yearly_max, 1),
}


def test_every_hard_rule_but_the_monthly_maximum_has_a_case():
    assert set(RULE_CASES) == {rule.id for rule in HARD_RULES} - {"monthly_max"}


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_dropping_a_rule_lets_its_forbidden_pair_through(rule_id, tmp_path):
    forbidden, fallbacks = RULE_CASES[rule_id]
    authority = _base(forbidden, fallbacks)
    # The month goes to someone else (P2, or one of P2…P5 by the tie-break) ...
    chosen = allocated(solve(authority, tmp_path))["C1"]
    assert chosen != "P1"
    data = load(tmp_path / "data", MONTH)
    problem = build_problem(data, MONTH)
    # ... because that rule, and only that rule, forbids P1 for C1 ...
    assert [b.rule for b in blocking_rules(problem, "C1", "P1")] == [rule_id]
    assert checker.RuleReading(tmp_path / "data", MONTH).forbidding("C1", "P1") == {rule_id}
    assert solve_month(problem, data.config, seed=0).assignment["auditor_id"].tolist() == [chosen]
    # ... and without the rule, to P1.
    dropped = build_problem(
        data, MONTH, hard_rules=[rule for rule in HARD_RULES if rule.id != rule_id]
    )
    assert blocking_rules(dropped, "C1", "P1") == []
    solution = solve_month(dropped, data.config, seed=0)
    assignment = solution.assignment
    assert dict(zip(assignment["case_id"], assignment["auditor_id"], strict=True)) == {"C1": "P1"}


def _plain(authority: Authority) -> dict[str, str]:
    authority.auditors("P1")
    return {}


def test_dropping_the_monthly_maximum_lets_one_auditor_take_two(tmp_path):
    # P1 has no audit this year, P2 three. One a month: one case each. Without the
    # monthly rule, P1 takes both: 0 + 0 + a 2nd-audit surcharge of 2 beats P2's 6.
    authority = _base(_plain).case("C2")
    data = load(authority.write(tmp_path / "data"), MONTH)
    problem = build_problem(data, MONTH)
    assert sorted(solve_month(problem, data.config, 0).assignment["auditor_id"]) == ["P1", "P2"]
    dropped = build_problem(
        data, MONTH, hard_rules=[r for r in HARD_RULES if r.id != "monthly_max"]
    )
    assert solve_month(dropped, data.config, 0).assignment["auditor_id"].tolist() == ["P1", "P1"]


# ------------------------------------------------------------------ blocking_rules


@pytest.mark.parametrize(
    ("preset", "seed", "config_toml"),
    [
        ("small", 0, ""),
        ("small", 3, "[policy]\nmax_audits_per_year = 7\n"),  # a seed whose month grants breaks
        ("median", 1, "[policy]\nmax_audits_per_year = 8\n[conflicts]\nsame_team = false\n"),
        ("median", 4, "[conflicts]\nmanagement_chain = false\n"),
    ],
)
def test_blocking_rules_agree_with_the_checker(preset, seed, config_toml, tmp_path):
    # Every (case, auditor) pair of a generated month: the rules that block it, in the
    # order of HARD_RULES, are the rules the independent checker reads from the files.
    write_input_tables(tmp_path, generate_tables(preset, seed, MONTH), "csv")
    if config_toml:
        (tmp_path / "config.toml").write_text(config_toml)
    problem = build_problem(load(tmp_path, MONTH), MONTH)
    reading = checker.RuleReading(tmp_path, MONTH)
    order = [rule.id for rule in HARD_RULES]
    seen: set[str] = set()
    for case_id in problem.allocatable_cases["case_id"]:
        for auditor_id in problem.auditors["staff_id"]:
            blockers = [b.rule for b in blocking_rules(problem, case_id, auditor_id)]
            expected = reading.forbidding(case_id, auditor_id)
            assert blockers == [r for r in order if r in expected], (case_id, auditor_id)
            assert bool(blockers) == reading.forbids(case_id, auditor_id)
            seen |= expected
    # The generated month reaches the rules the test is meant to compare.
    assert {"eligible", "direct", "declared", "on_break", "exempted"} <= seen


# ------------------------------------------------------------------ the cost, rule by rule


def test_cost_parts_add_up_to_the_objective(tmp_path):
    # Two a month. P1 (one audit: C9's, inadequate, so C9 is an overdue re-audit with P1
    # as its original auditor) declared conflicts with C1's, C4's and C9's subjects; P2
    # (three audits, one of C1's subject) declared one with C4's. So C1 → P2 (fresh eyes:
    # 10), C9 → P2 (not its original auditor: 30), C2 → P1, C4 nobody (coverage 1).
    # Fair spread: 2 × (3 + 3 + 1) per pair, plus P2's 2nd audit 2: 16.
    authority = Authority().auditors("P1", "P2")
    authority.config_toml = "[policy]\nmax_audits_per_month = 2\n"
    authority.case("C9", month="2026-01").case("C1").case("C2").case("C4")
    authority.history("2026-01", "C9", "P1", judgement="inadequate", confirmed="2026-01-10")
    authority.history("2025-09", "SEEN", "P2", subject="S-C1")
    _fair_spread_history(authority, "P2", 2)
    for subject in ("S-C1", "S-C4", "S-C9"):
        authority.add("conflicts", auditor_id="P1", subject_id=subject)
    authority.add("conflicts", auditor_id="P2", subject_id="S-C4")
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C1": "P2", "C2": "P1", "C9": "P2"}
    data = load(tmp_path / "data", MONTH)
    solution = solve_month(build_problem(data, MONTH), data.config, seed=0)
    parts = solution.cost_parts
    assert {rule: parts[rule] for rule in parts if rule != "tie_break"} == {
        "coverage": 1,
        "minimal_change": 0,
        "original_auditor": 30,
        "fair_spread": 16,
        "fresh_eyes": 10,
    }
    _assert_parts_add_up(solution.cost_parts, solution.tier_weights, solution.objective)


def test_cost_parts_add_up_on_a_generated_month(tmp_path):
    write_input_tables(tmp_path, generate_tables("median", 2, MONTH), "csv")
    (tmp_path / "config.toml").write_text("[policy]\nmax_audits_per_month = 2\n")
    data = load(tmp_path, MONTH)
    problem = build_problem(data, MONTH)
    assert problem.cases["is_reaudit"].any()
    solution = solve_month(problem, data.config, seed=0)
    assert solution.status == "optimal"
    assert solution.cost_parts["fair_spread"] > 0
    _assert_parts_add_up(solution.cost_parts, solution.tier_weights, solution.objective)


def _assert_parts_add_up(parts: dict[str, int], weights: dict[str, int], objective: int) -> None:
    tier = {rule.id: rule.tier for rule in SOFT_RULES}
    assert set(parts) == set(tier)
    assert sum(weights[tier[rule]] * value for rule, value in parts.items()) == objective
