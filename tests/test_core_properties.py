"""Properties of the assignment core on random small problems (hypothesis).

Every answer is compared with a reading that shares no code with the core: tiny
problems are enumerated plan by plan (capacities, convex slots, nested groups and side
constraints checked one by one), larger ones go to networkx's network simplex. Then:

- the priced solve (a few candidates, pairs added by their reduced cost) and the
  full-pair solve reach the enumerated optimum, and say "unique" exactly when it is;
- the flow's node potentials price every pair: a pair of reduced cost r > 0 is in no
  optimal plan, and every plan using it costs at least the optimum plus r, so fixing it
  out is safe; ``price`` returns exactly the pairs below its threshold;
- with side constraints, CP-SAT reaches the enumerated optimum.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from caseaudit.solver.core import AssignmentProblem, SolveOptions, solve
from caseaudit.solver.cpsat import SideConstraint
from caseaudit.solver.network import Capacities, solve_flow
from caseaudit.solver.pairs import EMPTY, ExplicitPairs, ImplicitPairs, PairCost, price

#: Pricing from the pairs of small tie-break (about one a task), one more a task a round;
#: and from nothing but the must-include pairs (every other pair priced in).
PRICED = SolveOptions(price_above_pairs=0, small_ties_per_task=1, added_per_task=1)
PRICED_FROM_NOTHING = SolveOptions(price_above_pairs=0, small_ties_per_task=0, added_per_task=1)
FULL = SolveOptions(price_above_pairs=10**9)
FAST = settings(max_examples=40, deadline=None)

Plan = frozenset[tuple[int, int]]


def ints(values: object) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


# ------------------------------------------------------------------ random problems


@st.composite
def problems(
    draw: st.DrawFn,
    max_tasks: int = 4,
    max_agents: int = 5,
    max_demand: int = 1,
    min_tie_weight: int = 1,
) -> AssignmentProblem:
    """A random month in the core's terms: separable costs with ties and sparse
    corrections (negative ones too), forbidden pairs, closed tasks, capacities of 0–2
    with convex slot costs, and sometimes a group inside a group."""
    n = draw(st.integers(1, max_tasks))
    m = draw(st.integers(1, max_agents))
    small = st.integers(0, 5)
    sparse = draw(st.dictionaries(st.integers(0, n * m - 1), st.integers(-6, 6), max_size=4))
    keys = np.array(sorted(sparse), dtype=np.int64)
    seeds = st.integers(0, 2**63 - 1)
    cost = PairCost(
        task=ints(draw(st.lists(small, min_size=n, max_size=n))),
        agent=ints(draw(st.lists(small, min_size=m, max_size=m))),
        sparse_keys=keys,
        sparse_values=ints([sparse[k] for k in keys.tolist()]),
        tie_task=np.array(draw(st.lists(seeds, min_size=n, max_size=n)), dtype=np.uint64),
        tie_agent=np.array(draw(st.lists(seeds, min_size=m, max_size=m)), dtype=np.uint64),
        tie_seed=draw(st.integers(0, 99)),
        tie_range=draw(st.sampled_from([0, 1, 3])),
        tie_weight=draw(st.integers(min_tie_weight, 2)),
    )
    forbidden = sorted(draw(st.sets(st.integers(0, n * m - 1), max_size=3)))
    closed = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    closed &= np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    space = ImplicitPairs(n, m, ints(forbidden).reshape(-1), closed, cost)
    slot = st.lists(st.integers(0, 3), max_size=2).map(sorted)
    agent_group = np.full(m, -1, dtype=np.int64)
    group_parent = EMPTY
    group_slots: tuple[np.ndarray, ...] = ()
    if m > 1 and draw(st.booleans()):
        # Group 0 holds group 1; each agent is in 1, in 0 only, or in none.
        agent_group = ints(draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=m, max_size=m)))
        group_parent = ints([-1, 0])
        group_slots = tuple(
            ints(draw(st.lists(st.integers(0, 2), max_size=3).map(sorted))) for _ in range(2)
        )
    capacities = Capacities(
        task_demand=ints(draw(st.lists(st.integers(1, max_demand), min_size=n, max_size=n))),
        unassigned_cost=ints(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))),
        agent_slot_costs=tuple(ints(draw(slot)) for _ in range(m)),
        agent_group=agent_group,
        group_parent=group_parent,
        group_slot_costs=group_slots,
    )
    return AssignmentProblem(space, capacities)


def allowed_pairs(problem: AssignmentProblem) -> ExplicitPairs:
    space = problem.pairs
    return space.materialise() if isinstance(space, ImplicitPairs) else space


# ------------------------------------------------------------------ independent readings


@dataclass(frozen=True)
class Enumeration:
    """Every feasible plan of a tiny problem with its cost."""

    costs: dict[Plan, int]

    @property
    def optimum(self) -> int:
        return min(self.costs.values())

    @property
    def optimal_plans(self) -> list[Plan]:
        return [plan for plan, cost in self.costs.items() if cost == self.optimum]

    def best_with(self, pair: tuple[int, int]) -> int | None:
        using = [cost for plan, cost in self.costs.items() if pair in plan]
        return min(using) if using else None


def enumerate_plans(problem: AssignmentProblem) -> Enumeration:
    """Each task takes up to its demand of distinct allowed agents; a plan is kept when
    every agent, every group (counting its subgroups) and every side constraint holds."""
    caps = problem.capacities
    explicit = allowed_pairs(problem)
    cost = {
        (int(t), int(a)): int(c)
        for t, a, c in zip(explicit.task, explicit.agent, explicit.cost, strict=True)
    }
    choices = []
    for task in range(caps.n_tasks):
        agents = sorted(a for (t, a) in cost if t == task)
        demand = int(caps.task_demand[task])
        choices.append([c for k in range(demand + 1) for c in itertools.combinations(agents, k)])
    costs: dict[Plan, int] = {}
    for choice in itertools.product(*choices):
        plan = frozenset((t, a) for t, agents in enumerate(choice) for a in agents)
        total = sum(cost[pair] for pair in plan)
        total += sum(
            int(caps.unassigned_cost[t]) * (int(caps.task_demand[t]) - len(agents))
            for t, agents in enumerate(choice)
        )
        load = np.zeros(caps.n_agents, dtype=np.int64)
        group_load = np.zeros(caps.n_groups, dtype=np.int64)
        for _, agent in plan:
            load[agent] += 1
            group = caps.agent_group[agent]
            while group >= 0:
                group_load[group] += 1
                group = caps.group_parent[group]
        slots = [*caps.agent_slot_costs, *caps.group_slot_costs]
        if any(used > len(s) for used, s in zip([*load, *group_load], slots, strict=True)):
            continue
        total += sum(
            int(s[:used].sum()) for used, s in zip([*load, *group_load], slots, strict=True)
        )
        if all(
            c.lower
            <= sum(
                int(k) for t, a, k in zip(c.task, c.agent, c.coeffs, strict=True) if (t, a) in plan
            )
            <= c.upper
            for c in problem.side_constraints
        ):
            costs[plan] = total
    return Enumeration(costs)


def network_simplex_optimum(problem: AssignmentProblem) -> int:
    """The optimum as a min-cost flow built and solved by networkx: one arc per unit of
    each capacity, so the convex slots fill cheapest first."""
    caps = problem.capacities
    explicit = allowed_pairs(problem)
    graph = nx.MultiDiGraph()
    total = int(caps.task_demand.sum())
    graph.add_node("source", demand=-total)
    graph.add_node("sink", demand=total)

    def exit_of(group: int) -> object:
        return ("group", int(group)) if group >= 0 else "sink"

    for task in range(caps.n_tasks):
        demand = int(caps.task_demand[task])
        graph.add_edge("source", ("task", task), capacity=demand, weight=0)
        graph.add_edge(
            ("task", task), "sink", capacity=demand, weight=int(caps.unassigned_cost[task])
        )
    for t, a, c in zip(explicit.task, explicit.agent, explicit.cost, strict=True):
        graph.add_edge(("task", int(t)), ("agent", int(a)), capacity=1, weight=int(c))
    for agent, slots in enumerate(caps.agent_slot_costs):
        for unit in slots:
            graph.add_edge(
                ("agent", agent), exit_of(caps.agent_group[agent]), capacity=1, weight=int(unit)
            )
    for group, slots in enumerate(caps.group_slot_costs):
        for unit in slots:
            graph.add_edge(
                ("group", group), exit_of(caps.group_parent[group]), capacity=1, weight=int(unit)
            )
    cost, _ = nx.network_simplex(graph)
    return int(cost)


# ------------------------------------------------------------------ the properties


@FAST
@given(problems(max_demand=2))
def test_priced_and_full_solves_reach_the_optimum(problem):
    plans = enumerate_plans(problem)
    optimal = plans.optimal_plans
    for options in (PRICED, PRICED_FROM_NOTHING, FULL):
        result = solve(problem, options)
        plan = frozenset(zip(result.task.tolist(), result.agent.tolist(), strict=True))
        assert (result.status, result.objective, result.bound) == (
            "optimal",
            plans.optimum,
            plans.optimum,
        )
        assert plans.costs.get(plan) == plans.optimum
        assert result.unique == (len(optimal) == 1)


@FAST
@given(problems(max_demand=2))
def test_pairs_of_positive_reduced_cost_are_never_in_an_optimal_plan(problem):
    # The flow's potentials π: reduced cost r = cost + π(task) − π(agent). Every plan
    # using a pair costs at least the optimum plus r, so pairs with r above the gap can
    # be fixed out, and those with r > 0 are in no optimal plan.
    plans = enumerate_plans(problem)
    pairs = allowed_pairs(problem)
    flow = solve_flow(problem.capacities, pairs.task, pairs.agent, pairs.cost, potentials=True)
    assert flow.objective == plans.optimum
    reduced = pairs.cost + flow.task_potential[pairs.task] - flow.agent_potential[pairs.agent]
    chosen = flow.pair_flow > 0
    assert (reduced[chosen] <= 0).all()
    assert (reduced[~chosen] >= 0).all()
    for t, a, r in zip(pairs.task.tolist(), pairs.agent.tolist(), reduced.tolist(), strict=True):
        best = plans.best_with((t, a))
        if best is not None:
            assert best >= plans.optimum + r, (t, a, r)
        if r > 0:
            assert all((t, a) not in plan for plan in plans.optimal_plans)


@FAST
@given(
    problems(max_tasks=4, max_agents=6),
    st.data(),
)
def test_price_returns_exactly_the_pairs_below_the_threshold(problem, data):
    # Any potentials, any known set holding the negative corrections: with no per-task
    # limit ``price`` returns every allowed unknown pair whose reduced cost is below the
    # threshold; with one, some of them, and at least one for every task that has any
    # (so an empty answer proves that none is left). The cap of per_task a task is
    # checked in test_core.
    space = problem.pairs
    n, m = space.n_tasks, space.n_agents
    task_potential = ints(data.draw(st.lists(st.integers(-8, 8), min_size=n, max_size=n)))
    agent_potential = ints(data.draw(st.lists(st.integers(-8, 8), min_size=m, max_size=m)))
    pairs = space.materialise()
    keys = pairs.task * m + pairs.agent
    extra = data.draw(st.lists(st.sampled_from(keys.tolist()), max_size=4)) if len(keys) else []
    known = np.union1d(space.must_include(), ints(extra))
    threshold = data.draw(st.integers(-3, 6))
    reduced = pairs.cost + task_potential[pairs.task] - agent_potential[pairs.agent]
    expected = set(keys[(reduced < threshold) & ~np.isin(keys, known)].tolist())
    found = price(space, task_potential, agent_potential, known, threshold)
    assert set(found.tolist()) == expected
    per_task = data.draw(st.integers(1, 2))
    first_look = data.draw(st.integers(1, 3))
    some = price(
        space, task_potential, agent_potential, known, threshold, per_task, first_look
    ).tolist()
    assert set(some) <= expected
    assert {k // m for k in some} == {k // m for k in expected}


@FAST
@given(problems(max_tasks=4, max_agents=6), st.data())
def test_small_ties_are_every_allowed_pair_below_the_floor(problem, data):
    # ``ties_below`` is one pass over the pair space: exactly the allowed pairs whose
    # tie-break (before its weight) is below the floor. With them known, ``price`` may
    # skip agents by the floor and still return exactly the pairs below the threshold.
    space = problem.pairs
    n, m = space.n_tasks, space.n_agents
    pairs = space.materialise()
    keys = pairs.task * m + pairs.agent
    cost = space.cost
    floor = data.draw(st.integers(0, 4))
    tie = cost.tie(pairs.task, pairs.agent) // cost.tie_weight
    below = keys[tie < floor] if cost.tie_range else keys[:0]
    found = space.ties_below(floor)
    assert found.tolist() == sorted(below.tolist())
    task_potential = ints(data.draw(st.lists(st.integers(-8, 8), min_size=n, max_size=n)))
    agent_potential = ints(data.draw(st.lists(st.integers(-8, 8), min_size=m, max_size=m)))
    known = np.union1d(space.must_include(), found)
    threshold = data.draw(st.integers(-3, 6))
    reduced = pairs.cost + task_potential[pairs.task] - agent_potential[pairs.agent]
    expected = set(keys[(reduced < threshold) & ~np.isin(keys, known)].tolist())
    priced = price(space, task_potential, agent_potential, known, threshold, tie_floor=floor)
    assert set(priced.tolist()) == expected


@FAST
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=7),
    st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=5),
    st.integers(0, 2**32),
    st.sampled_from([1, 2, 3, 1024, 1000]),
    st.integers(1, 9),
)
def test_small_ties_in_cache_sized_blocks_are_the_mixed_ties(tasks, agents, seed, tie_range, floor):
    # ``ties_below`` hashes a block of a few tasks at a time and does the finaliser's
    # first step per side (a shift distributes over xor): with blocks of one task (many
    # blocks) it must list exactly the pairs whose ``mix`` is below the floor, the tie
    # ``PairCost`` itself computes pair by pair.
    import caseaudit.solver.pairs as pairs_module
    from caseaudit.solver.ties import fold_high, mix, mix_left, mix_rest, mix_right

    left = np.array(tasks, dtype=np.uint64)
    right = np.array(agents, dtype=np.uint64)
    n, m = len(left), len(right)
    cost = PairCost.tie_break(left, right, seed, tie_range)
    space = ImplicitPairs(n, m, EMPTY, np.zeros(n, dtype=bool), cost)
    task, agent = np.divmod(np.arange(n * m, dtype=np.int64), m)
    tie = mix(left[task], right[agent], seed) % np.uint64(tie_range)
    expected = np.flatnonzero(tie < np.uint64(floor))
    folded = fold_high(mix_left(left[task])) ^ fold_high(mix_right(right[agent], seed))
    assert (mix_rest(folded, np.empty_like(folded)) == mix(left[task], right[agent], seed)).all()
    saved = pairs_module.TIE_BLOCK_CELLS
    try:
        pairs_module.TIE_BLOCK_CELLS = 1
        assert space.ties_below(floor).tolist() == expected.tolist()
    finally:
        pairs_module.TIE_BLOCK_CELLS = saved
    assert space.ties_below(floor).tolist() == expected.tolist()


@settings(max_examples=30, deadline=None)
# Tie weight 0 too: an earlier stage of a lexicographic solve (its ties price nothing).
@given(problems(max_tasks=9, max_agents=10, max_demand=2, min_tie_weight=0))
def test_priced_solve_matches_network_simplex(problem):
    optimum = network_simplex_optimum(problem)
    assert solve(problem, PRICED).objective == optimum
    assert solve(problem, PRICED_FROM_NOTHING).objective == optimum
    assert solve(problem, FULL).objective == optimum


@st.composite
def side_constrained(draw: st.DrawFn) -> AssignmentProblem:
    """A tiny problem with one or two side constraints over its allowed pairs, solved
    over every pair (the priced path with side constraints is covered in test_core)."""
    problem = draw(problems(max_tasks=3, max_agents=4, max_demand=2))
    pairs = allowed_pairs(problem)
    constraints = []
    if len(pairs.task):
        for _ in range(draw(st.integers(1, 2))):
            chosen = draw(
                st.lists(st.integers(0, len(pairs.task) - 1), min_size=1, max_size=3, unique=True)
            )
            lower = draw(st.integers(-2, 1))
            constraints.append(
                SideConstraint(
                    pairs.task[chosen],
                    pairs.agent[chosen],
                    ints(
                        draw(
                            st.lists(st.integers(-2, 2), min_size=len(chosen), max_size=len(chosen))
                        )
                    ),
                    lower,
                    lower + draw(st.integers(0, 2)),
                )
            )
    return AssignmentProblem(
        draw(st.sampled_from([pairs, problem.pairs])), problem.capacities, tuple(constraints)
    )


@settings(max_examples=40, deadline=None)
@given(side_constrained())
def test_side_constrained_solve_reaches_the_optimum(problem):
    plans = enumerate_plans(problem)
    result = solve(problem, FULL)
    if not plans.costs:
        assert result.status == "infeasible"
        return
    plan = frozenset(zip(result.task.tolist(), result.agent.tolist(), strict=True))
    assert (result.status, result.objective) == ("optimal", plans.optimum)
    assert plans.costs.get(plan) == plans.optimum
    assert result.bound == plans.optimum
    assert result.flow_objective <= plans.optimum
