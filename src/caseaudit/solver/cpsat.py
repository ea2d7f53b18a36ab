"""CP-SAT for assignment plans with side constraints (OR-Tools ``cp_model``).

Only plans with linear side constraints reach here: without them the min-cost flow is
the model and its optimum is the proof. The flow's value is a proven lower bound (it
relaxes the side constraints) and its plan a hint, never a substitute: a flow plan may
break a side constraint. With fewer than six workers the ``max_lp`` subsolver is added
by name, because the default 2-worker portfolio keeps a weak LP that cannot close the
gap on assignment models (cpsat-notes).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from caseaudit.solver.network import Capacities


@dataclass(frozen=True)
class SideConstraint:
    """``lower ≤ Σ coeff × x[pair] ≤ upper`` over named candidate pairs."""

    task: np.ndarray
    agent: np.ndarray
    coeffs: np.ndarray
    lower: int
    upper: int
    label: str = ""


@dataclass(frozen=True)
class CpSatResult:
    pair_value: np.ndarray
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, MODEL_INVALID
    objective: int
    bound: int


def _convex_load(
    model: cp_model.CpModel, load: cp_model.LinearExprT, slot_costs: np.ndarray
) -> list[tuple[cp_model.IntVar, int]]:
    """``load ≤ len(slot_costs)``; returns objective terms charging the k-th unit its
    cost (ordered unit Booleans; the costs are non-decreasing, so they fill in order)."""
    capacity = len(slot_costs)
    model.add(load <= capacity)
    if capacity == 0 or bool((slot_costs == slot_costs[0]).all()):
        base = int(slot_costs[0]) if capacity else 0
        if not base:
            return []
        total = model.new_int_var(0, capacity, "")
        model.add(total == load)
        return [(total, base)]
    units: list[cp_model.IntVar] = [model.new_bool_var("") for _ in range(capacity)]
    model.add(cp_model.LinearExpr.sum(units) == load)
    for earlier, later in itertools.pairwise(units):
        model.add_implication(later, earlier)
    return [(u, int(c)) for u, c in zip(units, slot_costs, strict=True) if c]


def solve_with_side_constraints(
    capacities: Capacities,
    pair_task: np.ndarray,
    pair_agent: np.ndarray,
    pair_cost: np.ndarray,
    side_constraints: tuple[SideConstraint, ...],
    lower_bound: int,
    hint: np.ndarray,
    seed: int,
    workers: int,
    time_limit_s: float,
    first_solution_only: bool = False,
) -> CpSatResult:
    """The plan's CP-SAT model over the given candidate pairs."""
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(len(pair_task))]
    terms: list[tuple[cp_model.IntVar, int]] = [
        (var, int(c)) for var, c in zip(x, pair_cost, strict=True) if c
    ]
    by_task: list[list[cp_model.IntVar]] = [[] for _ in range(capacities.n_tasks)]
    by_agent: list[list[cp_model.IntVar]] = [[] for _ in range(capacities.n_agents)]
    for var, task, agent in zip(x, pair_task, pair_agent, strict=True):
        by_task[task].append(var)
        by_agent[agent].append(var)
    for task, chosen in enumerate(by_task):
        demand = int(capacities.task_demand[task])
        unassigned = model.new_int_var(0, demand, "")
        model.add(cp_model.LinearExpr.sum(chosen) + unassigned == demand)
        if capacities.unassigned_cost[task]:
            terms.append((unassigned, int(capacities.unassigned_cost[task])))
    group_load: list[list[cp_model.LinearExprT]] = [[] for _ in range(capacities.n_groups)]
    for agent, chosen in enumerate(by_agent):
        load = cp_model.LinearExpr.sum(chosen)
        terms.extend(_convex_load(model, load, capacities.agent_slot_costs[agent]))
        if capacities.agent_group[agent] >= 0:
            group_load[capacities.agent_group[agent]].append(load)
    # Children before parents: a laminar family listed parents-first is walked backwards.
    for group in _children_first(capacities.group_parent):
        load = cp_model.LinearExpr.sum(group_load[group])
        terms.extend(_convex_load(model, load, capacities.group_slot_costs[group]))
        parent = capacities.group_parent[group]
        if parent >= 0:
            group_load[parent].append(load)
    index = {
        (int(t), int(a)): i for i, (t, a) in enumerate(zip(pair_task, pair_agent, strict=True))
    }
    for constraint in side_constraints:
        # A pair that is not a candidate (fixed out by its reduced cost) is 0.
        named = [
            (index[key], int(c))
            for key, c in zip(
                zip(constraint.task.tolist(), constraint.agent.tolist(), strict=True),
                constraint.coeffs,
                strict=True,
            )
            if key in index
        ]
        expression = cp_model.LinearExpr.weighted_sum(
            [x[i] for i, _ in named], [c for _, c in named]
        )
        model.add_linear_constraint(expression, constraint.lower, constraint.upper)
    objective = cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms])
    model.minimize(objective)
    model.add(objective >= lower_bound)
    for var, value in zip(x, hint, strict=True):
        model.add_hint(var, bool(value))

    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = seed
    params.num_workers = workers
    params.max_time_in_seconds = time_limit_s
    if workers < 6:
        params.extra_subsolvers.append("max_lp")
    params.stop_after_first_solution = first_solution_only
    status = solver.solve(model)
    name = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = np.array([solver.boolean_value(v) for v in x], dtype=bool)
        return CpSatResult(
            values, name, round(solver.objective_value), round(solver.best_objective_bound)
        )
    return CpSatResult(np.zeros(len(x), dtype=bool), name, 0, lower_bound)


def _children_first(parents: np.ndarray) -> list[int]:
    depth = np.zeros(len(parents), dtype=np.int64)
    for group in range(len(parents)):
        node, steps = group, 0
        while parents[node] >= 0:
            node, steps = int(parents[node]), steps + 1
        depth[group] = steps
    return [int(g) for g in np.argsort(-depth, kind="stable")]
