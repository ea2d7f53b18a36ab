"""The assignment core as a min-cost flow (OR-Tools ``SimpleMinCostFlow``).

Source → case (1) → auditor (one arc per eligible pair) → sink (one arc per capacity
slot), plus case → sink at the cost of leaving the case unallocated. With no side
constraints this *is* the model, so the flow's optimum is the model's optimum and its
value a valid lower bound in any case (the flow relaxes every side constraint).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from caseaudit.io.encode import EncodedProblem
from caseaudit.solver.rules import Costs


@dataclass(frozen=True)
class FlowSolution:
    chosen_pairs: np.ndarray
    objective: int


def solve_flow(encoded: EncodedProblem, costs: Costs) -> FlowSolution:
    n, m, p = encoded.n_cases, encoded.n_auditors, encoded.n_pairs
    source, sink = 0, n + m + 1
    case_node = np.arange(1, n + 1, dtype=np.int64)
    auditor_node = np.arange(n + 1, n + m + 1, dtype=np.int64)
    slot_tails: list[np.ndarray] = []
    slot_costs: list[np.ndarray] = []
    for a in range(m):
        capacity = int(encoded.auditor_capacity[a])
        extra = costs.slots[a][: max(capacity - 1, 0)]
        slot_tails.append(np.full(capacity, auditor_node[a], dtype=np.int64))
        slot_costs.append(np.concatenate([np.zeros(1, dtype=np.int64), extra])[:capacity])
    tails = np.concatenate(
        [
            np.full(n, source, dtype=np.int64),
            case_node[encoded.pair_case],
            case_node,
            *slot_tails,
        ]
    )
    heads = np.concatenate(
        [
            case_node,
            auditor_node[encoded.pair_auditor],
            np.full(n, sink, dtype=np.int64),
            np.full(sum(len(s) for s in slot_tails), sink, dtype=np.int64),
        ]
    )
    unit_costs = np.concatenate(
        [np.zeros(n, dtype=np.int64), costs.pair, costs.uncovered, *slot_costs]
    )
    capacities = np.ones(len(tails), dtype=np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, unit_costs)
    supplies = np.zeros(n + m + 2, dtype=np.int64)
    supplies[source], supplies[sink] = n, -n
    flow.set_nodes_supplies(np.arange(n + m + 2, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    pair_arcs = np.arange(n, n + p, dtype=np.int64)
    chosen = np.flatnonzero(flow.flows(pair_arcs) > 0) if p else np.zeros(0, dtype=np.int64)
    return FlowSolution(chosen_pairs=chosen, objective=int(flow.optimal_cost()))
