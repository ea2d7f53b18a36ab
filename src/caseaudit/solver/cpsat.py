"""The CP-SAT model of the month and its solve (OR-Tools ``cp_model``).

Variables exist only for eligible pairs; the proto is filled in bulk because per-variable
Python calls dominate at this size (cpsat-notes). The min-cost flow of the same network
gives a complete hint and, as the model's LP relaxation is integral, a proven lower
bound on the objective: with no side constraint CP-SAT confirms optimality at once.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model, cp_model_helper

from caseaudit.io.encode import EncodedProblem
from caseaudit.model.config import SolverConfig, WeightsConfig
from caseaudit.solver.flow import solve_flow
from caseaudit.solver.rules import (
    Costs,
    auditor_capacity,
    eligible_pairs_only,
    lexicographic_costs,
    one_auditor_per_case,
)


@dataclass(frozen=True)
class SolveResult:
    """What the solve found: the chosen pairs and how sure we are of them."""

    chosen_pairs: np.ndarray
    status: str  # "optimal" or "feasible"
    objective: int
    bound: int
    flow_objective: int
    tier_weights: tuple[int, ...]
    timings: dict[str, float] = field(default_factory=dict)
    cpsat_status: str = ""
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"{self.status}: {len(self.chosen_pairs)} pairs chosen, objective {self.objective}"
            f" (bound {self.bound}), solve {self.timings.get('solve_s', 0):.3f}s"
        )


@dataclass
class _Model:
    model: cp_model.CpModel
    n_pair_vars: int
    uncovered_offset: int
    objective_vars: np.ndarray
    objective_coeffs: np.ndarray
    slot_var_ranges: list[tuple[int, int]]
    #: True while every constraint is one of the network's (no side constraints): the
    #: min-cost flow then solves the model exactly and its value is the proof.
    is_network: bool = True


def build_model(encoded: EncodedProblem, costs: Costs) -> _Model:
    """Booleans x[p] for pairs, u[c] for "case c unallocated", s[a,k] for extra slots."""
    model = cp_model.CpModel()
    proto = model.proto
    n_pairs, n_cases = eligible_pairs_only(encoded), encoded.n_cases
    boolean = cp_model_helper.IntegerVariableProto()
    boolean.domain.extend([0, 1])
    proto.variables.extend([boolean] * (n_pairs + n_cases))
    uncovered_offset = n_pairs
    next_var = n_pairs + n_cases

    for c, pairs in enumerate(one_auditor_per_case(encoded)):
        proto.constraints.add().exactly_one.literals.extend([*pairs.tolist(), uncovered_offset + c])

    objective_vars = [np.arange(n_pairs + n_cases, dtype=np.int64)]
    objective_coeffs = [costs.pair, costs.uncovered]
    slot_ranges: list[tuple[int, int]] = []
    for a, pairs in enumerate(auditor_capacity(encoded)):
        capacity = int(encoded.auditor_capacity[a])
        if len(pairs) <= 1 and capacity >= 1:
            slot_ranges.append((next_var, next_var))
            continue
        if capacity == 1:
            proto.constraints.add().at_most_one.literals.extend(pairs.tolist())
            slot_ranges.append((next_var, next_var))
            continue
        extra = costs.slots[a][: capacity - 1]
        slot_vars = list(range(next_var, next_var + len(extra)))
        proto.variables.extend([boolean] * len(extra))
        slot_ranges.append((next_var, next_var + len(extra)))
        next_var += len(extra)
        linear = proto.constraints.add().linear
        linear.vars.extend(pairs.tolist())
        linear.coeffs.extend([1] * len(pairs))
        linear.domain.extend([0, capacity])
        if len(extra):
            # Each audit beyond the first fills one slot; cheaper slots fill first.
            overflow = proto.constraints.add().linear
            overflow.vars.extend([*pairs.tolist(), *slot_vars])
            overflow.coeffs.extend([1] * len(pairs) + [-1] * len(slot_vars))
            overflow.domain.extend([-len(slot_vars), 1])
            for earlier, later in itertools.pairwise(slot_vars):
                order = proto.constraints.add().linear
                order.vars.extend([earlier, later])
                order.coeffs.extend([1, -1])
                order.domain.extend([0, 1])
            objective_vars.append(np.array(slot_vars, dtype=np.int64))
            objective_coeffs.append(extra)
    all_vars = np.concatenate(objective_vars)
    all_coeffs = np.concatenate(objective_coeffs)
    nonzero = all_coeffs != 0
    proto.objective.vars.extend(all_vars[nonzero].tolist())
    proto.objective.coeffs.extend(all_coeffs[nonzero].tolist())
    return _Model(model, n_pairs, uncovered_offset, all_vars, all_coeffs, slot_ranges)


def _hint_values(encoded: EncodedProblem, built: _Model, chosen_pairs: np.ndarray) -> np.ndarray:
    values = np.zeros(len(built.model.proto.variables), dtype=np.int64)
    values[chosen_pairs] = 1
    covered = np.zeros(encoded.n_cases, dtype=bool)
    covered[encoded.pair_case[chosen_pairs]] = True
    values[built.uncovered_offset + np.flatnonzero(~covered)] = 1
    load = np.bincount(encoded.pair_auditor[chosen_pairs], minlength=encoded.n_auditors)
    for a, (start, stop) in enumerate(built.slot_var_ranges):
        used = max(int(load[a]) - 1, 0)
        values[start : start + min(used, stop - start)] = 1
    return values


def solve(
    encoded: EncodedProblem,
    weights: WeightsConfig,
    settings: SolverConfig,
    seed: int = 0,
    time_limit_s: float | None = None,
) -> SolveResult:
    """Solve the month: flow for the hint and bound, then CP-SAT on the full model."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    costs = lexicographic_costs(encoded, weights, seed)
    flow = solve_flow(encoded, costs)
    timings["flow_s"] = time.perf_counter() - started

    built_at = time.perf_counter()
    built = build_model(encoded, costs)
    proto = built.model.proto
    hint = _hint_values(encoded, built, flow.chosen_pairs)
    proto.solution_hint.vars.extend(range(len(hint)))
    proto.solution_hint.values.extend(hint.tolist())
    # The flow optimum is a proven lower bound: the model is the flow plus nothing that
    # could lower the cost (cpsat-notes: "the flow's optimum *is* the proof").
    upper = int(np.clip(built.objective_coeffs, 0, None).sum())
    proto.objective.domain.extend([flow.objective, max(upper, flow.objective)])
    timings["build_s"] = time.perf_counter() - built_at

    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = seed
    params.max_time_in_seconds = time_limit_s if time_limit_s is not None else settings.time_limit_s
    if built.is_network:
        # Every rule here is a network constraint, so the flow's hint meets the flow's
        # bound and the proof is immediate: one worker (deterministic), no presolve and
        # no extra LP. On the region preset (3.6M pairs) this takes CP-SAT from 11.5 s to
        # 3.7 s, and presolve alone cost 2.5 s of 2.55 s on the largest preset; presolve is
        # also where 9.15's open bugs live (cpsat-notes).
        params.num_workers = 1
        params.cp_model_presolve = False
    else:
        params.num_workers = settings.workers
        if settings.workers < 6:
            # Without it the 2-worker portfolio keeps a weak LP and cannot close the gap.
            params.extra_subsolvers.append("max_lp")
    solve_at = time.perf_counter()
    status = solver.solve(built.model)
    timings["cpsat_s"] = time.perf_counter() - solve_at
    timings["solve_s"] = time.perf_counter() - started
    notes: list[str] = []
    name = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = np.array(solver.response_proto.solution, dtype=np.int64)
        chosen = np.flatnonzero(values[: built.n_pair_vars] > 0)
        objective = round(solver.objective_value)
        bound = round(solver.best_objective_bound)
        if objective == flow.objective and not np.array_equal(chosen, flow.chosen_pairs):
            # Equal cost: keep the flow's plan so that reruns are byte-identical.
            chosen = flow.chosen_pairs
            notes.append("CP-SAT found an equal-cost plan; kept the flow's for determinism")
        result_status = "optimal" if status == cp_model.OPTIMAL else "feasible"
    else:
        chosen, objective, bound = flow.chosen_pairs, flow.objective, flow.objective
        result_status = "feasible"
        notes.append(f"CP-SAT stopped with {name}; the min-cost flow plan is used")
    return SolveResult(
        chosen_pairs=chosen,
        status=result_status,
        objective=objective,
        bound=bound,
        flow_objective=flow.objective,
        tier_weights=costs.tier_weights,
        timings=timings,
        cpsat_status=name,
        notes=tuple(notes),
    )
