"""The assignment core as a min-cost flow, and the node potentials that prove it.

Nodes: source → task (its demand) → agent (one arc per candidate pair) → the agent's
innermost group → … → outermost group → sink, plus task → sink at the cost of leaving a
unit unassigned. Capacities with convex costs are parallel unit-cost arcs, filled
cheapest first. With no side constraint this network *is* the model, so the flow's
optimum is the model's optimum; with side constraints its value is a lower bound.

OR-Tools' ``SimpleMinCostFlow`` returns flows and the optimal cost but no duals, so the
potentials are recomputed as shortest distances in the residual graph of the optimal
flow from a virtual root joined to every node at cost 0 (no negative cycle exists at
an optimum). A label-correcting Bellman–Ford relaxes, each round, only the arcs out of
nodes whose distance changed in the round before, vectorised in numpy.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from caseaudit.solver.pairs import EMPTY


@dataclass(frozen=True)
class Capacities:
    """Agent and group capacities, each a non-decreasing cost per unit (convex)."""

    task_demand: np.ndarray
    unassigned_cost: np.ndarray
    agent_slot_costs: tuple[np.ndarray, ...]
    #: Innermost group of each agent, -1 for none.
    agent_group: np.ndarray
    #: Parent of each group (a laminar family), -1 for the outermost.
    group_parent: np.ndarray
    group_slot_costs: tuple[np.ndarray, ...]
    #: Tasks that may be left unassigned (None: all). An earlier stage of a lexicographic
    #: solve forbids it where every plan optimal for that stage assigns the task.
    may_leave: np.ndarray | None = None
    #: Units each agent must take (its first slots; None: none), where every plan optimal
    #: for an earlier stage fills them. Those slots become the agent's demand.
    agent_min_load: np.ndarray | None = None

    @classmethod
    def ungrouped(
        cls,
        task_demand: np.ndarray,
        unassigned_cost: np.ndarray,
        agent_slot_costs: tuple[np.ndarray, ...],
    ) -> Capacities:
        """Capacities of agents that share no group capacity (the month, moderation)."""
        return cls(
            task_demand=task_demand,
            unassigned_cost=unassigned_cost,
            agent_slot_costs=agent_slot_costs,
            agent_group=np.full(len(agent_slot_costs), -1, dtype=np.int64),
            group_parent=EMPTY,
            group_slot_costs=(),
        )

    @property
    def n_tasks(self) -> int:
        return len(self.task_demand)

    @property
    def n_agents(self) -> int:
        return len(self.agent_slot_costs)

    @property
    def n_groups(self) -> int:
        return len(self.group_parent)


@dataclass(frozen=True)
class FlowResult:
    #: Units on each candidate pair (0 or 1).
    pair_flow: np.ndarray
    objective: int
    task_potential: np.ndarray
    agent_potential: np.ndarray
    potential_rounds: int
    #: The sink's potential: with it, the reduced costs of the unassigned and slot arcs.
    sink_potential: int = 0
    #: Seconds spent on the potentials (shortest distances and tight arcs).
    potential_s: float = 0.0
    #: The residual arcs of reduced cost 0 under the potentials (when computed), and
    #: the node and arc layout needed to add unbuilt pairs to them.
    tight_tail: np.ndarray = field(default_factory=lambda: EMPTY)
    tight_head: np.ndarray = field(default_factory=lambda: EMPTY)
    n_nodes: int = 0
    first_agent_node: int = 0
    #: Position in (tight_tail, tight_head) of the residual arcs of candidate pairs.
    tight_pair: np.ndarray = field(default_factory=lambda: EMPTY)


def _slot_arcs(
    slot_costs: tuple[np.ndarray, ...], tails: np.ndarray, heads: np.ndarray, merge: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One arc per unit of capacity (or per run of equal unit costs when ``merge``)."""
    lengths = np.array([len(c) for c in slot_costs], dtype=np.int64)
    if not lengths.sum():
        return EMPTY, EMPTY, EMPTY, EMPTY
    owner = np.repeat(np.arange(len(slot_costs)), lengths)
    values = np.concatenate(slot_costs).astype(np.int64)
    counts = np.ones(len(values), dtype=np.int64)
    if merge:
        # Runs of equal unit cost within one owner become one arc of that capacity.
        starts = np.ones(len(values), dtype=bool)
        starts[1:] = (owner[1:] != owner[:-1]) | (values[1:] != values[:-1])
        first = np.flatnonzero(starts)
        counts = np.diff(np.append(first, len(values)))
        owner, values = owner[first], values[first]
    return tails[owner], heads[owner], counts, values


def solve_flow(
    capacities: Capacities,
    pair_task: np.ndarray,
    pair_agent: np.ndarray,
    pair_cost: np.ndarray,
    potentials: bool = False,
) -> FlowResult:
    """The min-cost flow over the candidate pairs; with ``potentials``, also the duals."""
    n, m, g = capacities.n_tasks, capacities.n_agents, capacities.n_groups
    source, sink = 0, n + m + g + 1
    task_node = np.arange(1, n + 1, dtype=np.int64)
    agent_node = np.arange(n + 1, n + m + 1, dtype=np.int64)
    group_node = np.arange(n + m + 1, n + m + g + 1, dtype=np.int64)
    # Each agent drains into its innermost group, each group into its parent; the
    # outermost ones into the sink.
    exit_node = np.append(group_node, sink)
    agent_next = exit_node[np.where(capacities.agent_group >= 0, capacities.agent_group, g)]
    group_next = exit_node[np.where(capacities.group_parent >= 0, capacities.group_parent, g)]
    # Agents keep one arc per unit (capacities are small; the arc layout, and so the
    # flow's choice among equal optima, stays that of earlier releases); groups, whose
    # capacities run into thousands, get one arc per run of equal unit costs.
    min_load = capacities.agent_min_load
    agent_slots = capacities.agent_slot_costs
    if min_load is not None:
        # Slots that must be filled are not arcs: the agent demands their units instead.
        agent_slots = tuple(c[int(k) :] for c, k in zip(agent_slots, min_load, strict=True))
    agent_arcs = _slot_arcs(agent_slots, agent_node, agent_next, merge=False)
    group_arcs = _slot_arcs(capacities.group_slot_costs, group_node, group_next, merge=True)
    demand = capacities.task_demand.astype(np.int64)
    leave = demand if capacities.may_leave is None else demand * capacities.may_leave
    tails = np.concatenate(
        [
            np.full(n, source, dtype=np.int64),
            task_node[pair_task],
            task_node,
            agent_arcs[0],
            group_arcs[0],
        ]
    )
    heads = np.concatenate(
        [
            task_node,
            agent_node[pair_agent],
            np.full(n, sink, dtype=np.int64),
            agent_arcs[1],
            group_arcs[1],
        ]
    )
    caps = np.concatenate(
        [demand, np.ones(len(pair_task), dtype=np.int64), leave, agent_arcs[2], group_arcs[2]]
    )
    costs = np.concatenate(
        [
            np.zeros(n, dtype=np.int64),
            pair_cost.astype(np.int64),
            capacities.unassigned_cost.astype(np.int64),
            agent_arcs[3],
            group_arcs[3],
        ]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[source], supplies[sink] = int(demand.sum()), -int(demand.sum())
    if min_load is not None:
        supplies[agent_node] = -min_load
        supplies[sink] += int(min_load.sum())
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    arcs = np.arange(len(tails), dtype=np.int64)
    flows = flow.flows(arcs) if len(arcs) else EMPTY
    pair_flow = flows[n : n + len(pair_task)]
    result = FlowResult(
        pair_flow=pair_flow,
        objective=int(flow.optimal_cost()),
        task_potential=EMPTY,
        agent_potential=EMPTY,
        potential_rounds=0,
    )
    # OR-Tools' graph is not needed past here: freed before the residual graph is built
    # (national: a few hundred MB less at the peak).
    del flow
    if not potentials:
        return result
    started = time.perf_counter()
    distance, rounds = residual_distances(sink + 1, tails, heads, caps, costs, flows)
    reduced = costs + distance[tails] - distance[heads]
    forward = (flows < caps) & (reduced == 0)
    backward = (flows > 0) & (reduced == 0)
    is_pair = np.zeros(len(tails), dtype=bool)
    is_pair[n : n + len(pair_task)] = True
    return dataclasses.replace(
        result,
        task_potential=distance[task_node],
        agent_potential=distance[agent_node],
        potential_rounds=rounds,
        sink_potential=int(distance[sink]),
        potential_s=time.perf_counter() - started,
        tight_tail=np.concatenate([tails[forward], heads[backward]]),
        tight_head=np.concatenate([heads[forward], tails[backward]]),
        n_nodes=sink + 1,
        first_agent_node=n + 1,
        tight_pair=np.flatnonzero(np.concatenate([is_pair[forward], is_pair[backward]])),
    )


def unique_plan(flow: FlowResult, extra_task: np.ndarray, extra_agent: np.ndarray) -> bool:
    """Whether no other plan has the flow's cost: a different plan of equal cost exists
    exactly when some pair's residual arc lies on a cycle of reduced cost 0 (strongly
    connected components of the tight residual graph). ``extra_*`` are unbuilt pairs of
    reduced cost 0, which would enter that graph as forward arcs."""
    # scipy is imported here, not at the top: only this check needs it, and every
    # command's start-up would otherwise pay for it.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    tail = np.concatenate([flow.tight_tail, 1 + extra_task])
    head = np.concatenate([flow.tight_head, flow.first_agent_node + extra_agent])
    if not len(tail):
        return True
    graph = coo_matrix(
        (np.ones(len(tail), dtype=np.int8), (tail, head)), shape=(flow.n_nodes, flow.n_nodes)
    ).tocsr()
    _, label = connected_components(graph, directed=True, connection="strong")
    pairs = np.concatenate(
        [flow.tight_pair, np.arange(len(flow.tight_tail), len(tail), dtype=np.int64)]
    )
    return not bool((label[tail[pairs]] == label[head[pairs]]).any())


def residual_distances(
    n_nodes: int,
    tails: np.ndarray,
    heads: np.ndarray,
    caps: np.ndarray,
    costs: np.ndarray,
    flows: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Shortest distances in the residual graph from a virtual root joined to every node
    at cost 0: feasible node potentials π, every residual arc has cost + π(u) − π(v) ≥ 0.
    """
    forward = flows < caps
    backward = flows > 0
    # Node numbers in 32 bits where they fit: the residual graph is the solve's peak of
    # memory (national re-plans: millions of arcs).
    node_type = np.int32 if n_nodes < np.iinfo(np.int32).max else np.int64
    r_tail = np.concatenate([tails[forward], heads[backward]], dtype=node_type)
    order = np.argsort(r_tail, kind="stable")
    r_tail = r_tail[order]
    r_head = np.concatenate([heads[forward], tails[backward]], dtype=node_type)[order]
    r_cost = np.concatenate([costs[forward], -costs[backward]])[order]
    del order, forward, backward
    starts = np.searchsorted(r_tail, np.arange(n_nodes + 1, dtype=node_type))
    distance = np.zeros(n_nodes, dtype=np.int64)
    active = np.arange(n_nodes, dtype=np.int64)
    for rounds in range(1, n_nodes + 2):
        counts = starts[active + 1] - starts[active]
        total = int(counts.sum())
        if not total:
            return distance, rounds
        offsets = np.cumsum(counts) - counts
        arcs = np.repeat(starts[active] - offsets, counts) + np.arange(total, dtype=np.int64)
        candidate = distance[r_tail[arcs]] + r_cost[arcs]
        head = r_head[arcs]
        better = candidate < distance[head]
        if not better.any():
            return distance, rounds
        np.minimum.at(distance, head[better], candidate[better])
        active = np.unique(head[better])
    raise RuntimeError("negative cycle in the residual graph: the flow is not optimal")


def max_cover(capacities: Capacities, pair_task: np.ndarray, pair_agent: np.ndarray) -> np.ndarray:
    """Units of each task's demand that a maximum flow over the pairs meets, costs aside:
    the network of :func:`solve_flow` without the unassigned arcs and without prices.
    Every demand met proves Hall's condition for the tasks on those pairs; a
    push-relabel max flow decides that far faster than a min-cost flow over the tiered
    costs that say which tasks to leave when not all can be met."""
    if capacities.agent_min_load is not None:
        raise ValueError("max_cover takes no agent minimum loads")
    n, m, g = capacities.n_tasks, capacities.n_agents, capacities.n_groups
    source, sink = 0, n + m + g + 1
    task_node = np.arange(1, n + 1, dtype=np.int64)
    agent_node = np.arange(n + 1, n + m + 1, dtype=np.int64)
    group_node = np.arange(n + m + 1, n + m + g + 1, dtype=np.int64)
    exit_node = np.append(group_node, sink)
    agent_next = exit_node[np.where(capacities.agent_group >= 0, capacities.agent_group, g)]
    group_next = exit_node[np.where(capacities.group_parent >= 0, capacities.group_parent, g)]
    agent_room = np.array([len(c) for c in capacities.agent_slot_costs], dtype=np.int64)
    group_room = np.array([len(c) for c in capacities.group_slot_costs], dtype=np.int64)
    tails = np.concatenate(
        [np.full(n, source, dtype=np.int64), task_node[pair_task], agent_node, group_node]
    )
    heads = np.concatenate([task_node, agent_node[pair_agent], agent_next, group_next])
    caps = np.concatenate(
        [
            capacities.task_demand.astype(np.int64),
            np.ones(len(pair_task), dtype=np.int64),
            agent_room,
            group_room,
        ]
    )
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails, heads, caps)
    status = flow.solve(source, sink)
    if status != flow.OPTIMAL:
        raise RuntimeError(f"max flow failed with status {status}")
    return np.asarray(flow.flows(np.arange(n, dtype=np.int64)), dtype=np.int64)
