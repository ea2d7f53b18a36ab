"""Allowed (task, agent) pairs and their costs, without a dense matrix.

A plan's pairs come either as an explicit list (:class:`ExplicitPairs`) or as "every
task with every agent except the forbidden ones" (:class:`ImplicitPairs`), whose cost is
separable plus a few corrections: ``cost(t, a) = task[t] + agent[a] + tie(t, a) +
sparse(t, a)``. The implicit form is what lets the core prove a national month optimal
without building its 240 million pairs: :func:`price` finds the pairs whose reduced cost
under the flow's node potentials is below a threshold, block by block, visiting for each
task only the agents whose separable part can be low enough.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from caseaudit.solver.ties import fold_high, mix, mix_left, mix_rest, mix_right

EMPTY = np.zeros(0, dtype=np.int64)
#: Candidate cells evaluated at once while pricing or materialising: bounds memory.
BLOCK_CELLS = 2_000_000
#: Pairs hashed at once by :meth:`ImplicitPairs.ties_below`: two blocks of this many
#: 64-bit numbers stay in the processor's cache, which made the pass over national's 239
#: million pairs about twice as fast as blocks of ``BLOCK_CELLS`` (measured 2026-12-07).
TIE_BLOCK_CELLS = 1 << 16


def pair_keys(task: np.ndarray, agent: np.ndarray, n_agents: int) -> np.ndarray:
    """One int64 key per pair, task-major: sorting keys sorts pairs by task then agent."""
    return task.astype(np.int64) * max(n_agents, 1) + agent.astype(np.int64)


def in_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Membership of ``values`` in an ascending array (``np.isin`` without re-sorting)."""
    if not len(sorted_keys) or not len(values):
        return np.zeros(len(values), dtype=bool)
    position = np.searchsorted(sorted_keys, values)
    position[position == len(sorted_keys)] = 0
    return sorted_keys[position] == values


@dataclass(frozen=True)
class PairCost:
    """``task[t] + agent[a] + tie_weight × (hash(t, a, seed) mod tie_range) + sparse``.

    ``sparse_keys`` (sorted pair keys) carry corrections for a few named pairs: a bonus
    for a re-audit's original auditor, a surcharge for an auditor who saw the subject.
    """

    task: np.ndarray
    agent: np.ndarray
    sparse_keys: np.ndarray = field(default_factory=lambda: EMPTY)
    sparse_values: np.ndarray = field(default_factory=lambda: EMPTY)
    tie_task: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    tie_agent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    tie_seed: int = 0
    tie_range: int = 0
    tie_weight: int = 1

    @property
    def n_agents(self) -> int:
        return len(self.agent)

    @classmethod
    def tie_break(
        cls,
        task_fingerprints: np.ndarray,
        agent_fingerprints: np.ndarray,
        seed: int,
        tie_range: int,
    ) -> PairCost:
        """Only the seeded pseudo-random number per (task, agent) pair, from the ids'
        fingerprints: the last tier of every plan, so that one optimum stands out among
        equals (contract §1: same inputs and seed, same plan)."""
        return cls(
            np.zeros(len(task_fingerprints), dtype=np.int64),
            np.zeros(len(agent_fingerprints), dtype=np.int64),
            tie_task=task_fingerprints,
            tie_agent=agent_fingerprints,
            tie_seed=seed,
            tie_range=tie_range,
        )

    def tie(self, task: np.ndarray, agent: np.ndarray) -> np.ndarray:
        # At weight 0 (an earlier stage of a lexicographic solve) there is nothing to hash.
        if not self.tie_range or not self.tie_weight:
            return np.zeros(len(task), dtype=np.int64)
        mixed = mix(self.tie_task[task], self.tie_agent[agent], self.tie_seed)
        return (mixed % np.uint64(self.tie_range)).astype(np.int64) * self.tie_weight

    def sparse(self, task: np.ndarray, agent: np.ndarray) -> np.ndarray:
        values = np.zeros(len(task), dtype=np.int64)
        if len(self.sparse_keys) and len(task):
            keys = pair_keys(task, agent, self.n_agents)
            position = np.searchsorted(self.sparse_keys, keys)
            position[position == len(self.sparse_keys)] = 0
            hit = self.sparse_keys[position] == keys
            values[hit] = self.sparse_values[position[hit]]
        return values

    def __call__(self, task: np.ndarray, agent: np.ndarray) -> np.ndarray:
        return (
            self.task[task] + self.agent[agent] + self.tie(task, agent) + self.sparse(task, agent)
        )

    def bound(self, allowed_tasks: np.ndarray) -> int:
        """An upper bound of the cost of any allowed pair (for the lexicographic weights)."""
        if not allowed_tasks.any() or not len(self.agent):
            return 0
        top = int(self.task[allowed_tasks].max()) + int(self.agent.max())
        top += (self.tie_range - 1) * self.tie_weight if self.tie_range else 0
        # Negative corrections lower only their own pairs: the bound counts the others.
        top += max(int(self.sparse_values.max()), 0) if len(self.sparse_values) else 0
        return max(top, 0)


@dataclass(frozen=True)
class ExplicitPairs:
    """The allowed pairs listed one by one, each with its cost (small plans, tests)."""

    task: np.ndarray
    agent: np.ndarray
    cost: np.ndarray
    n_tasks: int
    n_agents: int

    @property
    def count(self) -> int:
        return len(self.task)


@dataclass(frozen=True)
class ImplicitPairs:
    """Every task with every agent, except ``forbidden`` pairs and ``closed`` tasks (and,
    in a later stage of a lexicographic solve, the pairs outside its ``gates``)."""

    n_tasks: int
    n_agents: int
    #: Sorted, unique keys of the forbidden pairs.
    forbidden: np.ndarray
    #: Tasks nobody may take (no pair at all).
    closed: np.ndarray
    cost: PairCost
    #: A pair may be used only where every gate's cost is ≤ 0: an earlier stage's reduced
    #: cost, which is > 0 exactly on the pairs no plan optimal for that stage uses.
    gates: tuple[PairCost, ...] = ()
    #: Sorted keys of allowed pairs always among the candidates (an earlier stage's plan,
    #: so that the first flow of a stage with fixed loads is feasible).
    seeds: np.ndarray = field(default_factory=lambda: EMPTY)

    def gated(self, task: np.ndarray, agent: np.ndarray) -> np.ndarray:
        """Which of the pairs every gate lets through."""
        through = np.ones(len(task), dtype=bool)
        for gate in self.gates:
            through &= gate(task, agent) <= 0
        return through

    @property
    def open_tasks(self) -> np.ndarray:
        return np.flatnonzero(~self.closed)

    @property
    def count(self) -> int:
        """How many pairs are allowed: the space the proof has to cover. Gates are not
        counted out: a staged proof covers every allowed pair of the month, stage by
        stage."""
        forbidden_open = self.forbidden[~self.closed[self.forbidden // max(self.n_agents, 1)]]
        return len(self.open_tasks) * self.n_agents - len(forbidden_open)

    def must_include(self) -> np.ndarray:
        """Keys of the allowed pairs with a negative correction: pricing's bound assumes
        corrections are ≥ 0, so these are always in the candidate set."""
        cost = self.cost
        keys = cost.sparse_keys[cost.sparse_values < 0]
        keys = keys[~self.closed[keys // max(self.n_agents, 1)]]
        keys = keys[~in_sorted(keys, self.forbidden)]
        if self.gates:
            keys = keys[self.gated(*np.divmod(keys, max(self.n_agents, 1)))]
        return np.union1d(keys, self.seeds) if len(self.seeds) else keys

    def gated_keys(self, limit: int) -> np.ndarray | None:
        """Sorted keys of every allowed pair the gates let through, or None when there
        are none or more than ``limit`` (then the space is priced, not built).

        The last gate is an earlier stage's reduced cost, never negative off that stage's
        plan (its potentials are an optimal dual): a task's pairs through it are the
        agents whose separable part is low enough — one sorted range per task — plus
        the pairs whose correction is negative (the plan's are among the seeds)."""
        if not self.gates:
            return None
        gate = self.gates[-1]
        tasks = self.open_tasks
        order = np.argsort(gate.agent, kind="stable")
        ends = np.searchsorted(gate.agent[order], -gate.task[tasks], side="right")
        if int(ends.sum()) > limit:
            return None
        starts = np.repeat(np.cumsum(ends) - ends, ends)
        task = np.repeat(tasks, ends)
        agent = order[np.arange(len(task), dtype=np.int64) - starts]
        keys = np.union1d(
            pair_keys(task, agent, self.n_agents),
            gate.sparse_keys[~self.closed[gate.sparse_keys // max(self.n_agents, 1)]],
        )
        keys = keys[~in_sorted(keys, self.forbidden)]
        keys = keys[self.gated(*np.divmod(keys, max(self.n_agents, 1)))]
        return np.union1d(keys, self.seeds)

    def materialise(self) -> ExplicitPairs:
        """All allowed pairs, task-major, agents ascending."""
        tasks, agents = [], []
        for task, agent in self._blocks(self.open_tasks):
            tasks.append(task)
            agents.append(agent)
        task = np.concatenate(tasks) if tasks else EMPTY
        agent = np.concatenate(agents) if agents else EMPTY
        return ExplicitPairs(task, agent, self.cost(task, agent), self.n_tasks, self.n_agents)

    def _blocks(self, tasks: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        per_block = max(1, BLOCK_CELLS // max(self.n_agents, 1))
        agents = np.arange(self.n_agents, dtype=np.int64)
        for first in range(0, len(tasks), per_block):
            block = tasks[first : first + per_block]
            task = np.repeat(block, self.n_agents)
            agent = np.tile(agents, len(block))
            keep = ~in_sorted(pair_keys(task, agent, self.n_agents), self.forbidden)
            if self.gates:
                keep &= self.gated(task, agent)
            yield task[keep], agent[keep]

    def tie_floor(self, per_task: int) -> int:
        """The tie value below which each open task has about ``per_task`` agents (the
        tie is uniform over its range); 0 when the cost has no tie."""
        cost = self.cost
        if not cost.tie_range or not self.n_agents or per_task <= 0:
            return 0
        return min(cost.tie_range, -(-per_task * cost.tie_range // self.n_agents))

    def ties_below(self, floor: int) -> np.ndarray:
        """Sorted keys of every allowed pair whose tie (before its weight) is below
        ``floor``: one pass over the whole pair space, in blocks of tasks × all agents.

        With these pairs among the candidates, any other allowed pair costs at least its
        separable part plus ``floor`` ties, so pricing need only visit the agents whose
        separable part is that much below the threshold (:func:`price`'s ``tie_floor``):
        the tie-break's range no longer makes every round look at most of the pairs.
        """
        cost = self.cost
        tasks = self.open_tasks
        if not cost.tie_range or floor <= 0 or not len(tasks) or not self.n_agents:
            return EMPTY
        n_agents = self.n_agents
        # The finaliser's first step is done per task and per agent (``fold_high``).
        left = fold_high(mix_left(cost.tie_task[tasks]))
        right = fold_high(mix_right(cost.tie_agent, cost.tie_seed))
        rows = max(1, TIE_BLOCK_CELLS // n_agents)
        block = np.empty((min(rows, len(tasks)), n_agents), dtype=np.uint64)
        scratch = np.empty_like(block)
        power_of_two = cost.tie_range & (cost.tie_range - 1) == 0
        found = []
        for first in range(0, len(tasks), rows):
            count = min(rows, len(tasks) - first)
            mixed, spare = block[:count], scratch[:count]
            np.bitwise_xor(left[first : first + count, None], right[None, :], out=mixed)
            mix_rest(mixed, spare)
            if power_of_two:
                mixed &= np.uint64(cost.tie_range - 1)
            else:
                mixed %= np.uint64(cost.tie_range)
            row, agent = np.nonzero(mixed < np.uint64(floor))
            found.append(tasks[first + row] * n_agents + agent)
        keys = np.concatenate(found)
        keys = keys[~in_sorted(keys, self.forbidden)]
        if self.gates:
            keys = keys[self.gated(*np.divmod(keys, n_agents))]
        return keys

    def initial(self, per_task: int, scan: int = 512) -> np.ndarray:
        """A starting candidate set (sorted keys): the must-include pairs and, for each
        task, its ``per_task`` cheapest allowed pairs among ``scan`` agents taken evenly
        from a window of the agents with the cheapest separable cost (each task's scan
        starting at its own offset). Pricing adds whatever else the optimum needs."""
        n_agents = self.n_agents
        tasks = self.open_tasks
        if not len(tasks) or not n_agents:
            return EMPTY
        order = np.lexsort((np.arange(n_agents), self.cost.agent))
        window = min(n_agents, max(scan, 2 * len(tasks)))
        width = min(window, scan)
        step = max(1, window // width)
        start = (np.arange(len(tasks), dtype=np.int64) * window) // len(tasks)
        # Each task's own agent at its start position: distinct agents for distinct
        # tasks, so the first flow can already cover every task it is allowed to.
        own = pair_keys(tasks, order[start % window], n_agents)
        chosen = [self.must_include(), own[~in_sorted(own, self.forbidden)]]
        per_block = max(1, BLOCK_CELLS // width)
        offsets = np.arange(width, dtype=np.int64) * step
        for first in range(0, len(tasks), per_block):
            block = tasks[first : first + per_block]
            task = np.repeat(block, width)
            agent = order[((start[first : first + per_block, None] + offsets) % window).ravel()]
            cost = self.cost(task, agent)
            keys = pair_keys(task, agent, n_agents)
            shut = in_sorted(keys, self.forbidden)
            if self.gates:
                shut |= ~self.gated(task, agent)
            cost[shut] = np.iinfo(np.int64).max
            ranked = np.argsort(cost.reshape(len(block), width), axis=1, kind="stable")
            best = ranked[:, : min(per_task, width)]
            picked = keys.reshape(len(block), width)[np.arange(len(block))[:, None], best]
            allowed = cost.reshape(len(block), width)[np.arange(len(block))[:, None], best]
            chosen.append(picked[allowed < np.iinfo(np.int64).max])
        return np.unique(np.concatenate(chosen))


def price(
    space: ImplicitPairs,
    task_potential: np.ndarray,
    agent_potential: np.ndarray,
    known: np.ndarray,
    threshold: int = 0,
    per_task: int = 0,
    first_look: int = 64,
    tie_floor: int = 0,
) -> np.ndarray:
    """Keys of the allowed pairs not in ``known`` whose reduced cost
    ``cost(t, a) + π(t) − π(a)`` is below ``threshold`` (0: the pairs that could improve
    the flow; a gap: the pairs that could appear in a plan within that gap).

    For each task only the agents with ``task[t] + π(t) + agent[a] − π(a) < threshold``
    can qualify: ties and the remaining corrections are never negative (negative ones
    are in ``known``). With ``per_task`` > 0 (column generation, where any improving
    pair will do) each task first looks at its ``first_look`` most promising agents,
    and at those within one tie range of them, and keeps its ``per_task`` best; only
    tasks that found fewer there look at the rest, so an empty answer still means that
    no allowed pair qualifies. Without ``per_task`` every qualifying pair is returned.

    ``tie_floor`` > 0 says that ``known`` holds every allowed pair whose tie is below it
    (:meth:`ImplicitPairs.ties_below`): any other pair's reduced cost is then at least
    its separable part plus ``tie_floor`` ties, and only the agents that leaves below
    the threshold are visited.
    """
    cost = space.cost
    key = cost.agent - agent_potential
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    task_part = cost.task + task_potential
    floor = tie_floor * cost.tie_weight if cost.tie_range else 0
    reach = np.searchsorted(sorted_key, threshold - floor - task_part, side="left")
    reach = reach.astype(np.int64)
    reach[space.closed] = 0
    context = (space, order, key, task_part, known, threshold, per_task)
    if not per_task:
        return _scan(context, np.zeros(len(reach), dtype=np.int64), reach)
    # The first look: a task's ``first_look`` lowest keys, and the agents whose key is
    # within one tie range of the last of them — beyond that no pair can beat those.
    head = np.minimum(reach, first_look)
    slack = cost.tie_range * cost.tie_weight if cost.tie_range else 1
    last_key = sorted_key[np.maximum(head - 1, 0)] if len(sorted_key) else head
    # Measured on the national preset: capping this look (many agents share a key) loses
    # the best pairs of each task and took 30 pricing rounds or more instead of 5.
    head = np.minimum(reach, np.maximum(head, np.searchsorted(sorted_key, last_key + slack)))
    begin = np.zeros(len(reach), dtype=np.int64)
    found_parts, per_row = [], np.zeros(len(reach), dtype=np.int64)
    while True:
        found = _scan(context, begin, head)
        found_parts.append(found)
        per_row += np.bincount(found // max(space.n_agents, 1), minlength=len(reach))
        # Tasks short of ``per_task`` look further, four times as far each time.
        short = (per_row < per_task) & (head < reach)
        if not short.any():
            return _best_per_task(space, task_potential, agent_potential, found_parts, per_task)
        begin = np.where(short, head, reach)
        head = np.where(short, np.minimum(reach, head + 4 * np.maximum(head, 1)), reach)


def _best_per_task(
    space: ImplicitPairs,
    task_potential: np.ndarray,
    agent_potential: np.ndarray,
    found_parts: list[np.ndarray],
    per_task: int,
) -> np.ndarray:
    """The ``per_task`` pairs of lowest reduced cost of each task among those found."""
    keys = np.unique(np.concatenate(found_parts))
    task, agent = np.divmod(keys, max(space.n_agents, 1))
    reduced = space.cost(task, agent) + task_potential[task] - agent_potential[agent]
    ranked = np.lexsort((keys, reduced, task))
    keys, task = keys[ranked], task[ranked]
    position = np.arange(len(task)) - np.searchsorted(task, task, side="left")
    return np.sort(keys[position < per_task])


def _scan(
    context: tuple[ImplicitPairs, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int],
    begin: np.ndarray,
    end: np.ndarray,
) -> np.ndarray:
    """Evaluate, for each task t, the agents ranked ``begin[t]..end[t]`` by key."""
    space, order, key, task_part, known, threshold, per_task = context
    cost = space.cost
    counts = end - begin
    tasks = np.flatnonzero(counts > 0)
    cells = np.cumsum(counts[tasks])
    found: list[np.ndarray] = []
    first = 0
    while first < len(tasks):
        base = cells[first - 1] if first else 0
        last = max(int(np.searchsorted(cells, base + BLOCK_CELLS, side="right")), first + 1)
        block = tasks[first:last]
        task = np.repeat(block, counts[block])
        starts = np.cumsum(counts[block]) - counts[block]
        rank = np.arange(len(task), dtype=np.int64) - np.repeat(
            starts - begin[block], counts[block]
        )
        agent = order[rank]
        # Cheap part first: the separable cost and the tie. Corrections are ≥ 0 outside
        # ``known``, so only the pairs already below the threshold need the rest.
        lower = task_part[task] + key[agent] + cost.tie(task, agent)
        below = lower < threshold
        task, agent = task[below], agent[below]
        reduced = lower[below] + cost.sparse(task, agent)
        keys = pair_keys(task, agent, space.n_agents)
        keep = (reduced < threshold) & ~in_sorted(keys, space.forbidden) & ~in_sorted(keys, known)
        if space.gates:
            keep &= space.gated(task, agent)
        keys, reduced, task = keys[keep], reduced[keep], task[keep]
        if per_task and len(keys):
            ranked = np.lexsort((keys, reduced, task))
            keys, task = keys[ranked], task[ranked]
            position = np.arange(len(task)) - np.searchsorted(task, task, side="left")
            keys = keys[position < per_task]
        found.append(keys)
        first = last
    return np.unique(np.concatenate(found)) if found else EMPTY
